//! A page under a field or name filter in any order: the store either
//! walks the order's index testing each row, or finds the matching rows on
//! the terms' index and sorts them. Both give the same page; the choice
//! keeps the rows a page reads near √(limit × records in scope): a walk is
//! chosen only where matches are dense enough that it reaches the page
//! soon, and the sort only where the matches are few.

use crate::harness as console;

use carequeue::store::{ListFilter, Sort, SortKey, Store};

/// The page's ids as SQLite reads them for `f`.
fn page(s: &Store, f: &ListFilter, now: i64) -> Vec<i64> {
    s.list(f, now).expect("list").iter().map(|r| r.id).collect()
}

fn filter(fields: &[(&str, &str)], sort: Sort, stages: Option<Vec<String>>) -> ListFilter {
    ListFilter {
        stages,
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect(),
        sort,
        limit: Some(LIMIT),
        ..Default::default()
    }
}

const LIMIT: usize = 20;

/// Every order, each in one direction (`flip` takes the other one).
fn orders(flip: bool) -> Vec<Sort> {
    [SortKey::Due, SortKey::Age, SortKey::Patient, SortKey::Id]
        .into_iter()
        .enumerate()
        .map(|(i, key)| Sort {
            key,
            desc: (i % 2 == 1) != flip,
        })
        .collect()
}

#[test]
fn a_filtered_page_reads_few_rows_either_way_and_the_same_rows() {
    let (_d, db) = console::demo_db(3000);
    let s = Store::open(&db).expect("open");
    let now = console::now().timestamp();
    let phase: Vec<String> = ["form_submitted", "intake_review", "intake_complete"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    let (mut walked, mut sorted) = (0, 0);
    for sort in orders(false) {
        for stages in [None, Some(phase.clone()), Some(vec!["lapsed".to_string()])] {
            // Every record in scope, in the order, without the terms: what
            // a walk reads, in the order it reads it.
            let scope = s
                .list(
                    &ListFilter {
                        stages: stages.clone(),
                        sort,
                        ..Default::default()
                    },
                    now,
                )
                .expect("scope");
            // A broad term (a quarter of the records) and a narrow one.
            for fields in [
                vec![("program", "weight")],
                vec![("program", "weight"), ("state", "TX")],
            ] {
                let f = filter(&fields, sort, stages.clone());
                let total = s.count(&f, now).expect("count");
                let walk = s.walks(&f, total).expect("decide");
                let by_sort = page(&s, &f, now);
                let by_walk = page(
                    &s,
                    &ListFilter {
                        walk: true,
                        ..f.clone()
                    },
                    now,
                );
                let case = format!("{sort:?} {stages:?} {fields:?}: {total} of {}", scope.len());
                assert_eq!(by_walk, by_sort, "{case}: the same page");
                assert_eq!(by_sort.len(), (total as usize).min(LIMIT), "{case}");
                let matches = |r: &carequeue::engine::Record| {
                    fields
                        .iter()
                        .all(|(k, v)| r.fields.get(*k).map(String::as_str) == Some(*v))
                };
                let want: Vec<i64> = scope
                    .iter()
                    .filter(|r| matches(r))
                    .take(LIMIT)
                    .map(|r| r.id)
                    .collect();
                assert_eq!(
                    by_sort, want,
                    "{case}: the page an independent filter finds"
                );
                let bound = ((LIMIT * scope.len()) as f64).sqrt();
                if walk {
                    walked += 1;
                    // The rows the walk reads to fill the page.
                    let read = scope
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| matches(r))
                        .nth(LIMIT - 1)
                        .map_or(scope.len(), |(i, _)| i + 1);
                    assert!(
                        read as f64 <= 3.0 * bound,
                        "{case}: the walk reads {read} (bound {bound:.0})"
                    );
                } else {
                    sorted += 1;
                    assert!(
                        total as f64 <= bound,
                        "{case}: sorting {total} rows (bound {bound:.0})"
                    );
                }
            }
        }
    }
    assert!(
        walked >= 4 && sorted >= 4,
        "walked {walked}, sorted {sorted}"
    );
}

/// A capped walk, page after page from where each stopped: every match, in
/// order, once, and each page reads no more of the index than the cap.
#[test]
fn a_capped_walk_reads_on_from_where_it_stopped() {
    let (_d, db) = console::demo_db(3000);
    let s = Store::open(&db).expect("open");
    let now = console::now().timestamp();
    let phase: Vec<String> = ["form_submitted", "intake_review", "intake_complete"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    const CAP: usize = 60;
    let mut capped_pages = 0;
    for sort in orders(true) {
        for stages in [None, Some(phase.clone()), Some(vec!["lapsed".to_string()])] {
            let scope = s
                .list(
                    &ListFilter {
                        stages: stages.clone(),
                        sort,
                        ..Default::default()
                    },
                    now,
                )
                .expect("scope");
            // The demo's oldest records are mostly breached: `sla:ok` by
            // age is sparse early in the walk and dense late.
            let f = ListFilter {
                sla: carequeue::store::SlaFilter::Ok,
                walk: true,
                scan_cap: Some(CAP),
                ..filter(&[("program", "weight")], sort, stages.clone())
            };
            let want: Vec<i64> = s
                .list(
                    &ListFilter {
                        limit: None,
                        walk: false,
                        scan_cap: None,
                        ..f.clone()
                    },
                    now,
                )
                .expect("oracle")
                .iter()
                .map(|r| r.id)
                .collect();
            let mut got: Vec<i64> = Vec::new();
            let mut seek = carequeue::store::Seek::Start;
            for _ in 0..10_000 {
                let g = ListFilter {
                    seek: seek.clone(),
                    ..f.clone()
                };
                let (rows, resume) = s.list_page(&g, now).expect("page");
                let case = format!("{sort:?} {stages:?}");
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                // From a cursor, the first row is the one the last page ended on.
                let skip = usize::from(
                    matches!(seek, carequeue::store::Seek::From(_)) && resume_was_row(&got, &ids),
                );
                got.extend(&ids[skip.min(ids.len())..]);
                match resume {
                    Some(k) => {
                        capped_pages += 1;
                        assert!(ids.len() < LIMIT, "{case}: a full page has no resume key");
                        // The walk stopped exactly `CAP` index rows after
                        // where it began.
                        let begin = match &seek {
                            carequeue::store::Seek::From(k0) => scope
                                .iter()
                                .position(|r| sort.key_cmp(&sort.row_key(r), k0).is_ge())
                                .expect("begin"),
                            _ => 0,
                        };
                        let stop = scope
                            .iter()
                            .position(|r| sort.row_key(r) == k)
                            .expect("the resume key is a row");
                        // Per stage, for merged stages; never more than CAP
                        // rows of any one stage's index.
                        let read = scope[begin..stop]
                            .iter()
                            .filter(|r| {
                                stages.as_ref().is_none_or(|v| v.len() == 1)
                                    || r.stage == scope[stop].stage
                            })
                            .count();
                        assert!(
                            read <= CAP,
                            "{case}: read {read} before stopping (cap {CAP})"
                        );
                        seek = carequeue::store::Seek::From(k);
                    }
                    None if ids.len() < LIMIT => break,
                    None => {
                        let last = rows.last().expect("rows");
                        seek = carequeue::store::Seek::From(sort.row_key(last));
                    }
                }
            }
            assert_eq!(got, want, "{sort:?} {stages:?}: every match once, in order");
        }
    }
    assert!(
        capped_pages >= 10,
        "pages the cap cut short: {capped_pages}"
    );
}

/// Whether `ids` starts with the row `got` ends with (a cursor on a row is
/// inclusive; on a resume key, which no page returned, it is not repeated).
fn resume_was_row(got: &[i64], ids: &[i64]) -> bool {
    got.last().is_some() && got.last() == ids.first()
}

/// In the console, a page the cap cut short reads on by itself: the rows
/// on screen and the cursor's walk through every row are the filter's.
#[test]
fn the_console_reads_on_past_a_capped_page() {
    let (_d, db) = console::demo_db(6000);
    let mut c = console::Console::open(&db, "kim", 120, 40);
    c.svc.scan_cap = 25;
    // Every program: the term matches densely enough that the page walks
    // the age index, and `sla:ok` is sparse among the oldest records.
    for line in [
        "view 1",
        "filter sla:ok program:weight,hair,sleep,dermatology",
        "sort age",
    ] {
        c.press(':');
        c.typed(line);
        c.code(crossterm::event::KeyCode::Enter);
    }
    let s = Store::open(&db).expect("open");
    let mut f = c.app.list_filter();
    f.limit = None;
    let want: Vec<i64> = s
        .list(&f, console::now().timestamp())
        .expect("oracle")
        .iter()
        .map(|r| r.id)
        .collect();
    assert!(want.len() > 100, "matches: {}", want.len());
    assert_eq!(c.app.page.total, want.len());
    assert!(
        s.walks(
            &ListFilter {
                limit: Some(carequeue::app::WINDOW),
                ..f.clone()
            },
            want.len() as i64
        )
        .expect("walks"),
        "the page walks the order's index"
    );
    // The first screen is whole, though each read stops after 25 rows.
    let screen = c.screen(120, 40);
    assert!(!screen.contains("│…"), "{screen}");
    let mut walked = Vec::new();
    for _ in 0..want.len() {
        walked.push(c.app.selected_record().expect("a row under the cursor").id);
        c.press('j');
    }
    assert_eq!(walked, want, "the cursor meets every match once, in order");
}

/// A first page read with its count in one pass (a name or field filter
/// whose count reads every candidate) holds the total and the rows that a
/// count and a page give, in every order, over every stage, a phase, one
/// stage and the past-warn records of every open stage (the Breaches view).
#[test]
fn a_first_page_counted_in_one_pass_is_the_count_and_the_page() {
    use carequeue::store::SlaFilter;
    let (_d, db) = console::demo_db(3000);
    let s = Store::open(&db).expect("open");
    let now = console::now().timestamp();
    let phase: Vec<String> = ["form_submitted", "intake_review", "intake_complete"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    let open: Vec<String> = s
        .stage_counts(now)
        .expect("counts")
        .into_iter()
        .map(|c| c.stage)
        .collect();
    let (mut counted, mut walked) = (0, 0);
    for sort in orders(false).into_iter().chain(orders(true)) {
        for stages in [
            None,
            Some(phase.clone()),
            Some(vec!["lapsed".to_string()]),
            Some(open.clone()),
        ] {
            for sla in [SlaFilter::Any, SlaFilter::Attention] {
                let by_field = filter(&[("program", "weight")], sort, stages.clone());
                let mut terms = vec![by_field.clone()];
                for text in ["a", "ng", "son", "nguyen", "an,zo"] {
                    terms.push(ListFilter {
                        fields: Vec::new(),
                        text: Some(text.into()),
                        ..by_field.clone()
                    });
                }
                for f in terms {
                    let f = ListFilter { sla, ..f };
                    let total = s.count(&f, now).expect("count");
                    let Some((n, rows)) = s.counted_first_page(&f, now).expect("one pass") else {
                        continue;
                    };
                    assert_eq!(n, total, "{f:?}");
                    let Some(rows) = rows else {
                        assert!(s.walks(&f, total).expect("decide"), "{f:?}");
                        walked += 1;
                        continue;
                    };
                    let (listed, resume) = s.list_page(&f, now).expect("page");
                    assert!(resume.is_none(), "{f:?}");
                    let ids = |v: &[carequeue::engine::Record]| {
                        v.iter().map(|r| r.id).collect::<Vec<_>>()
                    };
                    assert_eq!(ids(&rows), ids(&listed), "{f:?}");
                    assert_eq!(rows, listed, "{f:?}");
                    counted += 1;
                }
            }
        }
    }
    assert!(counted > 50, "the one pass served {counted} pages");
    assert!(walked > 0 || counted > 0);
}

/// The board's counts under a name or field filter, read in one grouped
/// pass, are each stage's own counts (its total under the filter's SLA
/// state, its breached and its at-risk), for stages with and without
/// matches, and under a supervisor's My Queue filter (handed records).
#[test]
fn the_boards_counts_in_one_pass_are_each_stages_own() {
    use carequeue::store::{OwnerFilter, SlaFilter};
    let (_d, db) = console::demo_db(3000);
    let s = Store::open(&db).expect("open");
    let now = console::now().timestamp();
    let mut open: Vec<String> = s
        .stage_counts(now)
        .expect("counts")
        .into_iter()
        .map(|c| c.stage)
        .collect();
    open.push("no_such_stage".into());
    let mut grouped = 0;
    for sla in [
        SlaFilter::Any,
        SlaFilter::Attention,
        SlaFilter::Breached,
        SlaFilter::AtRisk,
        SlaFilter::Ok,
        SlaFilter::Paused,
    ] {
        let by_field = ListFilter {
            sla,
            ..filter(
                &[("program", "weight")],
                Sort::default(),
                Some(open.clone()),
            )
        };
        let mut terms = vec![by_field.clone()];
        for text in ["a", "ng", "son", "nguyen", "an,zo", "zzzq"] {
            terms.push(ListFilter {
                fields: Vec::new(),
                text: Some(text.into()),
                ..by_field.clone()
            });
        }
        terms.push(ListFilter {
            owner: OwnerFilter::UserOrUnassigned("kim".into()),
            roles: vec!["provider".into()],
            text: Some("a".into()),
            ..by_field.clone()
        });
        for f in terms {
            let got = s
                .stage_counts_under(&f, now)
                .expect("grouped")
                .expect("a name or field filter is counted in one pass");
            assert_eq!(got.len(), open.len());
            for (c, stage) in got.iter().zip(&open) {
                let one = |sla: SlaFilter| {
                    s.count(
                        &ListFilter {
                            stages: Some(vec![stage.clone()]),
                            sla,
                            ..f.clone()
                        },
                        now,
                    )
                    .expect("count")
                };
                assert_eq!(&c.stage, stage);
                assert_eq!(c.total, one(f.sla), "{stage} {f:?}");
                assert_eq!(c.breached, one(SlaFilter::Breached), "{stage} {f:?}");
                assert_eq!(c.at_risk, one(SlaFilter::AtRisk), "{stage} {f:?}");
                grouped += c.total;
            }
        }
    }
    assert!(grouped > 0, "some stage has matches");
    // Without names or fields each count is cheap: counted as before.
    let plain = ListFilter {
        stages: Some(open),
        owner: OwnerFilter::Unassigned,
        ..Default::default()
    };
    assert!(s.stage_counts_under(&plain, now).expect("none").is_none());
}

/// Typing a name letter by letter (and back): each key's total, first
/// page and board counts, read from the candidates kept from the key
/// before where its words narrow them, are those the queries give, under
/// each SLA state; and after a write the kept candidates are not used.
#[test]
fn a_name_typed_letter_by_letter_reads_the_same_pages_and_counts() {
    use carequeue::store::SlaFilter;
    let (_d, db) = console::demo_db(3000);
    let s = Store::open(&db).expect("open");
    let now = console::now().timestamp();
    let open: Vec<String> = s
        .stage_counts(now)
        .expect("counts")
        .into_iter()
        .map(|c| c.stage)
        .collect();
    let check = |s: &Store, text: &str, sla: SlaFilter| {
        let f = ListFilter {
            stages: Some(open.clone()),
            sla,
            text: Some(text.into()),
            limit: Some(LIMIT),
            ..Default::default()
        };
        let total = s.count(&f, now).expect("count");
        let (n, rows) = s
            .counted_first_page(&f, now)
            .expect("one pass")
            .expect("a name is counted in one pass");
        assert_eq!(n, total, "{f:?}");
        if let Some(rows) = rows {
            let (listed, _) = s.list_page(&f, now).expect("page");
            assert_eq!(rows, listed, "{f:?}");
        }
        let board = s
            .stage_counts_under(&f, now)
            .expect("board")
            .expect("grouped");
        for c in board {
            let one = |sla: SlaFilter| {
                s.count(
                    &ListFilter {
                        stages: Some(vec![c.stage.clone()]),
                        sla,
                        ..f.clone()
                    },
                    now,
                )
                .expect("count")
            };
            assert_eq!(
                (c.total, c.breached, c.at_risk),
                (one(sla), one(SlaFilter::Breached), one(SlaFilter::AtRisk)),
                "{} {f:?}",
                c.stage
            );
        }
        total
    };
    for sla in [SlaFilter::Attention, SlaFilter::Any, SlaFilter::Ok] {
        let mut seen = 0;
        for text in [
            "N", "Ng", "Ngu", "Nguy", "Nguye", "Nguyen", "Nguy", "guy en", "son",
        ] {
            seen += check(&s, text, sla);
        }
        assert!(seen > 0, "{sla:?}: some name matched");
    }
    // A write between two keys: the second reads its candidates afresh.
    check(&s, "Ngu", SlaFilter::Attention);
    s.conn()
        .execute(
            "UPDATE records SET warn_at = 0, sort_due = 0 WHERE id IN
             (SELECT rowid FROM records_fts WHERE records_fts MATCH '\"nguy\"' LIMIT 3)",
            [],
        )
        .expect("write");
    check(&s, "Nguy", SlaFilter::Attention);
    check(&s, "Nguy", SlaFilter::Breached);
}
