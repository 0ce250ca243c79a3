//! Rebuilding a record's current state from its events alone. `verify`
//! compares the result with the stored state: a record that does not equal
//! its own history has been changed behind the event log's back.

use super::record::Record;
use crate::domain::Pipeline;
use std::collections::BTreeMap;

/// The parts of a record its events determine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replayed {
    pub stage: String,
    pub substatus: Option<String>,
    pub assignee: Option<String>,
    pub owner_role: Option<String>,
    pub notify_role: Option<String>,
    pub breach_reason: Option<String>,
    pub escalation: i64,
    pub priority: i64,
    pub fields: BTreeMap<String, String>,
    pub version: i64,
}

impl Replayed {
    pub fn of(r: &Record) -> Replayed {
        Replayed {
            stage: r.stage.clone(),
            substatus: r.substatus.clone(),
            assignee: r.assignee.clone(),
            owner_role: r.owner_role.clone(),
            notify_role: r.notify_role.clone(),
            breach_reason: r.breach_reason.clone(),
            escalation: r.escalation,
            priority: r.priority,
            fields: r.fields.clone(),
            version: r.version,
        }
    }

    /// The first field in which two states differ, for the report.
    pub fn difference(&self, other: &Replayed) -> Option<&'static str> {
        let checks: [(&'static str, bool); 10] = [
            ("stage", self.stage == other.stage),
            ("sub-status", self.substatus == other.substatus),
            ("assignee", self.assignee == other.assignee),
            ("owner role", self.owner_role == other.owner_role),
            ("notified role", self.notify_role == other.notify_role),
            ("breach reason", self.breach_reason == other.breach_reason),
            ("escalation level", self.escalation == other.escalation),
            ("priority", self.priority == other.priority),
            ("fields", self.fields == other.fields),
            ("version", self.version == other.version),
        ];
        checks.iter().find(|(_, same)| !same).map(|(name, _)| *name)
    }
}

/// One event as replay needs it.
pub struct Step<'a> {
    pub kind: &'a str,
    pub to: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub data: Option<&'a str>,
}

fn owner_of(p: &Pipeline, stage: &str) -> Option<crate::domain::RoleIx> {
    p.stage_ix(stage).and_then(|s| p.stage(s).owner)
}

fn initial_substatus(p: &Pipeline, stage: &str) -> Option<String> {
    p.stage_ix(stage)
        .and_then(|s| p.stage(s).initial_substatus.clone())
}

fn json_map(data: Option<&str>) -> BTreeMap<String, String> {
    data.and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default()
}

/// Applies one event. Unknown kinds change nothing but still count.
pub fn apply(p: &Pipeline, s: &mut Replayed, e: &Step) {
    s.version += 1;
    let to = e.to.map(str::to_string);
    match e.kind {
        "create" => {
            s.stage = to.unwrap_or_default();
            s.substatus = initial_substatus(p, &s.stage);
            s.fields = json_map(e.data);
        }
        "transition" | "timer" | "override" => {
            let next = to.unwrap_or_default();
            if owner_of(p, &s.stage) != owner_of(p, &next) {
                s.assignee = None;
            }
            s.substatus = initial_substatus(p, &next);
            s.stage = next;
            s.owner_role = None;
            s.notify_role = None;
            s.escalation = 0;
            s.priority = 0;
            s.breach_reason = None;
            s.fields.extend(json_map(e.data));
        }
        "claim" | "assign" => s.assignee = to,
        "release" => s.assignee = None,
        "substatus" | "pause" | "resume" => s.substatus = to,
        "ack" => s.breach_reason = e.reason.map(str::to_string),
        "escalation" => {
            let d: serde_json::Value = e
                .data
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or_default();
            s.escalation = d["level"].as_i64().unwrap_or(s.escalation + 1);
            if let Some(r) = d["reassign"].as_str() {
                s.owner_role = Some(r.to_string());
                s.assignee = None;
            }
            if let Some(r) = d["notify"].as_str() {
                s.notify_role = Some(r.to_string());
            }
            let rank = match d["priority"].as_str() {
                Some("urgent") => 2,
                Some("high") => 1,
                _ => 0,
            };
            s.priority = s.priority.max(rank);
        }
        _ => {}
    }
}
