//! Changing the pipeline in force: `pipeline diff` and `pipeline apply`.
//! Apply checks, carries and re-times in one transaction: records of a
//! renamed (or `--map`ped) stage move with one `rename` event each, users
//! of a renamed role follow it, and open records in stages whose clocks
//! changed get their due, warn and timer times recomputed without an
//! event (replay recomputes the same).

pub mod diff;
pub mod plan;

use super::identity::Actor;
use super::{OpError, OpResult, is_admin, require_admin};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::retime;
use carequeue_core::log::EventKind;
use carequeue_store::db::write;
use carequeue_store::pipelines as setup;
use carequeue_store::{Board, NewEvent};
use chrono::{DateTime, Utc};
pub use plan::{Plan, StageMove};

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    pub hash: String,
    /// Records carried to a new stage id (one `rename` event each).
    pub moved: i64,
    /// Users whose roles followed a rename.
    pub users: usize,
    /// Open records whose clocks were recomputed.
    pub retimed: i64,
}

/// The plan for `new` against the database, refused if bad maps.
pub fn preview(
    store: &dyn Board,
    old: &Pipeline,
    new: &Pipeline,
    maps: &[(String, String)],
) -> OpResult<Plan> {
    let mut out = None;
    store.reads(&mut |r| {
        out = Some(plan::plan(r, old, new, maps)?);
        Ok(())
    })?;
    out.ok_or_else(|| OpError::Invalid("the plan could not be read".into()))?
        .map_err(OpError::Invalid)
}

/// Replaces the pipeline in force (admins only). Refuses, with counts,
/// whatever the new pipeline would strand.
pub fn apply(
    store: &mut dyn Board,
    actor: &Actor,
    old: &Pipeline,
    new: &Pipeline,
    text: &str,
    maps: &[(String, String)],
    now: DateTime<Utc>,
) -> OpResult<Applied> {
    require_admin(old, actor, "applying a pipeline")?;
    if !is_admin(new, actor) && !holds_renamed_admin(new, actor) {
        return Err(OpError::Invalid(
            "the new pipeline would leave you holding no admin role".into(),
        ));
    }
    crate::reads::before_change(store, &actor.name, None, "pipeline apply: records re-timed")?;
    let t = now.timestamp();
    let applied = write(store, |tx| -> OpResult<Applied> {
        let t = tx.dated().unwrap_or(t);
        if let Some(c) = tx.current_pipeline()?
            && c.hash == setup::pipeline_hash(text)
        {
            return Err(OpError::Invalid(format!(
                "this text is already the pipeline in force (version {}); nothing to apply",
                c.version
            )));
        }
        let plan = plan::plan(tx.in_use(), old, new, maps)?.map_err(OpError::Invalid)?;
        if !plan.stranded.is_empty() {
            return Err(OpError::Invalid(format!(
                "the pipeline was not applied; it would strand what is in use: {}",
                plan.stranded.join("; ")
            )));
        }
        let mut moved = 0;
        for m in &plan.moves {
            for id in tx.ids_in_stage(&m.from)? {
                let cur = tx.load(id)?;
                let at = t.max(cur.updated_at);
                let mut next = cur.clone();
                next.stage = m.to.clone();
                next.updated_at = at;
                let how = if m.mapped { "--map" } else { "renamed_from" };
                tx.save(
                    Some(&cur),
                    &mut next,
                    &NewEvent {
                        record_id: Some(id),
                        at,
                        actor: &actor.name,
                        from: Some(&m.from),
                        to: Some(&m.to),
                        note: Some(how),
                        ..NewEvent::blank(EventKind::Rename)
                    },
                )?;
                moved += 1;
            }
        }
        let renamed = plan::renamed_members(new, tx.members()?);
        for m in &renamed {
            tx.save_user(&actor.name, m, is_admin(new, &m.user()), t)?;
        }
        let version = tx.store_pipeline(&actor.name, "apply", text, t, &super::log_readers(new))?;
        tx.index_fields(&crate::team::filterable(new))?;
        for (from, to) in &plan.roles {
            tx.rename_role_in_records(from, to)?;
        }
        let mut retimed = 0;
        for stage in retime::changed_stages(old, new) {
            for id in tx.ids_in_stage(&stage)? {
                let old_r = tx.load(id)?;
                let stay = tx.stay(&old_r)?;
                let mut r = old_r.clone();
                retime::carry_roles(new, &mut r);
                retime::retime(new, &mut r, &stay);
                tx.rewrite_clock(&old_r, &r)?;
                retimed += 1;
            }
        }
        Ok(Applied {
            version,
            hash: setup::pipeline_hash(text),
            moved,
            users: renamed.len(),
            retimed,
        })
    })?;
    store.expect_pipeline(Some(applied.hash.clone()));
    Ok(applied)
}

/// Whether the actor holds a role the new pipeline renamed to an admin one.
fn holds_renamed_admin(new: &Pipeline, actor: &Actor) -> bool {
    actor.roles.iter().any(|r| {
        new.renames
            .roles
            .get(r)
            .is_some_and(|ix| new.role(*ix).admin)
    })
}
