//! Who may do what, as the pipeline in force says: the owning role of a
//! record, and which roles supervise, administer, export or read the
//! access log. Every layer asks here, so a rule reads the same to the
//! engine, the store's checks and both front ends.

use super::record::{Record, User};
use crate::domain::Pipeline;

/// The system actor: timers and escalations. Nobody may act as it.
pub const SYSTEM: &str = "system";

/// The role that owns `r` now: an escalation's reassignment, else the stage's owner.
pub fn owner_role<'p>(p: &'p Pipeline, r: &'p Record) -> Option<&'p str> {
    if let Some(role) = r.owner_role.as_deref() {
        return Some(role);
    }
    let stage = p.stage_ix(&r.stage)?;
    p.stage(stage).owner.map(|o| p.role(o).id.as_str())
}

/// Holds a supervising role: may assign, release, acknowledge breaches and
/// override guards.
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
