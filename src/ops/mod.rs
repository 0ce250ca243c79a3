//! What users and the system do to records. Each operation loads the record,
//! asks the engine, and writes the new state with its event in one
//! transaction. The CLI and the console call these and nothing lower.

mod actions;
mod annotate;
pub mod checkpoints;
mod create;
pub mod filter_expr;
pub mod formula;
pub mod identity;
mod import;
mod ownership;
pub mod pipeline_change;
pub mod reads;
mod sweep;
pub mod team;
pub mod views;

pub use actions::*;
pub use annotate::*;
pub use create::*;
pub use identity::{Actor, actor};
pub use import::*;
pub use ownership::*;
pub use sweep::{ESCALATIONS_DUE_SQL, SweepReport, TIMERS_DUE_SQL, sweep};
pub(crate) use sweep::{escalate, fire_timer};

use crate::domain::{Pipeline, StageIx};
use crate::engine::rules::Refusal;
use crate::engine::{Record, User};
use crate::store::StoreError;

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

/// The roles whose holders may read the access log: admin and
/// supervising roles (kept on PostgreSQL, whose server enforces it).
pub fn log_readers(p: &Pipeline) -> Vec<String> {
    p.roles
        .iter()
        .filter(|r| r.admin || r.supervises)
        .map(|r| r.id.clone())
        .collect()
}

/// Holds an admin role: manages the team, applies pipelines, imports.
pub fn is_admin(p: &Pipeline, u: &User) -> bool {
    p.roles.iter().any(|r| r.admin && u.has_role(&r.id))
}

/// May export patient data (the pipeline's `export_roles`).
pub fn may_export(p: &Pipeline, u: &User) -> bool {
    p.export_roles.iter().any(|r| u.has_role(&p.role(*r).id))
}

/// Refuses unless `u` holds an admin role.
pub fn require_admin(p: &Pipeline, u: &User, what: &str) -> OpResult<()> {
    if is_admin(p, u) {
        return Ok(());
    }
    let admins: Vec<&str> = p
        .roles
        .iter()
        .filter(|r| r.admin)
        .map(|r| r.id.as_str())
        .collect();
    Err(OpError::Denied(format!(
        "{what} needs an admin role ({}); `{}` holds none",
        admins.join(", "),
        u.name
    )))
}

pub(crate) fn stage_ix(p: &Pipeline, r: &Record) -> OpResult<StageIx> {
    p.stage_ix(&r.stage).ok_or_else(|| {
        OpError::Invalid(format!(
            "record {}: stage `{}` is not in the pipeline (was it renamed?)",
            r.id, r.stage
        ))
    })
}
