//! The scan's own tests: re-entries the stage graph does not allow, and
//! one pass being exact without them.

use super::*;
use crate::domain::{DEFAULT_PIPELINE, check};
use crate::engine::audit::AuditRange;

/// Monday 2026-11-23 10:00 New York: inside the clinic's hours.
const T0: i64 = 1_795_446_000;

fn event<'a>(record_id: i64, at: i64, kind: &str, to: &'a str) -> AuditEvent<'a> {
    AuditEvent {
        record_id,
        at: T0 + at,
        actor: "sam",
        kind: kind.parse().expect("a kind"),
        from: None,
        to: Some(to),
        reason: None,
        data: None,
    }
}

/// Record 1 goes back to the entry stage, which no transition leads to
/// (an override, or history from another pipeline); record 2 does not.
fn log() -> Vec<AuditEvent<'static>> {
    vec![
        event(1, 1_000, "create", "form_submitted"),
        event(2, 1_000, "create", "form_submitted"),
        event(1, 1_100, "transition", "intake_review"),
        event(2, 1_300, "transition", "intake_review"),
        event(1, 1_200, "override", "form_submitted"),
        event(1, 1_600, "transition", "intake_review"),
    ]
}

#[test]
fn a_re_entry_the_graph_does_not_allow_asks_for_every_slot() {
    let p = check(DEFAULT_PIPELINE).pipeline.expect("default pipeline");
    let entry = p.stage(p.entry).id.clone();
    assert!(!p.reenterable()[p.entry.0], "nothing leads back to {entry}");

    let mut quick = Auditor::new(&p, AuditRange::ALL, T0 + 10_000);
    log().iter().for_each(|e| quick.push(e));
    assert!(quick.needs_all_slots());

    let mut exact = Auditor::new(&p, AuditRange::ALL, T0 + 10_000);
    exact.keep_all_slots();
    log().iter().for_each(|e| exact.push(e));
    assert!(!exact.needs_all_slots());
    let report = exact.finish();
    let s = report
        .stages
        .iter()
        .find(|s| s.stage == entry)
        .expect("the entry stage");
    // Record 1 stayed 100 s then 400 s, record 2 300 s: two records,
    // latest (400 + 300) / 2, cumulative (500 + 300) / 2.
    assert_eq!(s.records, 2);
    assert_eq!(s.avg_latest_seconds, Some(350));
    assert_eq!(s.avg_cumulative_seconds, Some(400));
}

#[test]
fn without_such_re_entries_one_pass_is_exact() {
    let p = check(DEFAULT_PIPELINE).pipeline.expect("default pipeline");
    let log: Vec<AuditEvent> = log().into_iter().take(4).collect();
    let mut quick = Auditor::new(&p, AuditRange::ALL, T0 + 10_000);
    log.iter().for_each(|e| quick.push(e));
    assert!(!quick.needs_all_slots());
    let mut exact = Auditor::new(&p, AuditRange::ALL, T0 + 10_000);
    exact.keep_all_slots();
    log.iter().for_each(|e| exact.push(e));
    let (a, b) = (quick.finish(), exact.finish());
    assert_eq!(a.stages, b.stages);
}

/// The drill-down's records are the ids the counts were made of, for ids
/// in the dense table and beyond it alike.
#[test]
fn the_drill_names_the_records_behind_each_count() {
    let p = check(DEFAULT_PIPELINE).pipeline.expect("default pipeline");
    let big = 1i64 << 40;
    let withdrawn = |id: i64, at: i64| AuditEvent {
        from: Some("form_submitted"),
        reason: Some("duplicate"),
        ..event(id, at, "transition", "withdrawn")
    };
    let log = [
        event(7, 0, "create", "form_submitted"),
        event(big, 0, "create", "form_submitted"),
        event(9, 0, "create", "form_submitted"),
        // 9 leaves at once, before Active Care: an exit, no breach.
        withdrawn(9, 60),
        event(3, 0, "create", "form_submitted"),
    ];
    // Three days on, 7, `big` and 3 are breached (4 clinic hours),
    // unassigned, and so without owner action.
    let mut a = Auditor::new(&p, AuditRange::ALL, T0 + 3 * 86_400);
    log.iter().for_each(|e| a.push(e));
    let r = a.finish();
    let entry = p.entry.0;
    assert_eq!(r.drill.breached_for(UNACKNOWLEDGED), [3, 7, big]);
    assert_eq!(r.drill.no_owner_action_in(entry), [3, 7, big]);
    assert_eq!(r.drill.exits_from(entry), [9]);
    assert_eq!(r.stages[entry].no_owner_action, 3);
    assert_eq!(r.stages[entry].breaches, 3);
    assert!(r.drill.breached_for("staffing").is_empty());
}
