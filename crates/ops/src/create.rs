//! New records: one at a time from the command line.

use super::{OpError, OpResult};
use carequeue_core::domain::{Pipeline, StageIx, fields::check_value};
use carequeue_core::engine::Record;
use carequeue_core::engine::sla;
use carequeue_core::log::EventKind;
use carequeue_store::NewEvent;
use carequeue_store::db::{self, Db};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Longest text accepted, in bytes: a patient name, a field value, a note
/// (`note`, `move --note`, `ack --note`), an `--override` reason and a
/// reason code all share it.
pub const MAX_TEXT: usize = 4096;

/// Refuses `text` past [`MAX_TEXT`], naming `what` and the sizes, never
/// the text.
pub fn check_len(what: &str, text: &str) -> OpResult<()> {
    if text.len() > MAX_TEXT {
        return Err(OpError::Invalid(format!(
            "{what} is {} bytes; the limit is {MAX_TEXT} bytes",
            text.len()
        )));
    }
    Ok(())
}

/// Validates field values against the pipeline; errors name the field, not the value.
pub fn check_fields(p: &Pipeline, fields: &BTreeMap<String, String>) -> OpResult<()> {
    for (k, v) in fields {
        let fx = p.field_ix(k).ok_or_else(|| {
            let known: Vec<&str> = p.fields.iter().map(|f| f.id.as_str()).collect();
            OpError::Invalid(format!("unknown field `{k}` (known: {})", known.join(", ")))
        })?;
        check_len(&format!("field `{k}`"), v)?;
        check_value(p.field(fx), v).map_err(OpError::Invalid)?;
    }
    for f in p.fields.iter().filter(|f| f.required) {
        if !fields.contains_key(&f.id) {
            return Err(OpError::Invalid(format!("field `{}` is required", f.id)));
        }
    }
    Ok(())
}

pub fn check_patient(patient: &str) -> OpResult<()> {
    if patient.trim().is_empty() {
        return Err(OpError::Invalid("patient name is empty".into()));
    }
    check_len("patient name", patient)
}

/// A fresh record at the entry stage, not yet stored.
pub fn new_record(
    p: &Pipeline,
    patient: &str,
    fields: BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Record {
    let substatus = p.stage(p.entry).initial_substatus.clone();
    record_at(p, p.entry, patient, fields, substatus, now)
}

/// A record entering `stage` at `entered` with `substatus` (imports
/// migrate records into any stage), its SLA clock and timers set.
pub fn record_at(
    p: &Pipeline,
    stage: StageIx,
    patient: &str,
    fields: BTreeMap<String, String>,
    substatus: Option<String>,
    entered: DateTime<Utc>,
) -> Record {
    let st = p.stage(stage);
    let paused = substatus
        .as_deref()
        .and_then(|s| st.substatus(s))
        .is_some_and(|s| s.pauses);
    let clock = sla::on_enter(p, stage, entered, paused);
    let t = entered.timestamp();
    let mut rec = Record {
        id: 0,
        patient: patient.to_string(),
        stage: st.id.clone(),
        substatus,
        assignee: None,
        owner_role: None,
        entered_at: t,
        due_at: clock.due_at,
        warn_at: clock.warn_at,
        paused_since: clock.paused_since,
        paused_left: clock.paused_left,
        escalation: 0,
        priority: 0,
        breach_reason: None,
        fields,
        created_at: t,
        updated_at: t,
        version: 1,
        timer_at: None,
        notify_role: None,
        warned: 0,
        warning_at: None,
    };
    carequeue_core::engine::timers::refresh(p, &mut rec);
    carequeue_core::engine::warnings::refresh(p, &mut rec);
    rec
}

/// Adds a record at the entry stage; returns its id.
pub fn add_record(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &super::Actor,
    patient: &str,
    fields: BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> OpResult<i64> {
    add_record_once(p, store, actor, patient, fields, None, now)
}

/// [`add_record`] with an idempotency key: a retried `add` with the same
/// `op_id` returns the record the first one made.
pub fn add_record_once(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &super::Actor,
    patient: &str,
    fields: BTreeMap<String, String>,
    op_id: Option<&str>,
    now: DateTime<Utc>,
) -> OpResult<i64> {
    check_patient(patient)?;
    check_fields(p, &fields)?;
    db::write(store, |tx| {
        add_in(tx, p, actor, patient, &fields, op_id, now)
    })
}

/// A new record inside the caller's transaction, its patient and fields
/// checked ([`check_patient`], [`check_fields`]); with an operation id
/// already used, the record it made.
pub(crate) fn add_in(
    tx: &mut dyn carequeue_store::Tx,
    p: &Pipeline,
    actor: &carequeue_core::engine::User,
    patient: &str,
    fields: &BTreeMap<String, String>,
    op_id: Option<&str>,
    now: DateTime<Utc>,
) -> OpResult<i64> {
    if let Some(op) = op_id
        && let Some(seen) = tx.op_seen(op)?
    {
        return Ok(seen);
    }
    let now = super::actions::dated(tx, now);
    let mut rec = new_record(p, patient, fields.clone(), now);
    let data = Some(carequeue_core::engine::replay::create_data(
        &rec.patient,
        &rec.fields,
    ));
    let (to, at) = (rec.stage.clone(), rec.created_at);
    tx.save(
        None,
        &mut rec,
        &NewEvent {
            record_id: None,
            at,
            actor: &actor.name,
            to: Some(&to),
            data: data.as_deref(),
            op_id,
            ..NewEvent::blank(EventKind::Create)
        },
    )?;
    Ok(rec.id)
}
