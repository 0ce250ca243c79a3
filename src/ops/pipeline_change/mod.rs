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
use crate::domain::Pipeline;
use crate::engine::retime;
use crate::store::{NewEvent, Store, events, in_use, records, setup, users};
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
    store: &Store,
    old: &Pipeline,
    new: &Pipeline,
    maps: &[(String, String)],
) -> OpResult<Plan> {
    plan::plan(store.conn(), old, new, maps)?.map_err(OpError::Invalid)
}

/// Replaces the pipeline in force (admins only). Refuses, with counts,
/// whatever the new pipeline would strand.
pub fn apply(
    store: &mut Store,
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
    let t = now.timestamp();
    let applied = store.write(|tx| -> OpResult<Applied> {
        if let Some(c) = setup::current_pipeline(tx)?
            && c.hash == setup::pipeline_hash(text)
        {
            return Err(OpError::Invalid(format!(
                "this text is already the pipeline in force (version {}); nothing to apply",
                c.version
            )));
        }
        let plan = plan::plan(tx, old, new, maps)?.map_err(OpError::Invalid)?;
        if !plan.stranded.is_empty() {
            return Err(OpError::Invalid(format!(
                "the pipeline was not applied; it would strand what is in use: {}",
                plan.stranded.join("; ")
            )));
        }
        let mut chain = events::Appender::load(tx)?;
        let mut moved = 0;
        for m in &plan.moves {
            for id in in_use::ids_in_stage(tx, &m.from)? {
                let cur = records::load(tx, id)?;
                let at = t.max(cur.updated_at);
                let mut next = cur.clone();
                next.stage = m.to.clone();
                next.updated_at = at;
                next.version = records::update(tx, &cur, &next)?;
                let how = if m.mapped { "--map" } else { "renamed_from" };
                chain.append(
                    tx,
                    &NewEvent {
                        record_id: Some(id),
                        at,
                        actor: &actor.name,
                        kind: "rename",
                        from: Some(&m.from),
                        to: Some(&m.to),
                        note: Some(how),
                        ..Default::default()
                    },
                )?;
                moved += 1;
            }
        }
        let renamed = plan::renamed_members(new, users::members(tx)?);
        for m in &renamed {
            users::save(tx, &mut chain, &actor.name, m, t)?;
        }
        let version = setup::store_pipeline(tx, &mut chain, &actor.name, "apply", text, t)?;
        crate::store::filter::index_fields(tx, &crate::ops::team::filterable(new))?;
        for (from, to) in &plan.roles {
            in_use::rename_role_in_records(tx, from, to)?;
        }
        let mut retimed = 0;
        for stage in retime::changed_stages(old, new) {
            for id in in_use::ids_in_stage(tx, &stage)? {
                let old_r = records::load(tx, id)?;
                let stay = in_use::stay(tx, &old_r)?;
                let mut r = old_r.clone();
                retime::carry_roles(new, &mut r);
                retime::retime(new, &mut r, &stay);
                in_use::rewrite_clock(tx, &old_r, &r)?;
                retimed += 1;
            }
        }
        chain.finish(tx)?;
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
