//! Who owns a record: assign, claim, release.

use super::actions::{ChangeOpts, EventSpec, change, deny, may_work};
use super::{OpResult, owner_role, stage_ix, supervises};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::{Record, User};
use carequeue_core::log::EventKind;
use carequeue_store::Db;
use chrono::{DateTime, Utc};

/// Gives the record to `target`, who must hold the role that owns it now.
pub fn assign(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &super::Actor,
    id: i64,
    target: &User,
    g: ChangeOpts,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    change(store, id, actor, now, g, |cur, _| {
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
    if let Some(holder) = cur.assignee.as_deref()
        && holder != actor.name
        && holder != target.name
        && !supervises(p, actor)
    {
        return Err(deny(
            cur,
            "assign",
            format!(
                "it is held by `{holder}`; taking a record someone holds needs a supervising role (or `{holder}` can release it)"
            ),
        ));
    }
    if target.name == actor.name && !could_fire(p, cur, target) {
        return Err(deny(
            cur,
            "claim",
            format!(
                "`{}` could fire no event in stage `{}`; assign it to someone who holds `{role}`",
                target.name, cur.stage
            ),
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
        EventKind::Claim
    } else {
        EventKind::Assign
    };
    Ok((
        next,
        EventSpec {
            from: cur.assignee.clone(),
            to: Some(target.name.clone()),
            ..EventSpec::of(kind)
        },
    ))
}

/// Whether `u` holds a role that may fire some event from the record's stage.
fn could_fire(p: &Pipeline, cur: &Record, u: &User) -> bool {
    let Some(stage) = p.stage_ix(&cur.stage) else {
        return false;
    };
    p.transitions
        .iter()
        .filter(|t| t.from.contains(&stage))
        .any(|t| t.roles.iter().any(|r| u.has_role(&p.role(*r).id)))
}

/// The acting user takes the record.
pub fn claim(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &super::Actor,
    id: i64,
    g: ChangeOpts,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    assign(p, store, actor, id, actor, g, now)
}

/// Returns the record to the unowned queue of its role.
pub fn release(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &super::Actor,
    id: i64,
    g: ChangeOpts,
    now: DateTime<Utc>,
) -> OpResult<Record> {
    change(store, id, actor, now, g, |cur, _| {
        decide_release(p, cur, actor)
    })
}

/// The release of `cur` by `actor`: the record and its event, or why not.
pub fn decide_release(p: &Pipeline, cur: &Record, actor: &User) -> OpResult<(Record, EventSpec)> {
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
            from: Some(who),
            ..EventSpec::of(EventKind::Release)
        },
    ))
}
