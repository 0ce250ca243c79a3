//! Pages over a few stages are merged from one query per stage. Whatever
//! the filter and wherever the keyset cursor stands, a page must be exactly
//! the rows a plain walk over every record gives, in the same order.

mod console;

use carequeue::engine::Record;
use carequeue::engine::sla::ClockState;
use carequeue::store::{ListFilter, OwnerFilter, SlaFilter, Store};
use console::demo_db;

fn key(r: &Record) -> (i64, i64) {
    (ClockState::of(r).sort_due(), r.id)
}

/// The oracle: every record matching the filter but its stages, most
/// urgent first, then the stages, cursor and limit applied here.
fn expected(s: &Store, f: &ListFilter, now: i64) -> Vec<i64> {
    let wide = ListFilter {
        stages: None,
        after: None,
        before: None,
        limit: None,
        ..f.clone()
    };
    let stages = f.stages.clone().unwrap_or_default();
    let rows: Vec<Record> = s
        .list(&wide, now)
        .expect("list")
        .into_iter()
        .filter(|r| stages.contains(&r.stage))
        .filter(|r| f.after.is_none_or(|a| key(r) > a))
        .filter(|r| f.before.is_none_or(|b| key(r) < b))
        .collect();
    let limit = f.limit.unwrap_or(usize::MAX);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    if f.before.is_some() {
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
    let cursors: Vec<Option<(i64, i64)>> = [0, all.len() / 3, all.len() / 2, all.len() - 1]
        .iter()
        .map(|&i| Some(key(&all[i])))
        .chain([None])
        .collect();
    let mut checked = 0;
    for stages in [&ids[3..5], &ids[0..3], &ids[5..13], &ids[10..12]] {
        for owner in [
            OwnerFilter::Any,
            OwnerFilter::Unassigned,
            OwnerFilter::UserOrUnassigned(owner.clone()),
        ] {
            for sla in [SlaFilter::Any, SlaFilter::Breached, SlaFilter::Attention] {
                for cursor in &cursors {
                    for backwards in [false, true] {
                        if backwards && cursor.is_none() {
                            continue;
                        }
                        let f = ListFilter {
                            stages: Some(stages.to_vec()),
                            owner: owner.clone(),
                            sla,
                            after: cursor.filter(|_| !backwards),
                            before: cursor.filter(|_| backwards),
                            limit: Some(7),
                            ..Default::default()
                        };
                        let got: Vec<i64> = s
                            .list(&f, now)
                            .expect("page")
                            .iter()
                            .map(|r| r.id)
                            .collect();
                        assert_eq!(got, expected(&s, &f, now), "{f:?}");
                        checked += usize::from(!got.is_empty());
                    }
                }
            }
        }
    }
    assert!(checked > 100, "most pages hold rows: {checked}");
}
