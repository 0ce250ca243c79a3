//! Changes to an existing record: move, ownership, sub-status, notes,
//! breach acknowledgement. Each is one transaction with one event.

use super::{OpError, OpResult, owner_role, stage_ix, supervises};
use crate::domain::Pipeline;
use crate::engine::rules::{self, MoveArgs};
use crate::engine::sla::{self, ClockState};
use crate::engine::{Record, User};
use crate::store::{NewEvent, Store, StoreError, events, records};
use chrono::{DateTime, Utc};

/// The event a change appends.
#[derive(Debug, Default, Clone)]
pub struct EventSpec {
    pub kind: &'static str,
    pub event: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub data: Option<String>,
}

/// Options every change accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Guard<'a> {
    /// Refuse if the record's version is no longer this (a stale view).
    pub expect_version: Option<i64>,
    /// An idempotency key: a retried operation is not applied twice.
    pub op_id: Option<&'a str>,
}

/// Loads, decides, saves and logs in one transaction. Returns the new state.
pub(crate) fn change(
    store: &mut Store,
    id: i64,
    actor: &User,
    now: DateTime<Utc>,
    g: Guard,
    decide: impl FnOnce(&Record) -> OpResult<(Record, EventSpec)>,
) -> OpResult<Record> {
    store.write(|tx| {
        let mut chain = events::Appender::load(tx)?;
        let r = change_in(tx, &mut chain, id, actor, now, g, decide)?;
        chain.finish(tx)?;
        Ok(r)
    })
}

/// [`change`] inside the caller's transaction (the sweep batches many).
pub(crate) fn change_in(
    tx: &rusqlite::Connection,
    chain: &mut events::Appender,
    id: i64,
    actor: &User,
    now: DateTime<Utc>,
    g: Guard,
    decide: impl FnOnce(&Record) -> OpResult<(Record, EventSpec)>,
) -> OpResult<Record> {
    {
        if let Some(op) = g.op_id
            && let Some(seen) = events::op_seen(tx, op)?
        {
            // A retry of an operation already applied: nothing to do. The
            // same id on another record is a different operation, refused
            // rather than silently skipped.
            if seen != id {
                return Err(OpError::Invalid(format!(
                    "operation id `{op}` was already used for record {seen}, not record {id}"
                )));
            }
            return Ok(records::load(tx, id)?);
        }
        let cur = records::load(tx, id)?;
        if let Some(v) = g.expect_version
            && v != cur.version
        {
            return Err(StoreError::Stale {
                id,
                expected: v,
                actual: cur.version,
            }
            .into());
        }
        let (mut next, ev) = decide(&cur)?;
        next.updated_at = now.timestamp();
        next.version = records::update(tx, &next)?;
        chain.append(
            tx,
            &NewEvent {
                record_id: id,
                at: now.timestamp(),
                actor: &actor.name,
                kind: ev.kind,
                event: ev.event.as_deref(),
                from: ev.from.as_deref(),
                to: ev.to.as_deref(),
                reason: ev.reason.as_deref(),
                note: ev.note.as_deref(),
                data: ev.data.as_deref(),
                op_id: g.op_id,
            },
        )?;
        Ok(next)
    }
}

/// Fires a transition.
#[allow(clippy::too_many_arguments)]
pub fn move_record(
    p: &Pipeline,
    store: &mut Store,
    actor: &User,
    id: i64,
    event: &str,
    args: &MoveArgs,
    g: Guard,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    if let Some(n) = args.note
        && n.len() > super::MAX_TEXT
    {
        return Err(OpError::Invalid(format!(
            "note is longer than {} bytes",
            super::MAX_TEXT
        )));
    }
    if let Some(o) = args.override_reason {
        if !super::supervises(p, actor) {
            return Err(OpError::Denied(format!(
                "record {id}: only a supervising role may override guards; `{}` holds none",
                actor.name
            )));
        }
        if o.trim().is_empty() {
            return Err(OpError::Invalid("an override needs a reason".into()));
        }
    }
    change(store, id, actor, now, g, |cur| {
        decide_move(p, cur, actor, event, args, now)
    })
}

/// The record after `event` fires, and the event to log.
pub fn decide_move(
    p: &Pipeline,
    cur: &Record,
    actor: &User,
    event: &str,
    args: &MoveArgs,
    now: DateTime<Utc>,
) -> OpResult<(Record, EventSpec)> {
    let plan = rules::plan_move(p, cur, actor, event, args, now)?;
    let next = plan.apply(p, cur, now);
    let changed: std::collections::BTreeMap<&String, &String> = next
        .fields
        .iter()
        .filter(|(k, v)| cur.fields.get(*k) != Some(*v))
        .collect();
    let data = (!changed.is_empty()).then(|| serde_json::to_string(&changed).unwrap_or_default());
    let kind = if args.system {
        "timer"
    } else if args.override_reason.is_some() {
        "override"
    } else {
        "transition"
    };
    let note = match (args.override_reason, args.note) {
        (Some(o), Some(n)) => Some(format!("override: {o} — {n}")),
        (Some(o), None) => Some(format!("override: {o}")),
        (None, n) => n.map(str::to_string),
    };
    Ok((
        next,
        EventSpec {
            kind,
            event: Some(event.to_string()),
            from: Some(plan.from),
            to: Some(plan.to),
            reason: plan.reason,
            note,
            data,
        },
    ))
}

fn set_clock(r: &mut Record, c: ClockState) {
    r.due_at = c.due_at;
    r.warn_at = c.warn_at;
    r.paused_since = c.paused_since;
    r.paused_left = c.paused_left;
}

fn may_work(p: &Pipeline, r: &Record, u: &User) -> bool {
    supervises(p, u) || owner_role(p, r).is_some_and(|role| u.has_role(role))
}

fn deny(r: &Record, what: &str, why: String) -> OpError {
    OpError::Denied(format!(
        "record {}: {what} refused in stage `{}`: {why}",
        r.id, r.stage
    ))
}

/// Gives the record to `target`, who must hold the role that owns it now.
pub fn assign(
    p: &Pipeline,
    store: &mut Store,
    actor: &User,
    id: i64,
    target: &User,
    g: Guard,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    change(store, id, actor, now, g, |cur| {
        decide_assign(p, cur, actor, target)
    })
}

pub fn decide_assign(
    p: &Pipeline,
    cur: &Record,
    actor: &User,
    target: &User,
) -> OpResult<(Record, EventSpec)> {
    let role = owner_role(p, cur).unwrap_or("").to_string();
    if p.stage(stage_ix(p, cur)?).terminal {
        return Err(deny(cur, "assign", "the record is closed".into()));
    }
    if !may_work(p, cur, actor) {
        return Err(deny(
            cur,
            "assign",
            format!(
                "`{}` does not hold role `{role}` or a supervising role",
                actor.name
            ),
        ));
    }
    if !target.has_role(&role) && !supervises(p, target) {
        return Err(deny(
            cur,
            "assign",
            format!("`{}` does not hold the owning role `{role}`", target.name),
        ));
    }
    if cur.assignee.as_deref() == Some(target.name.as_str()) {
        return Err(deny(
            cur,
            "assign",
            format!("already assigned to `{}`", target.name),
        ));
    }
    let mut next = cur.clone();
    next.assignee = Some(target.name.clone());
    let kind = if target.name == actor.name {
        "claim"
    } else {
        "assign"
    };
    Ok((
        next,
        EventSpec {
            kind,
            from: cur.assignee.clone(),
            to: Some(target.name.clone()),
            ..Default::default()
        },
    ))
}

/// The acting user takes the record.
pub fn claim(
    p: &Pipeline,
    store: &mut Store,
    actor: &User,
    id: i64,
    g: Guard,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    assign(p, store, actor, id, actor, g, now)
}

/// Returns the record to the unowned queue of its role.
pub fn release(
    p: &Pipeline,
    store: &mut Store,
    actor: &User,
    id: i64,
    g: Guard,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    change(store, id, actor, now, g, |cur| {
        let Some(who) = cur.assignee.clone() else {
            return Err(deny(cur, "release", "the record has no assignee".into()));
        };
        if who != actor.name && !supervises(p, actor) {
            return Err(deny(
                cur,
                "release",
                format!("it is assigned to `{who}`; only they or a supervisor may release it"),
            ));
        }
        let mut next = cur.clone();
        next.assignee = None;
        Ok((
            next,
            EventSpec {
                kind: "release",
                from: Some(who),
                ..Default::default()
            },
        ))
    })
}

/// Sets (`Some`) or clears (`None`) the sub-status; pausing values stop the SLA clock.
pub fn set_substatus(
    p: &Pipeline,
    store: &mut Store,
    actor: &User,
    id: i64,
    value: Option<&str>,
    g: Guard,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    change(store, id, actor, now, g, |cur| {
        decide_substatus(p, cur, actor, value, now)
    })
}

pub fn decide_substatus(
    p: &Pipeline,
    cur: &Record,
    actor: &User,
    value: Option<&str>,
    now: DateTime<Utc>,
) -> OpResult<(Record, EventSpec)> {
    let six = stage_ix(p, cur)?;
    let stage = p.stage(six);
    if !may_work(p, cur, actor) {
        return Err(deny(
            cur,
            "sub-status",
            format!("`{}` does not hold the owning role", actor.name),
        ));
    }
    let pauses_now = cur
        .substatus
        .as_deref()
        .and_then(|s| stage.substatus(s))
        .is_some_and(|s| s.pauses);
    let pauses_next = match value {
        Some(v) => match stage.substatus(v) {
            Some(s) => s.pauses,
            None => {
                let known: Vec<&str> = stage.substatuses.iter().map(|s| s.id.as_str()).collect();
                let known = if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                };
                return Err(deny(
                    cur,
                    "sub-status",
                    format!("`{v}` is not a sub-status of this stage (allowed: {known})"),
                ));
            }
        },
        None if cur.substatus.is_none() => {
            return Err(deny(cur, "sub-status clear", "no sub-status is set".into()));
        }
        None => false,
    };
    if value == cur.substatus.as_deref() {
        return Err(deny(cur, "sub-status", "it is already set".into()));
    }
    let mut next = cur.clone();
    next.substatus = value.map(str::to_string);
    let clock = ClockState::of(cur);
    let kind = match (pauses_now, pauses_next) {
        (false, true) => {
            set_clock(&mut next, sla::pause(p, six, clock, now));
            "pause"
        }
        (true, false) => {
            set_clock(&mut next, sla::resume(p, six, clock, now));
            "resume"
        }
        _ => "substatus",
    };
    Ok((
        next,
        EventSpec {
            kind,
            from: cur.substatus.clone(),
            to: value.map(str::to_string),
            ..Default::default()
        },
    ))
}

/// Adds a note to the record's history.
pub fn note(
    store: &mut Store,
    actor: &User,
    id: i64,
    text: &str,
    g: Guard,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    let text = text.trim();
    if text.is_empty() {
        return Err(OpError::Invalid("note is empty".into()));
    }
    if text.len() > super::MAX_TEXT {
        return Err(OpError::Invalid(format!(
            "note is longer than {} bytes",
            super::MAX_TEXT
        )));
    }
    change(store, id, actor, now, g, |cur| {
        Ok((
            cur.clone(),
            EventSpec {
                kind: "note",
                note: Some(text.to_string()),
                ..Default::default()
            },
        ))
    })
}

/// Records why a breach happened, from the stage's breach-reason taxonomy.
#[allow(clippy::too_many_arguments)]
pub fn ack(
    p: &Pipeline,
    store: &mut Store,
    actor: &User,
    id: i64,
    reason: &str,
    note_text: Option<&str>,
    g: Guard,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    change(store, id, actor, now, g, |cur| {
        decide_ack(p, cur, actor, reason, note_text, now)
    })
}

pub fn decide_ack(
    p: &Pipeline,
    cur: &Record,
    actor: &User,
    reason: &str,
    note_text: Option<&str>,
    now: DateTime<Utc>,
) -> OpResult<(Record, EventSpec)> {
    let stage = p.stage(stage_ix(p, cur)?);
    if !sla::breached(cur, now) {
        return Err(deny(cur, "acknowledge", "the SLA is not breached".into()));
    }
    if let Some(r) = &cur.breach_reason {
        return Err(deny(
            cur,
            "acknowledge",
            format!("the breach is already acknowledged (`{r}`)"),
        ));
    }
    if !may_work(p, cur, actor) {
        return Err(deny(
            cur,
            "acknowledge",
            format!(
                "`{}` does not hold the owning role or a supervising role",
                actor.name
            ),
        ));
    }
    if !stage.breach_reasons.iter().any(|c| c == reason) {
        return Err(deny(
            cur,
            "acknowledge",
            format!(
                "`{reason}` is not a breach reason of this stage (one of: {})",
                stage.breach_reasons.join(", ")
            ),
        ));
    }
    let mut next = cur.clone();
    next.breach_reason = Some(reason.to_string());
    Ok((
        next,
        EventSpec {
            kind: "ack",
            reason: Some(reason.to_string()),
            note: note_text.map(str::to_string),
            ..Default::default()
        },
    ))
}
