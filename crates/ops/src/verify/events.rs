//! Would carequeue have written this event? Each kind is judged by the same
//! decisions the operations make when they write it (`decide_move`,
//! `decide_assign`, `fire_timer`, …), on the record as its history left it
//! just before, under the pipeline then in force, for the actor with the
//! roles they held then. What only an admin path writes (a snapshot, a
//! rename, an import's history) is judged by who wrote it and where.

use super::records::Context;
use crate::actions::decide_move;
use crate::annotate::{decide_ack, decide_substatus};
use crate::ownership::{decide_assign, decide_release};
use crate::sweep::{escalate, fire_timer, warn};
use crate::{OpError, is_admin, supervises};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::rules::MoveArgs;
use carequeue_core::engine::{Record, SYSTEM, User};
use carequeue_core::log::{EventKind, EventRow};
use chrono::{DateTime, Utc};

/// Where an event stands in its record's history.
pub(super) struct Place<'a> {
    /// The record's first event (its create, or an adopt's snapshot).
    pub first: &'a EventRow,
    /// Whether this is the first.
    pub is_first: bool,
}

/// Why `e` is not an event carequeue would have written, if it is not.
pub(super) fn judge(
    ctx: &Context,
    p: &Pipeline,
    before: &Record,
    e: &EventRow,
    kind: EventKind,
    at: Place,
) -> Option<String> {
    if e.actor == SYSTEM && !kind.by_system() {
        return Some(format!(
            "`{kind}` by the system actor, which only fires timers, escalations and warnings"
        ));
    }
    if e.actor != SYSTEM && kind.by_system() {
        return Some(format!(
            "a `{kind}` by `{}`, but only the system fires those",
            e.actor
        ));
    }
    let user = if e.actor == SYSTEM {
        User {
            name: SYSTEM.to_string(),
            roles: Vec::new(),
        }
    } else {
        match ctx.roles.held(&e.actor, e.id) {
            Some(r) => User {
                name: e.actor.clone(),
                roles: r.to_vec(),
            },
            None => return Some(format!("by `{}`, who was not a user then", e.actor)),
        }
    };
    let when: DateTime<Utc> = DateTime::from_timestamp(e.at, 0).unwrap_or_default();
    // An import writes a record's history at once: its create at any stage
    // the pipeline has, then its sub-status and assignee, all at the
    // record's own entry time, by an admin.
    let imported = at.first.kind.is(EventKind::Create)
        && at.first.actor == e.actor
        && at.first.at == e.at
        && is_admin(p, &user);
    if kind != EventKind::Create && kind != EventKind::Snapshot && at.is_first {
        return Some(format!(
            "a `{kind}` opens the record's history, which only a create (or an adopt's snapshot) does"
        ));
    }
    let refused = |r: Result<_, OpError>| r.err().map(|e| e.reason());
    match kind {
        EventKind::Create => {
            if !at.is_first {
                return Some("a second create for one record".into());
            }
            create(p, &user, e)
        }
        EventKind::Snapshot => match ctx.versions.adopted() {
            Some((adopt, owner)) if e.id > adopt && e.actor == owner => None,
            _ => Some(
                "a snapshot, which only `pipeline adopt` writes (by the file's owner, once it stored the pipeline)".into(),
            ),
        },
        EventKind::Rename => rename(ctx, before, e),
        EventKind::Transition => {
            if let Some(why) = role_refused(p, &user, e) {
                return Some(why);
            }
            let args = MoveArgs {
                reason: e.reason.as_deref(),
                note: e.note.as_deref(),
                ..Default::default()
            };
            let event = e.event.as_deref().unwrap_or_default();
            refused(decide_move(p, before, &user, event, &args, when)).or_else(|| {
                transition_goes(p, before, e)
            })
        }
        EventKind::Override => {
            if !supervises(p, &user) {
                return Some(format!(
                    "an override by `{}`, who holds no supervising role",
                    e.actor
                ));
            }
            let args = MoveArgs {
                override_reason: Some("override"),
                ..Default::default()
            };
            let event = e.event.as_deref().unwrap_or_default();
            refused(decide_move(p, before, &user, event, &args, when)).or_else(|| {
                transition_goes(p, before, e)
            })
        }
        EventKind::Timer => match fire_timer(p, before, &user, when) {
            Err(OpError::NotDue) => Some("a timer that was not yet due then".into()),
            Err(err) => Some(err.reason()),
            Ok((_, spec)) if spec.event != e.event => Some(format!(
                "timer event `{}`, but the timer due then fires `{}`",
                e.event.as_deref().unwrap_or_default(),
                spec.event.as_deref().unwrap_or_default()
            )),
            Ok(_) => None,
        },
        EventKind::Escalation => {
            let level = e
                .data
                .as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .and_then(|d| d["level"].as_u64())
                .unwrap_or(0) as usize;
            match escalate(p, before, level.saturating_sub(1), when) {
                Err(OpError::NotDue) => {
                    Some(format!("escalation level {level}, which was not due then"))
                }
                Err(err) => Some(err.reason()),
                Ok(_) => None,
            }
        }
        EventKind::SlaWarning => {
            let logged = e
                .data
                .as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .and_then(|d| d["after"].as_i64());
            match warn(p, before, when) {
                Err(OpError::NotDue) => Some(format!(
                    "warning `{}`, which was not due then",
                    e.event.as_deref().unwrap_or_default()
                )),
                Err(err) => Some(err.reason()),
                Ok((next, _)) if Some(next.warned) != logged => Some(format!(
                    "warning `{}`, but the warning due then is another",
                    e.event.as_deref().unwrap_or_default()
                )),
                Ok(_) => None,
            }
        }
        EventKind::Claim | EventKind::Assign => {
            if imported {
                return None;
            }
            let Some(target) = e.to.as_deref() else {
                return Some("an assignment to nobody".into());
            };
            if kind == EventKind::Claim && target != e.actor {
                return Some(format!("a claim by `{}` for `{target}`", e.actor));
            }
            let Some(roles) = ctx.roles.held(target, e.id) else {
                return Some(format!("assigned to `{target}`, who was not a user then"));
            };
            let to = User {
                name: target.to_string(),
                roles: roles.to_vec(),
            };
            refused(decide_assign(p, before, &user, &to))
        }
        EventKind::Release => refused(decide_release(p, before, &user)),
        EventKind::Substatus | EventKind::Pause | EventKind::Resume => {
            let value = e.to.as_deref();
            if imported {
                let stage = p.stage_ix(&before.stage).map(|s| p.stage(s));
                return match (value, stage) {
                    (Some(v), Some(st)) if st.substatus(v).is_none() => {
                        Some(format!("sub-status `{v}`, which stage `{}` has not", st.id))
                    }
                    _ => None,
                };
            }
            match decide_substatus(p, before, &user, value, when) {
                Err(err) => Some(err.reason()),
                Ok((_, spec)) if spec.kind != kind => Some(format!(
                    "logged as `{kind}`, but that change is a `{}`",
                    spec.kind
                )),
                Ok(_) => None,
            }
        }
        EventKind::Note => match e.note.as_deref() {
            Some(n) if !n.trim().is_empty() => None,
            _ => Some("an empty note".into()),
        },
        EventKind::Ack => {
            let reason = e.reason.as_deref().unwrap_or_default();
            refused(decide_ack(p, before, &user, reason, None, when))
        }
        EventKind::User | EventKind::Pipeline | EventKind::PipelineApplied | EventKind::Init => {
            Some(format!("a `{kind}` event about a record"))
        }
    }
}

/// Whether `user` held none of the roles that may fire `e`'s event.
fn role_refused(p: &Pipeline, user: &User, e: &EventRow) -> Option<String> {
    let event = e.event.as_deref().unwrap_or_default();
    let Some(t) = p.transition_ix(event).map(|t| p.transition(t)) else {
        return Some(format!(
            "event `{event}` is not in the pipeline in force then"
        ));
    };
    if t.roles.iter().any(|r| user.has_role(&p.role(*r).id)) {
        return None;
    }
    Some(format!(
        "`{}` (roles: {}) may not fire `{event}` under the pipeline in force then",
        user.name,
        if user.roles.is_empty() {
            "none".to_string()
        } else {
            user.roles.join(", ")
        }
    ))
}

/// A transition's stage: the one its event leads to.
fn transition_goes(p: &Pipeline, before: &Record, e: &EventRow) -> Option<String> {
    let t = p.transition(p.transition_ix(e.event.as_deref()?)?);
    let to = &p.stage(t.to).id;
    if e.to.as_deref() != Some(to.as_str()) || e.from.as_deref() != Some(before.stage.as_str()) {
        return Some(format!(
            "logged as `{}` → `{}`, but `{}` leads from `{}` to `{to}`",
            e.from.as_deref().unwrap_or("-"),
            e.to.as_deref().unwrap_or("-"),
            t.event,
            before.stage
        ));
    }
    None
}

/// A create: at the entry stage (an admin's import may give any stage the
/// pipeline has), with fields the pipeline declares.
fn create(p: &Pipeline, user: &User, e: &EventRow) -> Option<String> {
    let to = e.to.as_deref().unwrap_or_default();
    let entry = &p.stage(p.entry).id;
    if to != entry {
        if p.stage_ix(to).is_none() {
            return Some(format!(
                "a create in `{to}`, which is no stage of the pipeline"
            ));
        }
        if !is_admin(p, user) {
            return Some(format!(
                "a create in `{to}` by `{}`: records start at `{entry}` (only an admin's import gives another stage)",
                e.actor
            ));
        }
    }
    let data: serde_json::Value = e
        .data
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let fields = data.get("fields").and_then(|f| f.as_object());
    for key in fields.into_iter().flat_map(|f| f.keys()) {
        if p.field_ix(key).is_none() {
            return Some(format!(
                "a create with field `{}`, which the pipeline does not declare",
                carequeue_core::text::shown(key)
            ));
        }
    }
    None
}

/// A rename: written by `pipeline apply`, by the admin applying it, to a
/// stage of the pipeline it put in force.
fn rename(ctx: &Context, before: &Record, e: &EventRow) -> Option<String> {
    let Some((_, actor, new)) = ctx.versions.applies().find(|(event, ..)| *event > e.id) else {
        return Some("a rename that no `pipeline apply` follows".into());
    };
    if actor != e.actor {
        return Some(format!(
            "a rename by `{}`, but the pipeline apply it belongs to is `{actor}`'s",
            e.actor
        ));
    }
    let to = e.to.as_deref().unwrap_or_default();
    if new.stage_ix(to).is_none() || e.from.as_deref() != Some(before.stage.as_str()) {
        return Some(format!(
            "a rename to `{to}`, which is not a stage of the pipeline applied"
        ));
    }
    None
}
