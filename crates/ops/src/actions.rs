//! Changes to an existing record: the one-transaction wrapper every change
//! goes through, and moves. Ownership and annotations live beside it.

use super::{OpError, OpResult, owner_role, supervises};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::rules::{self, MoveArgs};
use carequeue_core::engine::sla::ClockState;
use carequeue_core::engine::{Record, User};
use carequeue_core::log::EventKind;
use carequeue_store::db::{self, Db, Tx};
use carequeue_store::{NewEvent, StoreError};
use chrono::{DateTime, Utc};
/// The event a change appends.
#[derive(Debug, Clone)]
pub struct EventSpec {
    pub kind: EventKind,
    pub event: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub data: Option<String>,
}

impl EventSpec {
    /// An event of `kind` with nothing else said yet.
    pub fn of(kind: EventKind) -> EventSpec {
        EventSpec {
            kind,
            event: None,
            from: None,
            to: None,
            reason: None,
            note: None,
            data: None,
        }
    }
}

/// Options every change accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangeOpts<'a> {
    /// Refuse if the record's version is no longer this (a stale view).
    pub expect_version: Option<i64>,
    /// An idempotency key: a retried operation is not applied twice.
    pub op_id: Option<&'a str>,
}

/// Loads, decides, saves and logs in one transaction. Returns the new state.
pub(crate) fn change(
    store: &mut dyn Db,
    id: i64,
    actor: &User,
    now: DateTime<Utc>,
    g: ChangeOpts,
    decide: impl FnOnce(&Record, DateTime<Utc>) -> OpResult<(Record, EventSpec)>,
) -> OpResult<Record> {
    crate::reads::before_change(store, &actor.name, Some(id), "a change to this record")?;
    db::write(store, |tx| change_in(tx, id, actor, now, g, decide))
}

/// [`change`] inside the caller's transaction (the sweep batches many).
pub(crate) fn change_in(
    tx: &mut dyn Tx,
    id: i64,
    actor: &User,
    now: DateTime<Utc>,
    g: ChangeOpts,
    decide: impl FnOnce(&Record, DateTime<Utc>) -> OpResult<(Record, EventSpec)>,
) -> OpResult<Record> {
    if let Some(op) = g.op_id
        && let Some(seen) = tx.op_seen(op)?
    {
        // A retry of an operation already applied: nothing to do. The
        // same id on another record is a different operation, refused
        // rather than silently skipped.
        if seen != id {
            return Err(OpError::Invalid(format!(
                "operation id `{op}` was already used for record {seen}, not record {id}"
            )));
        }
        return Ok(tx.load(id)?);
    }
    let cur = tx.load(id)?;
    if let Some(v) = g.expect_version
        && v != cur.version
    {
        return Err(StoreError::Stale {
            id,
            expected: v,
            actual: Some(cur.version),
        }
        .into());
    }
    // A clock stepped back never dates an event before the record's
    // latest: the change happens, and is judged, at that instant.
    let now = dated(tx, now);
    let now = match DateTime::from_timestamp(cur.updated_at, 0) {
        Some(last) if last > now => last,
        _ => now,
    };
    let (mut next, ev) = decide(&cur, now)?;
    next.updated_at = now.timestamp();
    tx.save(
        Some(&cur),
        &mut next,
        &NewEvent {
            record_id: Some(id),
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

/// The time `tx` dates its changes by: the store's where it decides
/// (PostgreSQL's server), else `now`.
pub(crate) fn dated(tx: &dyn Tx, now: DateTime<Utc>) -> DateTime<Utc> {
    tx.dated()
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .unwrap_or(now)
}

/// Fires a transition.
#[allow(clippy::too_many_arguments)]
pub fn move_record(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &super::Actor,
    id: i64,
    event: &str,
    args: &MoveArgs,
    g: ChangeOpts,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    check_move(p, actor, id, args)?;
    crate::reads::before_change(store, &actor.name, Some(id), "a change to this record")?;
    db::write(store, |tx| move_in(tx, p, actor, id, event, args, g, now))
}

/// What a move is given, checked before its transaction: lengths, and an
/// override's reason and role.
pub(crate) fn check_move(p: &Pipeline, actor: &User, id: i64, args: &MoveArgs) -> OpResult<()> {
    for (what, text) in [
        ("note", args.note),
        ("--override reason", args.override_reason),
        ("reason", args.reason),
        ("breach reason", args.breach_reason),
    ] {
        if let Some(t) = text {
            super::check_len(what, t)?;
        }
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
    Ok(())
}

/// A move inside the caller's transaction (checked by [`check_move`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn move_in(
    tx: &mut dyn Tx,
    p: &Pipeline,
    actor: &User,
    id: i64,
    event: &str,
    args: &MoveArgs,
    g: ChangeOpts,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    let Some(breach) = args.breach_reason else {
        return change_in(tx, id, actor, now, g, |cur, now| {
            decide_move(p, cur, actor, event, args, now)
        });
    };
    // Both reasons: the breach is acknowledged, then the event fires, in
    // one transaction (two events, so the audit and replay read each).
    if let Some(op) = g.op_id
        && tx.op_seen(op)?.is_some()
    {
        // A retry of an operation already applied.
        return Ok(tx.load(id)?);
    }
    let first = ChangeOpts {
        expect_version: g.expect_version,
        op_id: None,
    };
    change_in(tx, id, actor, now, first, |cur, now| {
        super::decide_ack(p, cur, actor, breach, None, now)
    })?;
    let rest = MoveArgs {
        breach_reason: None,
        ..args.clone()
    };
    let then = ChangeOpts {
        expect_version: None,
        op_id: g.op_id,
    };
    change_in(tx, id, actor, now, then, |cur, now| {
        decide_move(p, cur, actor, event, &rest, now)
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
        EventKind::Timer
    } else if args.override_reason.is_some() {
        EventKind::Override
    } else {
        EventKind::Transition
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

pub(super) fn set_clock(r: &mut Record, c: ClockState) {
    r.due_at = c.due_at;
    r.warn_at = c.warn_at;
    r.paused_since = c.paused_since;
    r.paused_left = c.paused_left;
}

pub(super) fn may_work(p: &Pipeline, r: &Record, u: &User) -> bool {
    supervises(p, u) || owner_role(p, r).is_some_and(|role| u.has_role(role))
}

pub(super) fn deny(r: &Record, what: &str, why: String) -> OpError {
    OpError::RecordDenied {
        id: r.id,
        stage: r.stage.clone(),
        what: what.to_string(),
        why,
    }
}
