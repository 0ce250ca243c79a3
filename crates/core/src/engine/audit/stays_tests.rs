//! Stays built from a log, read back, audit exactly as the log does: over
//! random histories with pauses, re-entries, acknowledgements, owners who
//! come and go, stages the pipeline no longer has and records adopted by a
//! snapshot, in any date range.

use super::*;
use crate::domain::{DEFAULT_PIPELINE, check};
use crate::engine::audit::AuditReport;
use proptest::prelude::*;

/// Monday 2026-11-23 10:00 New York.
const T0: i64 = 1_795_446_000;

const STAGES: &[&str] = &[
    "form_submitted",
    "intake_review",
    "pending_provider",
    "needs_more_info",
    "approved",
    "ongoing",
    "lost",
    "withdrawn",
    "a_stage_long_gone",
];
const KINDS: &[EventKind] = &[
    EventKind::Transition,
    EventKind::Transition,
    EventKind::Transition,
    EventKind::Override,
    EventKind::Timer,
    EventKind::Substatus,
    EventKind::Pause,
    EventKind::Resume,
    EventKind::Ack,
    EventKind::Claim,
    EventKind::Assign,
    EventKind::Release,
    EventKind::Escalation,
    EventKind::Note,
    EventKind::Snapshot,
    EventKind::Create,
];
const SUBS: &[&str] = &["awaiting_patient", "missing_id", "other"];
const REASONS: &[&str] = &["staffing", "patient_unresponsive", "declined"];
const ACTORS: &[&str] = &["sam", "kim", "system"];

/// One generated event: (record, seconds after the previous, kind, stage,
/// sub-status, reason, actor, reassigns) as indexes.
type Gen = (i64, i64, usize, usize, usize, usize, usize, bool);

struct Owned {
    record_id: i64,
    at: i64,
    actor: &'static str,
    kind: EventKind,
    from: Option<&'static str>,
    to: Option<&'static str>,
    reason: Option<&'static str>,
    data: Option<&'static str>,
}

impl Owned {
    fn event(&self) -> AuditEvent<'_> {
        AuditEvent {
            record_id: self.record_id,
            at: self.at,
            actor: self.actor,
            kind: self.kind,
            from: self.from,
            to: self.to,
            reason: self.reason,
            data: self.data,
        }
    }
}

/// A log: each record begins with a create (or a snapshot), then random
/// events, records interleaved, times running forward.
fn log(gens: &[Gen]) -> Vec<Owned> {
    let mut at = T0;
    let mut stage: std::collections::HashMap<i64, &'static str> = Default::default();
    let mut out = Vec::new();
    for &(rec, gap, kind, st, sub, reason, actor, reassign) in gens {
        at += gap;
        let kind = match stage.get(&rec) {
            None if kind % 5 == 0 => EventKind::Snapshot,
            None => EventKind::Create,
            Some(_) => KINDS[kind % KINDS.len()],
        };
        let cur = stage.get(&rec).copied();
        let (from, to, reason_v, data) = match kind {
            EventKind::Create | EventKind::Transition | EventKind::Override | EventKind::Timer => {
                let to = STAGES[st % STAGES.len()];
                stage.insert(rec, to);
                (cur, Some(to), Some(REASONS[reason % REASONS.len()]), None)
            }
            EventKind::Snapshot => {
                stage.insert(rec, STAGES[st % STAGES.len()]);
                (None, None, None, None)
            }
            EventKind::Substatus => (None, Some(SUBS[sub % SUBS.len()]), None, None),
            EventKind::Pause => (None, Some("other"), None, None),
            EventKind::Resume => (None, None, None, None),
            EventKind::Ack => (None, None, Some(REASONS[reason % REASONS.len()]), None),
            EventKind::Claim | EventKind::Assign => (None, Some(ACTORS[actor % 2]), None, None),
            EventKind::Escalation => (
                None,
                None,
                None,
                Some(if reassign {
                    r#"{"level":1,"reassign":"ops"}"#
                } else {
                    r#"{"level":1,"reassign":null}"#
                }),
            ),
            _ => (None, None, None, None),
        };
        out.push(Owned {
            record_id: rec,
            at,
            actor: ACTORS[actor % ACTORS.len()],
            kind,
            from,
            to,
            reason: reason_v,
            data,
        });
    }
    out
}

fn by_log(p: &Pipeline, events: &[Owned], range: AuditRange, now: i64) -> AuditReport {
    let mut a = Auditor::new(p, range, now);
    a.keep_all_slots();
    events.iter().for_each(|e| a.push(&e.event()));
    a.finish()
}

/// Every record's rows, one record at a time (as a write keeps them).
fn rows_per_record(p: &Pipeline, events: &[Owned]) -> Vec<StayRow> {
    let mut ids: Vec<i64> = events.iter().map(|e| e.record_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.iter()
        .flat_map(|&id| {
            Auditor::stays_of(
                p,
                events
                    .iter()
                    .filter(|e| e.record_id == id)
                    .map(Owned::event),
            )
        })
        .collect()
}

fn by_stays(p: &Pipeline, rows: &[StayRow], range: AuditRange, now: i64) -> AuditReport {
    let mut a = Auditor::over_stays(p, range, now);
    rows.iter().for_each(|r| a.push_stay(r));
    a.finish()
}

fn pipeline() -> Pipeline {
    check(DEFAULT_PIPELINE).pipeline.expect("default pipeline")
}

/// The default pipeline after a change: `intake_review` renamed (the log
/// keeps its old id), `missing_id` no longer pausing, and Form Submitted
/// on the 24x7 clock rather than clinic hours.
fn changed() -> Pipeline {
    let text = DEFAULT_PIPELINE
        .replace("\"intake_review\"", "\"intake_check\"")
        .replacen(
            "id = \"intake_check\"",
            "id = \"intake_check\"\nrenamed_from = [\"intake_review\"]",
            1,
        )
        .replace(
            r#"{ id = "missing_id", label = "Missing photo ID", pauses = true }"#,
            r#"{ id = "missing_id", label = "Missing photo ID", pauses = false }"#,
        )
        .replacen(
            r#"sla = { max = "4h", warn = "3h", calendar = "clinic_hours" }"#,
            r#"sla = { max = "4h", warn = "3h" }"#,
            1,
        );
    let p = check(&text)
        .pipeline
        .expect("the changed pipeline is valid");
    assert!(p.stage_ix("intake_review").is_none());
    assert!(p.stage_ix_or_renamed("intake_review").is_some());
    p
}

fn an_event() -> impl Strategy<Value = Gen> {
    (
        1i64..6,
        prop_oneof![0i64..600, 0i64..90_000, 0i64..400_000],
        0usize..64,
        0usize..64,
        0usize..8,
        0usize..8,
        0usize..8,
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Under the shipped pipeline and under one changed since the log was
    /// written (a stage renamed, a pause rule and a calendar changed: a
    /// new stays key, so the table is rebuilt under it).
    #[test]
    fn an_audit_over_stays_is_the_audit_over_the_log(
        gens in prop::collection::vec(an_event(), 1..80),
        since in prop::option::of(0i64..3_000_000),
        span in prop::option::of(0i64..3_000_000),
        after in 0i64..200_000,
    ) {
        for p in [pipeline(), changed()] {
            same_either_way(&p, &gens, since, span, after)?;
        }
    }
}

/// The audit over stays built under `p` equals the audit over the log
/// under `p`; and the rows one record at a time equal those of one pass.
fn same_either_way(
    p: &Pipeline,
    gens: &[Gen],
    since: Option<i64>,
    span: Option<i64>,
    after: i64,
) -> Result<(), TestCaseError> {
    let events = log(gens);
    let last = events.iter().map(|e| e.at).max().unwrap_or(T0);
    let now = last + after;
    let range = AuditRange {
        since: since.map(|s| T0 + s),
        until: span.map(|u| T0 + since.unwrap_or(0) + u),
    };
    let rows = rows_per_record(p, &events);
    prop_assert_eq!(
        by_stays(p, &rows, range, now),
        by_log(p, &events, range, now)
    );

    // The whole log in one pass (a rebuild) builds the same rows.
    let mut b = Auditor::stays_builder(p, now);
    events.iter().for_each(|e| b.push(&e.event()));
    let mut whole = b.drain_stays();
    whole.extend(b.finish_stays());
    whole.sort_by_key(|r| (r.record_id, r.visit));
    prop_assert_eq!(whole, rows);
    Ok(())
}

#[test]
fn a_stay_row_holds_its_working_time_and_its_exit() {
    let p = pipeline();
    let events = log(&[
        (1, 0, 1, 0, 0, 0, 0, false),
        // form_submitted → intake_review 2 h later (clinic hours).
        (1, 7_200, 0, 1, 0, 0, 0, false),
    ]);
    let rows = Auditor::stays_of(&p, events.iter().map(Owned::event));
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let first = &rows[0];
    assert_eq!(first.visit, 1);
    assert_eq!(first.stage.as_deref(), Some("form_submitted"));
    assert_eq!(first.left, Some(T0 + 7_200));
    assert_eq!(first.working, Some(7_200));
    assert_eq!(first.exit_kind, Some(EventKind::Transition));
    assert_eq!(first.exit_to.as_deref(), Some("intake_review"));
    assert_eq!(first.events, 1);
    let open = &rows[1];
    assert_eq!((open.visit, open.left, open.working), (2, None, None));
    assert_eq!(open.events, 1);
}

#[test]
fn the_key_follows_calendars_and_pauses_but_not_the_sla_maximum() {
    let p = pipeline();
    let key = stays_key(&p);
    let longer = DEFAULT_PIPELINE.replace(
        r#"sla = { max = "4h", warn = "3h", calendar = "clinic_hours" }"#,
        r#"sla = { max = "6h", warn = "3h", calendar = "clinic_hours" }"#,
    );
    assert_ne!(longer, DEFAULT_PIPELINE);
    let longer = check(&longer).pipeline.expect("valid");
    assert_eq!(stays_key(&longer), key, "a maximum is judged at query time");

    let round_the_clock = DEFAULT_PIPELINE.replace(
        r#"sla = { max = "4h", warn = "3h", calendar = "clinic_hours" }"#,
        r#"sla = { max = "4h", warn = "3h" }"#,
    );
    let round_the_clock = check(&round_the_clock).pipeline.expect("valid");
    assert_ne!(
        stays_key(&round_the_clock),
        key,
        "a calendar changes working time"
    );

    let no_pause = DEFAULT_PIPELINE.replace(
        r#"{ id = "missing_id", label = "Missing photo ID", pauses = true }"#,
        r#"{ id = "missing_id", label = "Missing photo ID", pauses = false }"#,
    );
    assert_ne!(no_pause, DEFAULT_PIPELINE);
    let no_pause = check(&no_pause).pipeline.expect("valid");
    assert_ne!(
        stays_key(&no_pause),
        key,
        "a pause rule changes working time"
    );
}

#[test]
fn the_key_is_the_same_in_every_process_whatever_the_calendars_cached() {
    let p = pipeline();
    let before = stays_key(&p);
    // Working time over months fills the calendars' caches.
    let events = log(&[
        (1, 0, 1, 0, 0, 0, 0, false),
        (1, 9_000_000, 0, 1, 0, 0, 0, false),
    ]);
    let rows = Auditor::stays_of(&p, events.iter().map(Owned::event));
    assert!(rows[0].working.is_some_and(|w| w > 0));
    for cal in &p.calendars {
        cal.calendar.working_seconds(
            crate::engine::clock::from_unix(T0),
            crate::engine::clock::from_unix(T0 + 40_000_000),
        );
    }
    assert_eq!(stays_key(&p), before);
    assert_eq!(stays_key(&pipeline()), before);
}
