//! FHIR R4 for `export --format fhir`: one `Task` per record, each followed
//! by one `Provenance` per event of it, as NDJSON in the Bulk Data
//! convention (one resource a line). The mapping:
//!
//! | carequeue | Task |
//! |---|---|
//! | record id | `id`, and `identifier` (system `urn:carequeue:record`) |
//! | stage | `businessStatus`, coded in `urn:carequeue:stage` (the stage id, its name as display): never a `status` code |
//! | stage, sub-status, owner | `status`: `completed` in a terminal stage whose disposition is `completed`, `cancelled` in any other terminal stage, `on-hold` while a pausing sub-status is set, `in-progress` when someone owns it, `requested` at the entry stage unowned, `ready` otherwise |
//! | sub-status | `statusReason`, coded in `urn:carequeue:substatus` |
//! | patient | `for.display` |
//! | assignee (else the owning role) | `owner` (`identifier` in `urn:carequeue:user` or `urn:carequeue:role`) |
//! | SLA due time | `restriction.period.end` |
//! | created, and finished when terminal | `executionPeriod` |
//! | created / last change | `authoredOn` / `lastModified` |
//! | entered its stage | the extension `urn:carequeue:extension:entered-at` |
//! | fields | `input`, each typed in `urn:carequeue:field` with a `valueString` |
//!
//! Each event is a `Provenance` whose `target` is its record's Task, with
//! `recorded` and `occurredDateTime` its time, `agent.who` its actor and
//! `activity` its kind (`urn:carequeue:event-kind`; the transition's label
//! as text).

mod read;

pub use read::{ReadTasks, element_of, read_tasks};

use crate::present;
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::Record;
use carequeue_core::log::EventRow;
use serde_json::{Value, json};

pub const STAGE_SYSTEM: &str = "urn:carequeue:stage";
pub const RECORD_SYSTEM: &str = "urn:carequeue:record";
pub const SUBSTATUS_SYSTEM: &str = "urn:carequeue:substatus";
pub const FIELD_SYSTEM: &str = "urn:carequeue:field";
pub const USER_SYSTEM: &str = "urn:carequeue:user";
pub const ROLE_SYSTEM: &str = "urn:carequeue:role";
pub const KIND_SYSTEM: &str = "urn:carequeue:event-kind";
/// The extension that carries when the record entered its stage (its SLA
/// clock's start), which no Task element holds.
pub const ENTERED_AT: &str = "urn:carequeue:extension:entered-at";

fn instant(t: i64) -> String {
    carequeue_core::engine::clock::from_unix(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The Task's `status` for record `r` (see the table above).
pub fn task_status(p: &Pipeline, r: &Record) -> &'static str {
    let Some(ix) = p.stage_ix(&r.stage) else {
        return if r.assignee.is_some() {
            "in-progress"
        } else {
            "ready"
        };
    };
    let st = p.stage(ix);
    if st.terminal {
        return if st.disposition.as_deref() == Some("completed") {
            "completed"
        } else {
            "cancelled"
        };
    }
    let paused = r
        .substatus
        .as_deref()
        .and_then(|s| st.substatus(s))
        .is_some_and(|s| s.pauses);
    match (paused, r.assignee.is_some(), ix == p.entry) {
        (true, _, _) => "on-hold",
        (false, true, _) => "in-progress",
        (false, false, true) => "requested",
        (false, false, false) => "ready",
    }
}

/// One record as a Task.
pub fn task(p: &Pipeline, r: &Record) -> Value {
    let ix = p.stage_ix(&r.stage);
    let stage_name = present::stage_name(p, &r.stage);
    let terminal = ix.is_some_and(|s| p.stage(s).terminal);
    let mut t = json!({
        "resourceType": "Task",
        "id": r.id.to_string(),
        "identifier": [{"system": RECORD_SYSTEM, "value": r.id.to_string()}],
        "status": task_status(p, r),
        "intent": "order",
        "businessStatus": {
            "coding": [{"system": STAGE_SYSTEM, "code": r.stage, "display": stage_name}],
            "text": stage_name,
        },
        "for": {"display": r.patient},
        "authoredOn": instant(r.created_at),
        "lastModified": instant(r.updated_at),
        "extension": [{"url": ENTERED_AT, "valueDateTime": instant(r.entered_at)}],
        "executionPeriod": if terminal {
            json!({"start": instant(r.created_at), "end": instant(r.updated_at)})
        } else {
            json!({"start": instant(r.created_at)})
        },
    });
    let Some(obj) = t.as_object_mut() else {
        return t;
    };
    if let Some(sub) = &r.substatus {
        obj.insert(
            "statusReason".into(),
            json!({"coding": [{
                "system": SUBSTATUS_SYSTEM,
                "code": sub,
                "display": present::substatus_label(p, r),
            }]}),
        );
    }
    let role = carequeue_core::engine::authority::owner_role(p, r);
    let owner = match (&r.assignee, role) {
        (Some(u), _) => Some(json!({
            "display": u,
            "identifier": {"system": USER_SYSTEM, "value": u},
        })),
        (None, Some(id)) => Some(json!({
            "display": present::role_name(p, id),
            "identifier": {"system": ROLE_SYSTEM, "value": id},
        })),
        (None, None) => None,
    };
    if let Some(o) = owner {
        obj.insert("owner".into(), o);
    }
    if let Some(due) = r.due_at {
        obj.insert(
            "restriction".into(),
            json!({"period": {"end": instant(due)}}),
        );
    }
    if !r.fields.is_empty() {
        let input: Vec<Value> = r
            .fields
            .iter()
            .map(|(k, v)| {
                json!({
                    "type": {"coding": [{"system": FIELD_SYSTEM, "code": k}], "text": k},
                    "valueString": v,
                })
            })
            .collect();
        obj.insert("input".into(), Value::Array(input));
    }
    t
}

/// One event as a Provenance of its record's Task.
pub fn provenance(p: &Pipeline, e: &EventRow) -> Option<Value> {
    let record = e.record_id?;
    let kind = e.kind.as_str();
    let text = match &e.event {
        Some(ev) => present::event_label(p, ev),
        None => kind.to_string(),
    };
    Some(json!({
        "resourceType": "Provenance",
        "id": format!("event-{}", e.id),
        "target": [{"reference": format!("Task/{record}")}],
        "occurredDateTime": instant(e.at),
        "recorded": instant(e.at),
        "agent": [{"who": {"display": e.actor}}],
        "activity": {
            "coding": [{"system": KIND_SYSTEM, "code": kind}],
            "text": text,
        },
    }))
}
