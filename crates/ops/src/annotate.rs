//! Sub-status (with SLA pause and resume), notes, breach acknowledgement.

use super::actions::{ChangeOpts, EventSpec, change, deny, may_work, set_clock};
use super::{OpError, OpResult, stage_ix};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::sla::{self, ClockState};
use carequeue_core::engine::{Record, User};
use carequeue_core::log::EventKind;
use carequeue_store::Db;
use chrono::{DateTime, Utc};

/// Sets (`Some`) or clears (`None`) the sub-status; pausing values stop the SLA clock.
pub fn set_substatus(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &super::Actor,
    id: i64,
    value: Option<&str>,
    g: ChangeOpts,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    change(store, id, actor, now, g, |cur, now| {
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
                    format!(
                        "`{}` is not a sub-status of this stage (allowed: {known})",
                        crate::present::shown(v)
                    ),
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
            EventKind::Pause
        }
        (true, false) => {
            set_clock(&mut next, sla::resume(p, six, clock, now));
            EventKind::Resume
        }
        _ => EventKind::Substatus,
    };
    // The clock stopped or started: the next warning moves with it (a
    // plain sub-status leaves both as they are).
    if kind != EventKind::Substatus {
        carequeue_core::engine::warnings::refresh(p, &mut next);
    }
    Ok((
        next,
        EventSpec {
            from: cur.substatus.clone(),
            to: value.map(str::to_string),
            ..EventSpec::of(kind)
        },
    ))
}

/// Adds a note to the record's history.
pub fn note(
    store: &mut dyn Db,
    actor: &super::Actor,
    id: i64,
    text: &str,
    g: ChangeOpts,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    let text = check_note(text)?;
    change(store, id, actor, now, g, |cur, _| {
        Ok(decide_note(cur, text))
    })
}

/// A note's text, trimmed, or why it cannot be one.
pub fn check_note(text: &str) -> OpResult<&str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(OpError::Invalid("note is empty".into()));
    }
    super::check_len("note", text)?;
    Ok(text)
}

/// A note on `cur`: the record unchanged, and the event.
pub fn decide_note(cur: &Record, text: &str) -> (Record, EventSpec) {
    (
        cur.clone(),
        EventSpec {
            note: Some(text.to_string()),
            ..EventSpec::of(EventKind::Note)
        },
    )
}

/// Records why a breach happened, from the stage's breach-reason taxonomy.
#[allow(clippy::too_many_arguments)]
pub fn ack(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &super::Actor,
    id: i64,
    reason: &str,
    note_text: Option<&str>,
    g: ChangeOpts,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    super::check_len("reason", reason)?;
    if let Some(n) = note_text {
        super::check_len("note", n)?;
    }
    change(store, id, actor, now, g, |cur, now| {
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
                "`{}` is not a breach reason of this stage (one of: {})",
                crate::present::shown(reason),
                stage.breach_reasons.join(", ")
            ),
        ));
    }
    let mut next = cur.clone();
    next.breach_reason = Some(reason.to_string());
    Ok((
        next,
        EventSpec {
            reason: Some(reason.to_string()),
            note: note_text.map(str::to_string),
            ..EventSpec::of(EventKind::Ack)
        },
    ))
}
