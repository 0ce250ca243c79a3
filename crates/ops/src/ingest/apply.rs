//! One request applied inside the caller's transaction: `ingest` gives
//! each line a transaction of its own, or all of them one (`--atomic`).

use super::{Line, Request};
use crate::actions::{ChangeOpts, change_in, check_move, move_in};
use crate::{OpError, OpResult, check_len, check_note, decide_ack, decide_assign, decide_note};
use crate::{decide_release, decide_substatus};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::User;
use carequeue_core::engine::rules::MoveArgs;
use carequeue_store::Tx;
use chrono::{DateTime, Utc};

/// What a line came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied now, on this record.
    Done(i64),
    /// Its operation id was applied before, on this record: nothing done.
    Repeated(i64),
}

/// Applies `line` as `actor` at `now` in `tx`.
pub fn apply_in(
    tx: &mut dyn Tx,
    p: &Pipeline,
    actor: &User,
    line: &Line,
    now: DateTime<Utc>,
) -> OpResult<Outcome> {
    let op = line.op_id.as_str();
    if let Some((seen, kind)) = tx.op_kind(op)? {
        let shown = crate::present::shown(op);
        return match line.req.record() {
            Some(r) if r != seen => Err(OpError::Invalid(format!(
                "operation id `{shown}` was already used for record {seen}, not record {r}"
            ))),
            // The same id on another kind of request: a collision of the
            // sender's ids, not a retry.
            _ if !kind.known().is_some_and(|k| line.req.logs().contains(&k)) => {
                Err(OpError::Invalid(format!(
                    "operation id `{shown}` was already used for a `{}` on record {seen}, not for `{}`",
                    kind.as_str(),
                    line.req.op()
                )))
            }
            _ => Ok(Outcome::Repeated(seen)),
        };
    }
    let g = ChangeOpts {
        expect_version: line.expect_version,
        op_id: Some(op),
    };
    let id = match &line.req {
        Request::Add { patient, fields } => {
            crate::check_patient(patient)?;
            crate::check_fields(p, fields)?;
            crate::create::add_in(tx, p, actor, patient, fields, Some(op), now)?
        }
        Request::Move {
            record,
            event,
            reason,
            breach_reason,
            note,
        } => {
            let args = MoveArgs {
                reason: reason.as_deref(),
                breach_reason: breach_reason.as_deref(),
                note: note.as_deref(),
                system: false,
                override_reason: None,
            };
            check_move(p, actor, *record, &args)?;
            move_in(tx, p, actor, *record, event, &args, g, now)?.id
        }
        Request::Note { record, text } => {
            let text = check_note(text)?;
            change_in(tx, *record, actor, now, g, |cur, _| {
                Ok(decide_note(cur, text))
            })?
            .id
        }
        Request::Substatus { record, value } => {
            let value = value.as_deref();
            change_in(tx, *record, actor, now, g, |cur, now| {
                decide_substatus(p, cur, actor, value, now)
            })?
            .id
        }
        Request::Assign { record, user } => {
            let target = tx
                .member(user)?
                .filter(|m| m.enabled)
                .map(|m| m.user())
                .ok_or_else(|| {
                    OpError::Invalid(format!("unknown user `{}`", crate::present::shown(user)))
                })?;
            change_in(tx, *record, actor, now, g, |cur, _| {
                decide_assign(p, cur, actor, &target)
            })?
            .id
        }
        Request::Claim { record } => {
            change_in(tx, *record, actor, now, g, |cur, _| {
                decide_assign(p, cur, actor, actor)
            })?
            .id
        }
        Request::Release { record } => {
            change_in(tx, *record, actor, now, g, |cur, _| {
                decide_release(p, cur, actor)
            })?
            .id
        }
        Request::Ack {
            record,
            reason,
            note,
        } => {
            check_len("reason", reason)?;
            if let Some(n) = note {
                check_len("note", n)?;
            }
            change_in(tx, *record, actor, now, g, |cur, now| {
                decide_ack(p, cur, actor, reason, note.as_deref(), now)
            })?
            .id
        }
    };
    Ok(Outcome::Done(id))
}
