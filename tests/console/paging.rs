//! Pages over a few stages are merged from one query per stage. Whatever
//! the filter, the order and wherever the keyset cursor stands, a page must
//! be exactly the rows a plain walk over every record gives, in the same
//! order (the oracle sorts here, independently of the store's code).

use crate::harness as console;

use carequeue::engine::Record;
use carequeue::engine::sla::ClockState;
use carequeue::store::{ListFilter, OwnerFilter, Seek, SlaFilter, Sort, SortKey, Store};
use console::demo_db;
use std::cmp::Ordering;

/// The order a user asked for, written out by hand: due soonest first,
/// age youngest first, patient A to Z (letter case ignored), id lowest
/// first; `desc` reverses; ties by id in the same direction.
fn cmp(sort: Sort, a: &Record, b: &Record) -> Ordering {
    let o = match sort.key {
        SortKey::Due => ClockState::of(a)
            .sort_due()
            .cmp(&ClockState::of(b).sort_due()),
        SortKey::Age => b.entered_at.cmp(&a.entered_at),
        SortKey::Patient => a
            .patient
            .to_ascii_lowercase()
            .cmp(&b.patient.to_ascii_lowercase()),
        SortKey::Id => Ordering::Equal,
    };
    let tie = if sort.key == SortKey::Age {
        b.id.cmp(&a.id)
    } else {
        a.id.cmp(&b.id)
    };
    let o = o.then(tie);
    if sort.desc { o.reverse() } else { o }
}

/// The oracle: every record matching the filter but its stages, then the
/// stages, order, cursor and limit applied here.
fn expected(s: &Store, f: &ListFilter, cursor: Option<&Record>, now: i64) -> Vec<i64> {
    let wide = ListFilter {
        stages: None,
        seek: Seek::Start,
        limit: None,
        sort: Sort::default(),
        ..f.clone()
    };
    let stages = f.stages.clone().unwrap_or_default();
    let mut rows: Vec<Record> = s
        .list(&wide, now)
        .expect("list")
        .into_iter()
        .filter(|r| stages.contains(&r.stage))
        .collect();
    rows.sort_by(|a, b| cmp(f.sort, a, b));
    let backwards = matches!(f.seek, Seek::Before(_));
    let rows: Vec<&Record> = rows
        .iter()
        .filter(|r| match cursor {
            None => true,
            Some(c) if backwards => cmp(f.sort, r, c) == Ordering::Less,
            Some(c) => cmp(f.sort, r, c) != Ordering::Less,
        })
        .collect();
    let limit = f.limit.unwrap_or(usize::MAX);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    if backwards {
        ids[ids.len().saturating_sub(limit)..].to_vec()
    } else {
        ids.into_iter().take(limit).collect()
    }
}

#[test]
fn merged_pages_equal_a_walk_over_every_record() {
    let (_dir, db) = demo_db(600);
    let s = Store::open(&db).expect("open");
    let now = console::now().timestamp();
    let p = console::pipeline();
    let ids: Vec<String> = p.stages.iter().map(|s| s.id.clone()).collect();
    let owner: String = s
        .conn()
        .query_row(
            "SELECT assignee FROM records WHERE assignee IS NOT NULL LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("an owner");
    let all = s.list(&ListFilter::default(), now).expect("all");
    let cursors: Vec<Option<&Record>> = [0, all.len() / 3, all.len() / 2, all.len() - 1]
        .iter()
        .map(|&i| Some(&all[i]))
        .chain([None])
        .collect();
    let sorts: Vec<Sort> = SortKey::ALL
        .iter()
        .flat_map(|&key| [Sort { key, desc: false }, Sort { key, desc: true }])
        .collect();
    let mut checked = 0;
    for stages in [&ids[3..5], &ids[0..3], &ids[5..13], &ids[10..12]] {
        for owner in [
            OwnerFilter::Any,
            OwnerFilter::Unassigned,
            OwnerFilter::UserOrUnassigned(owner.clone()),
        ] {
            for sla in [SlaFilter::Any, SlaFilter::Breached, SlaFilter::Attention] {
                for &sort in &sorts {
                    for cursor in &cursors {
                        for backwards in [false, true] {
                            if backwards && cursor.is_none() {
                                continue;
                            }
                            let seek = match cursor {
                                None => Seek::Start,
                                Some(c) if backwards => Seek::Before(sort.row_key(c)),
                                Some(c) => Seek::From(sort.row_key(c)),
                            };
                            let f = ListFilter {
                                stages: Some(stages.to_vec()),
                                owner: owner.clone(),
                                sla,
                                sort,
                                seek,
                                limit: Some(7),
                                ..Default::default()
                            };
                            let got: Vec<i64> = s
                                .list(&f, now)
                                .expect("page")
                                .iter()
                                .map(|r| r.id)
                                .collect();
                            assert_eq!(got, expected(&s, &f, *cursor, now), "{f:?}");
                            checked += usize::from(!got.is_empty());
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 800, "most pages hold rows: {checked}");
}
