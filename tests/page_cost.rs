//! A page under a field or name filter in any order: the store either
//! walks the order's index testing each row, or finds the matching rows on
//! the terms' index and sorts them. Both give the same page; the choice
//! keeps the rows a page reads near √(limit × records in scope): a walk is
//! chosen only where matches are dense enough that it reaches the page
//! soon, and the sort only where the matches are few.

mod console;

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
    for sort in [
        Sort::default(),
        Sort {
            key: SortKey::Age,
            desc: true,
        },
        Sort {
            key: SortKey::Patient,
            desc: false,
        },
        Sort {
            key: SortKey::Id,
            desc: true,
        },
    ] {
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
