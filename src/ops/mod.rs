//! What users and the system do to records. Each operation loads the record,
//! asks the engine, and writes the new state with its event in one
//! transaction. The CLI and the console call these and nothing lower.

mod actions;
mod annotate;
mod create;
mod import;
mod ownership;
mod sweep;

pub use actions::*;
pub use annotate::*;
pub use create::*;
pub use import::*;
pub use ownership::*;
pub use sweep::{ESCALATIONS_DUE_SQL, SweepReport, TIMERS_DUE_SQL, sweep};
pub(crate) use sweep::{escalate, fire_timer};

use crate::domain::{Pipeline, StageIx};
use crate::engine::rules::Refusal;
use crate::engine::{Record, User};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Refused(#[from] Box<Refusal>),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A refusal that is not about a transition: names record and rule.
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    Invalid(String),
}

pub type OpResult<T> = Result<T, OpError>;

/// The system actor: timers and escalations.
pub const SYSTEM: &str = "system";

/// Looks up the acting user; an unknown user may do nothing.
pub fn actor(store: &Store, name: &str) -> OpResult<User> {
    if name == SYSTEM {
        return Ok(User {
            name: SYSTEM.to_string(),
            roles: Vec::new(),
        });
    }
    store.user(name)?.ok_or_else(|| {
        OpError::Denied(format!(
            "unknown user `{name}`: add them with `carequeue user add {name} --role ROLE` or act as another with --as"
        ))
    })
}

/// The role that owns `r` now: an escalation's reassignment, else the stage's owner.
pub fn owner_role<'p>(p: &'p Pipeline, r: &'p Record) -> Option<&'p str> {
    if let Some(role) = r.owner_role.as_deref() {
        return Some(role);
    }
    let stage = p.stage_ix(&r.stage)?;
    p.stage(stage).owner.map(|o| p.role(o).id.as_str())
}

pub fn supervises(p: &Pipeline, u: &User) -> bool {
    p.roles.iter().any(|r| r.supervises && u.has_role(&r.id))
}

pub(crate) fn stage_ix(p: &Pipeline, r: &Record) -> OpResult<StageIx> {
    p.stage_ix(&r.stage).ok_or_else(|| {
        OpError::Invalid(format!(
            "record {}: stage `{}` is not in the pipeline (was it renamed?)",
            r.id, r.stage
        ))
    })
}
