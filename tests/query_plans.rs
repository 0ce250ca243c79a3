//! The hot queries stay on their indexes: an index regression (a dropped or
//! renamed index, a rewritten query the planner can no longer serve from
//! one) fails here rather than as a slow console at a million records.

use carequeue::store::attention::ATTENTION_SQL;
use carequeue::store::{ListFilter, OwnerFilter, SlaFilter, Store};
use rusqlite::types::Value;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("dir");
    let s = Store::create(&dir.path().join("plans.db")).expect("create");
    (dir, s)
}

fn plan(s: &Store, sql: &str, args: &[Value]) -> String {
    s.query_plan(sql, args).expect("explain").join(" | ")
}

fn stages(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|x| x.to_string()).collect())
}

#[test]
fn a_phase_page_walks_the_urgency_index_without_sorting() {
    let (_d, s) = store();
    let f = ListFilter {
        stages: stages(&["a", "b", "c"]),
        limit: Some(200),
        after: Some((5, 7)),
        ..Default::default()
    };
    let (sql, args) = f.select_sql(1000);
    let p = plan(&s, &sql, &args);
    assert!(p.contains("records_urgency"), "{p}");
    assert!(
        !p.contains("TEMP B-TREE"),
        "no sort of the whole phase: {p}"
    );
}

#[test]
fn a_single_stage_page_uses_the_stage_index_in_order() {
    let (_d, s) = store();
    let f = ListFilter {
        stages: stages(&["a"]),
        limit: Some(200),
        ..Default::default()
    };
    let (sql, args) = f.select_sql(1000);
    let p = plan(&s, &sql, &args);
    assert!(p.contains("records_stage_urgency (stage=?"), "{p}");
    assert!(!p.contains("TEMP B-TREE"), "{p}");
}

#[test]
fn backwards_and_owner_pages_stay_ordered_by_index() {
    let (_d, s) = store();
    for f in [
        ListFilter {
            stages: stages(&["a", "b"]),
            before: Some((9, 9)),
            limit: Some(200),
            ..Default::default()
        },
        ListFilter {
            stages: stages(&["a", "b"]),
            owner: OwnerFilter::UserOrUnassigned("u".into()),
            limit: Some(200),
            ..Default::default()
        },
        ListFilter {
            stages: stages(&["a", "b"]),
            sla: SlaFilter::Attention,
            limit: Some(200),
            ..Default::default()
        },
    ] {
        let (sql, args) = f.select_sql(1000);
        let p = plan(&s, &sql, &args);
        assert!(
            p.contains("records_urgency") && !p.contains("TEMP B-TREE"),
            "{f:?}: {p}"
        );
    }
}

#[test]
fn a_roles_own_queue_is_counted_from_an_index_alone() {
    let (_d, s) = store();
    let f = ListFilter {
        stages: stages(&["a", "b"]),
        notified: vec!["ops".into()],
        owner: OwnerFilter::UserOrUnassigned("u".into()),
        ..Default::default()
    };
    let (sql, args) = f.count_sql(1000);
    let p = plan(&s, &sql, &args);
    assert!(
        p.contains("COVERING INDEX records_owner_queue") && !p.contains("SCAN records"),
        "{p}"
    );
}

#[test]
fn breach_counts_and_groups_read_only_the_attention_index() {
    let (_d, s) = store();
    // One pass over the index, counted by the caller: no sort of its rows.
    let p = plan(&s, ATTENTION_SQL, &[Value::Integer(1000)]);
    assert!(
        p.contains("USING COVERING INDEX records_attention (warn_at<?)")
            && !p.contains("TEMP B-TREE"),
        "{p}"
    );
    let f = ListFilter {
        stages: stages(&["a", "b"]),
        sla: SlaFilter::Attention,
        ..Default::default()
    };
    let (sql, args) = f.count_sql(1000);
    let p = plan(&s, &sql, &args);
    assert!(p.contains("COVERING INDEX records_attention"), "{p}");
}

#[test]
fn a_past_warn_count_over_no_stages_is_zero_not_an_error() {
    let (_d, s) = store();
    for sla in [SlaFilter::Attention, SlaFilter::AtRisk] {
        let f = ListFilter {
            stages: Some(Vec::new()),
            sla,
            ..Default::default()
        };
        assert_eq!(s.count(&f, 1000).expect("count"), 0, "{f:?}");
    }
}

#[test]
fn the_sweep_finds_due_work_by_index() {
    let (_d, s) = store();
    let args = [
        Value::Integer(1000),
        Value::Integer(0),
        Value::Integer(0),
        Value::Integer(500),
    ];
    let p = plan(&s, carequeue::ops::TIMERS_DUE_SQL, &args);
    assert!(
        p.contains("INDEX records_timer (timer_at") && !p.contains("TEMP B-TREE"),
        "{p}"
    );
    let args = [
        Value::Text("a".into()),
        Value::Integer(0),
        Value::Integer(1000),
        Value::Integer(0),
        Value::Integer(0),
        Value::Integer(500),
    ];
    let p = plan(&s, carequeue::ops::ESCALATIONS_DUE_SQL, &args);
    assert!(
        p.contains("records_escalation (stage=? AND escalation=? AND sort_due"),
        "{p}"
    );
}

#[test]
fn history_and_retried_operations_are_lookups() {
    let (_d, s) = store();
    let p = plan(
        &s,
        "SELECT id FROM events WHERE record_id = ?1 ORDER BY id",
        &[Value::Integer(1)],
    );
    assert!(
        p.contains("events_record (record_id=?)") && !p.contains("TEMP B-TREE"),
        "{p}"
    );
    let p = plan(
        &s,
        "SELECT record_id FROM events WHERE op_id = ?1",
        &[Value::Text("x".into())],
    );
    assert!(p.contains("events_op (op_id=?)"), "{p}");
}
