//! The breach groups, the board's breached and at-risk counts and the
//! past-warn page totals, all read from one pass over the attention index,
//! agree with SQL's own grouping and counting, at several instants and
//! after commits on this connection and on another.

use crate::harness as console;

use carequeue::store::{BreachGroup, ListFilter, OwnerFilter, SlaFilter, Store};
use chrono::Duration;
use console::demo_db;

/// What the groups used to be read with: SQLite grouping and ordering.
const GROUPS_SQL: &str =
    "SELECT stage, assignee, sum(sort_due <= ?1), sum(sort_due > ?1), min(sort_due)
     FROM records WHERE warn_at <= ?1 GROUP BY stage, assignee ORDER BY stage, assignee";

fn sql_groups(s: &Store, now: i64) -> Vec<BreachGroup> {
    let mut st = s.conn().prepare(GROUPS_SQL).expect("prepare");
    st.query_map([now], |r| {
        Ok(BreachGroup {
            stage: r.get(0)?,
            owner: r.get(1)?,
            breached: r.get(2)?,
            at_risk: r.get(3)?,
            oldest_due: r.get(4)?,
        })
    })
    .expect("query")
    .collect::<rusqlite::Result<Vec<_>>>()
    .expect("rows")
}

fn sql_count(s: &Store, f: &ListFilter, now: i64) -> i64 {
    let (sql, args) = f.count_sql(now);
    s.conn()
        .query_row(&sql, rusqlite::params_from_iter(args), |r| r.get(0))
        .expect("count")
}

fn instants() -> Vec<i64> {
    let now = console::now();
    [-3, 0, 1, 5]
        .iter()
        .map(|d| (now + Duration::days(*d)).timestamp())
        .collect()
}

/// Past-warn filters over a few stage sets and every owner filter.
fn filters(s: &Store) -> Vec<ListFilter> {
    let owner: String = s
        .conn()
        .query_row(
            "SELECT assignee FROM records WHERE assignee IS NOT NULL AND warn_at IS NOT NULL LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("an owner");
    let p = console::pipeline();
    let all: Vec<String> = p.stages.iter().map(|s| s.id.clone()).collect();
    let mut out = Vec::new();
    for stages in [
        None,
        Some(all.clone()),
        Some(all[1..3].to_vec()),
        Some(vec![]),
    ] {
        for owner in [
            OwnerFilter::Any,
            OwnerFilter::Unassigned,
            OwnerFilter::User(owner.clone()),
            OwnerFilter::UserOrUnassigned(owner.clone()),
        ] {
            for sla in [SlaFilter::Attention, SlaFilter::AtRisk] {
                out.push(ListFilter {
                    stages: stages.clone(),
                    owner: owner.clone(),
                    sla,
                    ..Default::default()
                });
            }
        }
    }
    out
}

fn assert_agrees(s: &Store, now: i64, what: &str) {
    let groups = s.breach_groups(now).expect("groups");
    assert_eq!(groups, sql_groups(s, now), "{what}: groups at {now}");
    for c in s.stage_counts(now).expect("counts") {
        let of_stage = groups.iter().filter(|g| g.stage == c.stage);
        let (b, r) = of_stage.fold((0, 0), |(b, r), g| (b + g.breached, r + g.at_risk));
        assert_eq!((c.breached, c.at_risk), (b, r), "{what}: {}", c.stage);
    }
    for f in filters(s) {
        assert_eq!(
            s.count(&f, now).expect("count"),
            sql_count(s, &f, now),
            "{what}: {f:?} at {now}"
        );
    }
}

#[test]
fn one_pass_agrees_with_sql_at_every_instant() {
    let (_dir, db) = demo_db(400);
    let s = Store::open(&db).expect("open");
    for now in instants() {
        // Cold: counted by SQL. Warm: from the pass.
        for f in filters(&s) {
            assert_eq!(s.count(&f, now).expect("count"), sql_count(&s, &f, now));
        }
        assert_agrees(&s, now, "fresh");
    }
    let groups = s.breach_groups(console::now().timestamp()).expect("groups");
    assert!(
        groups.iter().any(|g| g.breached > 0) && groups.iter().any(|g| g.at_risk > 0),
        "the demo has breached and at-risk records: {groups:?}"
    );
}

#[test]
fn a_commit_here_or_elsewhere_is_seen() {
    let (_dir, db) = demo_db(400);
    let s = Store::open(&db).expect("open");
    let now = console::now().timestamp();
    assert_agrees(&s, now, "before");
    let id = |s: &Store| -> i64 {
        s.conn()
            .query_row(
                "SELECT id FROM records WHERE warn_at <= ?1 AND assignee IS NOT NULL LIMIT 1",
                [now],
                |r| r.get(0),
            )
            .expect("an assigned past-warn record")
    };
    // This connection.
    let before = s.breach_groups(now).expect("groups");
    s.conn()
        .execute("UPDATE records SET assignee = NULL WHERE id = ?1", [id(&s)])
        .expect("release");
    assert_ne!(s.breach_groups(now).expect("groups"), before);
    assert_agrees(&s, now, "after a commit here");
    // Another connection.
    let before = s.breach_groups(now).expect("groups");
    let other = Store::open(&db).expect("open");
    other
        .conn()
        .execute("UPDATE records SET warn_at = NULL, due_at = NULL, sort_due = 5000000000000 WHERE id = ?1", [id(&other)])
        .expect("clear the clock");
    assert_ne!(s.breach_groups(now).expect("groups"), before);
    assert_agrees(&s, now, "after a commit elsewhere");
}
