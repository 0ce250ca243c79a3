//! Rebuilding a record's current state from its events alone, through the
//! same engine functions the operations use. `verify` compares the result,
//! column by column, with the stored state: a record that does not equal
//! its own history has been changed behind the event log's back.

use super::record::Record;
use super::sla::{self, ClockState};
use crate::domain::{Pipeline, Priority};
use crate::log::EventKind;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The `data` of a `create` event: the patient and the initial fields, so
/// both are covered by the hash chain.
pub fn create_data(patient: &str, fields: &BTreeMap<String, String>) -> String {
    serde_json::json!({"patient": patient, "fields": fields}).to_string()
}

/// The `data` of a `snapshot` event: a whole record, as adopted from a
/// database made before every column was in the log.
pub fn snapshot_data(r: &Record) -> String {
    serde_json::json!({
        "patient": r.patient, "stage": r.stage, "substatus": r.substatus,
        "assignee": r.assignee, "owner_role": r.owner_role, "entered_at": r.entered_at,
        "due_at": r.due_at, "warn_at": r.warn_at, "paused_since": r.paused_since,
        "paused_left": r.paused_left, "escalation": r.escalation, "priority": r.priority,
        "breach_reason": r.breach_reason, "fields": r.fields, "created_at": r.created_at,
        "timer_at": r.timer_at, "notify_role": r.notify_role,
        "warned": r.warned, "warning_at": r.warning_at,
    })
    .to_string()
}

/// Every column of two records but the id: the first that differs.
pub fn difference(a: &Record, b: &Record) -> Option<&'static str> {
    // `updated_at` is bookkeeping (bulk loads and imports set it apart
    // from their events' times), so it is not compared.
    let checks: [(&'static str, bool); 20] = [
        ("patient", a.patient == b.patient),
        ("stage", a.stage == b.stage),
        ("sub-status", a.substatus == b.substatus),
        ("assignee", a.assignee == b.assignee),
        ("owner role", a.owner_role == b.owner_role),
        ("entered-at", a.entered_at == b.entered_at),
        ("due time", a.due_at == b.due_at),
        ("warn time", a.warn_at == b.warn_at),
        ("paused-since", a.paused_since == b.paused_since),
        ("paused time left", a.paused_left == b.paused_left),
        ("escalation level", a.escalation == b.escalation),
        ("priority", a.priority == b.priority),
        ("breach reason", a.breach_reason == b.breach_reason),
        ("fields", a.fields == b.fields),
        ("created-at", a.created_at == b.created_at),
        ("version", a.version == b.version),
        ("timer time", a.timer_at == b.timer_at),
        ("notified role", a.notify_role == b.notify_role),
        ("last warning", a.warned == b.warned),
        ("warning time", a.warning_at == b.warning_at),
    ];
    checks.iter().find(|(_, same)| !same).map(|(name, _)| *name)
}

/// One event as replay needs it.
pub struct Step<'a> {
    pub at: i64,
    pub kind: EventKind,
    pub to: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub data: Option<&'a str>,
}

fn json(data: Option<&str>) -> serde_json::Value {
    data.and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default()
}

fn string_map(v: &serde_json::Value) -> BTreeMap<String, String> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

fn opt_str(v: &serde_json::Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn pauses(p: &Pipeline, stage: &str, sub: Option<&str>) -> bool {
    p.stage_ix(stage)
        .zip(sub)
        .and_then(|(s, v)| p.stage(s).substatus(v))
        .is_some_and(|s| s.pauses)
}

/// The record entering `stage` at `at`: a fresh stay and clock.
fn enter(p: &Pipeline, s: &mut Record, stage: String, at: DateTime<Utc>) {
    s.substatus = p
        .stage_ix(&stage)
        .and_then(|x| p.stage(x).initial_substatus.clone());
    s.stage = stage;
    s.entered_at = at.timestamp();
    s.owner_role = None;
    s.notify_role = None;
    s.escalation = 0;
    s.warned = 0;
    s.priority = 0;
    s.breach_reason = None;
    let paused = pauses(p, &s.stage, s.substatus.as_deref());
    let clock = match p.stage_ix(&s.stage) {
        Some(x) => sla::on_enter(p, x, at, paused),
        None => ClockState::default(),
    };
    set_clock(s, clock);
}

fn set_clock(s: &mut Record, c: ClockState) {
    s.due_at = c.due_at;
    s.warn_at = c.warn_at;
    s.paused_since = c.paused_since;
    s.paused_left = c.paused_left;
}

/// A record before its first event.
pub fn empty(id: i64) -> Record {
    Record {
        id,
        patient: String::new(),
        stage: String::new(),
        substatus: None,
        assignee: None,
        owner_role: None,
        entered_at: 0,
        due_at: None,
        warn_at: None,
        paused_since: None,
        paused_left: None,
        escalation: 0,
        priority: 0,
        breach_reason: None,
        fields: BTreeMap::new(),
        created_at: 0,
        updated_at: 0,
        version: 0,
        timer_at: None,
        notify_role: None,
        warned: 0,
        warning_at: None,
    }
}

/// Applies one event. Kinds about no record's state (a note, the team,
/// the pipeline) change nothing but still count.
pub fn apply(p: &Pipeline, s: &mut Record, e: &Step) {
    s.version += 1;
    s.updated_at = e.at;
    let at = DateTime::<Utc>::from_timestamp(e.at, 0).unwrap_or_default();
    let to = e.to.map(str::to_string);
    match e.kind {
        EventKind::Create => {
            let d = json(e.data);
            if d.get("fields").is_some_and(|f| f.is_object()) {
                s.patient = d["patient"].as_str().unwrap_or_default().to_string();
                s.fields = string_map(&d["fields"]);
            } else {
                // Before patients were logged: the data is the field map.
                s.fields = string_map(&d);
            }
            s.created_at = e.at;
            enter(p, s, to.unwrap_or_default(), at);
            super::timers::refresh(p, s);
            super::warnings::refresh(p, s);
        }
        EventKind::Snapshot => {
            let d = json(e.data);
            s.patient = d["patient"].as_str().unwrap_or_default().to_string();
            s.stage = d["stage"].as_str().unwrap_or_default().to_string();
            s.substatus = opt_str(&d["substatus"]);
            s.assignee = opt_str(&d["assignee"]);
            s.owner_role = opt_str(&d["owner_role"]);
            s.entered_at = d["entered_at"].as_i64().unwrap_or_default();
            s.due_at = d["due_at"].as_i64();
            s.warn_at = d["warn_at"].as_i64();
            s.paused_since = d["paused_since"].as_i64();
            s.paused_left = d["paused_left"].as_i64();
            s.escalation = d["escalation"].as_i64().unwrap_or_default();
            s.priority = d["priority"].as_i64().unwrap_or_default();
            s.breach_reason = opt_str(&d["breach_reason"]);
            s.fields = string_map(&d["fields"]);
            s.created_at = d["created_at"].as_i64().unwrap_or_default();
            s.timer_at = d["timer_at"].as_i64();
            s.notify_role = opt_str(&d["notify_role"]);
            s.warned = d["warned"].as_i64().unwrap_or_default();
            s.warning_at = d["warning_at"].as_i64();
        }
        EventKind::Transition | EventKind::Timer | EventKind::Override => {
            let next = to.unwrap_or_default();
            let owner = |st: &str| p.stage_ix(st).and_then(|x| p.stage(x).owner);
            if owner(&s.stage) != owner(&next) {
                s.assignee = None;
            }
            enter(p, s, next, at);
            s.fields.extend(string_map(&json(e.data)));
            super::timers::refresh(p, s);
            super::warnings::refresh(p, s);
        }
        EventKind::Claim | EventKind::Assign => s.assignee = to,
        // A pipeline renamed the stage (or an admin mapped it): the stay
        // and its clock go on under the new id.
        EventKind::Rename => {
            if let Some(stage) = to {
                s.stage = stage;
            }
        }
        EventKind::Release => s.assignee = None,
        EventKind::Substatus | EventKind::Pause | EventKind::Resume => {
            s.substatus = to;
            if let Some(x) = p.stage_ix(&s.stage) {
                let c = ClockState::of(s);
                match e.kind {
                    EventKind::Pause => set_clock(s, sla::pause(p, x, c, at)),
                    EventKind::Resume => set_clock(s, sla::resume(p, x, c, at)),
                    _ => {}
                }
                if e.kind != EventKind::Substatus {
                    super::warnings::refresh(p, s);
                }
            }
        }
        EventKind::Ack => s.breach_reason = e.reason.map(str::to_string),
        EventKind::Escalation => {
            let d = json(e.data);
            s.escalation = d["level"].as_i64().unwrap_or(s.escalation + 1);
            if let Some(r) = d["reassign"].as_str() {
                s.owner_role = Some(r.to_string());
                s.assignee = None;
            }
            if let Some(r) = d["notify"].as_str() {
                s.notify_role = Some(r.to_string());
            }
            let rank = d["priority"]
                .as_str()
                .and_then(|x| x.parse::<Priority>().ok())
                .map_or(0, Priority::rank);
            s.priority = s.priority.max(rank);
        }
        EventKind::SlaWarning => {
            // The warning fired the threshold its data names; an event
            // without one (written behind carequeue's back) fires the next.
            let after = json(e.data)["after"]
                .as_i64()
                .or_else(|| super::warnings::next(p, s).map(|w| w.after));
            if let Some(after) = after {
                s.warned = after;
            }
            super::warnings::refresh(p, s);
        }
        EventKind::Note
        | EventKind::User
        | EventKind::Pipeline
        | EventKind::PipelineApplied
        | EventKind::Init => {}
    }
}
