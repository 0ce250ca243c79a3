//! What users and the system do to records. Each operation loads the record,
//! asks the engine, and writes the new state with its event in one
//! transaction. The CLI and the console call these and nothing lower, and
//! show what they return through [`present`], so both front ends read the
//! same words.

mod actions;
mod annotate;
mod changed;
pub mod checkpoints;
mod create;
pub mod fhir;
pub mod filter_expr;
pub mod formula;
pub mod identity;
mod import;
pub mod ingest;
pub mod notify;
mod ownership;
pub mod pipeline_change;
pub mod present;
pub mod reads;
mod sweep;
pub mod team;
pub mod trend;
pub mod verify;
pub mod views;

pub use actions::*;
pub use annotate::*;
pub use changed::{LastChange, Overtaken, who_changed};
pub use create::*;
pub use identity::{Actor, actor};
pub use import::*;
pub use ownership::*;
pub use sweep::{SweepReport, sweep};
pub use sweep::{escalate, fire_timer, warn};

use carequeue_core::domain::{Pipeline, StageIx};
use carequeue_core::engine::rules::Refusal;
use carequeue_core::engine::{Record, User};
use carequeue_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Refused(#[from] Box<Refusal>),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A refusal of something done to a record other than a transition.
    #[error("record {id}: {what} refused in stage `{stage}`: {why}")]
    RecordDenied {
        id: i64,
        stage: String,
        what: String,
        why: String,
    },
    /// A refusal that is about no one record: names the rule.
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    Invalid(String),
    /// A timer or escalation the sweep found not yet due (the sweep's own
    /// signal; it never reaches a user).
    #[error("not due")]
    NotDue,
}

impl OpError {
    /// Why, without naming the record: refusals of many records group by it.
    pub fn reason(&self) -> String {
        match self {
            OpError::Refused(r) => r.without_record(),
            OpError::RecordDenied {
                stage, what, why, ..
            } => format!("{what} refused in stage `{stage}`: {why}"),
            other => other.to_string(),
        }
    }
}

pub type OpResult<T> = Result<T, OpError>;

pub use carequeue_core::engine::authority::{
    SYSTEM, is_admin, log_readers, may_export, owner_role, supervises,
};

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
