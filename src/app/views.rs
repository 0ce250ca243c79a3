//! The console's views, derived from the pipeline and the acting user's
//! roles: one per phase, My Queue, Decisions, Breaches, Audit.
//!
//! My Queue and Decisions are the user's own work, read from the graph:
//! - **My Queue** holds the records owned by a role the user holds: in a
//!   stage one of their roles owns and handed to no other role, or handed
//!   to one of their roles by an escalation (`reassign`). A record an
//!   escalation only *notified* their role of stays with its owner (it
//!   shows in Breaches); supervisors get no exception. So every row is one
//!   the user may claim.
//! - **Decisions** holds the decision points their roles own (all of them
//!   for a supervisor): see [`is_decision`].

use crate::domain::{Pipeline, RoleIx, StageIx, Transition};
use crate::engine::User;
use crate::ops::supervises;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    Phase(usize),
    MyQueue,
    Decisions,
    Breaches,
    Audit,
    /// Every stage: where a drill-down from the Audit opens records that
    /// may be in any stage now (made on the first such drill-down).
    Found,
}

#[derive(Debug, Clone)]
pub struct ViewDef {
    /// A saved view has the kind of the built-in view it narrows.
    pub kind: ViewKind,
    pub title: String,
    /// Stages shown in the stage strip and queried by the table.
    pub stages: Vec<StageIx>,
    /// Only records owned by one of these roles (role ids): handed to one,
    /// or in a stage one owns and handed to no other role. `None`: any.
    pub owned_by: Option<Vec<String>>,
    /// What to say when the view has no records, where the owner filter
    /// (`o`) would not help: the user's roles own no stage, or none but
    /// those an escalation hands them records in.
    pub empty: Option<String>,
    /// The user's saved view this is, if it is one.
    pub saved: Option<Box<crate::store::views::SavedView>>,
}

/// What an outcome leads to, as Decisions tells outcomes apart: the end
/// of the journey (by its disposition), or a stage of some role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'p> {
    Ends(Option<&'p str>),
    Goes(Option<RoleIx>),
}

/// The outcomes the owner of stage `s` chooses between: the transitions
/// from it that its owning role may fire, less exits from anywhere
/// (withdraw, cancel: not this stage's flow), returns to the stage itself
/// (a chase, a reminder) and events a timer fires here (a time-out is what
/// happens when nobody chooses).
fn outcomes(p: &Pipeline, s: StageIx) -> impl Iterator<Item = &Transition> {
    let owner = p.stage(s).owner;
    p.transitions_from(s)
        .filter(move |(tix, t)| {
            !t.from_any
                && t.to != s
                && owner.is_some_and(|o| t.roles.contains(&o))
                && !p
                    .timers
                    .iter()
                    .any(|tm| tm.stage == s && tm.transition == *tix)
        })
        .map(|(_, t)| t)
}

/// A decision point: a stage whose owner's outcomes differ in kind. Two
/// outcomes differ in kind when one ends the journey and the other goes on
/// (continue or discharge), when they end it differently (completed or
/// lost), or when they hand the record to different roles (approved to the
/// pharmacy, denied back to ops). A stage with one outcome, or whose
/// outcomes all go on with the same role, asks for work, not a decision;
/// so does a stage that only chases (reminders, time-outs).
pub fn is_decision(p: &Pipeline, s: StageIx) -> bool {
    if p.stage(s).terminal {
        return false;
    }
    let mut kinds: Vec<Kind> = Vec::new();
    for t in outcomes(p, s) {
        let to = p.stage(t.to);
        let k = if to.terminal {
            Kind::Ends(to.disposition.as_deref())
        } else {
            Kind::Goes(to.owner)
        };
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    kinds.len() >= 2
}

/// Every decision point of the pipeline, in stage order.
pub fn decision_stages(p: &Pipeline) -> Vec<StageIx> {
    p.stage_ids()
        .map(|(ix, _)| ix)
        .filter(|ix| is_decision(p, *ix))
        .collect()
}

/// The pipeline's roles `u` holds, by id.
fn held_roles(p: &Pipeline, u: &User) -> Vec<String> {
    p.roles
        .iter()
        .filter(|r| u.has_role(&r.id))
        .map(|r| r.id.clone())
        .collect()
}

/// Whether a role `u` holds may fire some event from stage `s`. Without
/// one the engine refuses `u` a claim there: someone else moves the
/// stage's records on (the skin clinic's Handed Over, say), so they are
/// nobody's queue but its phase's.
fn may_act_in(p: &Pipeline, u: &User, s: StageIx) -> bool {
    p.transitions_from(s)
        .any(|(_, t)| t.roles.iter().any(|r| u.has_role(&p.role(*r).id)))
}

/// The open stages a role `u` holds owns and where `u` may act.
pub fn owned_stages(p: &Pipeline, u: &User) -> Vec<StageIx> {
    p.stage_ids()
        .filter(|(i, s)| {
            !s.terminal
                && s.owner.is_some_and(|o| u.has_role(&p.role(o).id))
                && may_act_in(p, u, *i)
        })
        .map(|(i, _)| i)
        .collect()
}

/// The open stages where a record may be owned by a role `u` holds and
/// `u` may act: those the roles own, and those whose escalations reassign
/// to one of them.
fn queue_stages(p: &Pipeline, u: &User) -> Vec<StageIx> {
    p.stage_ids()
        .filter(|(i, s)| {
            !s.terminal
                && may_act_in(p, u, *i)
                && s.owner
                    .into_iter()
                    .chain(s.escalations.iter().filter_map(|e| e.reassign))
                    .any(|r| u.has_role(&p.role(r).id))
        })
        .map(|(i, _)| i)
        .collect()
}

/// "Ops coordinator, Provider": the names of the roles `u` holds.
fn role_names(p: &Pipeline, u: &User) -> String {
    let names: Vec<&str> = p
        .roles
        .iter()
        .filter(|r| u.has_role(&r.id))
        .map(|r| r.name.as_str())
        .collect();
    if names.is_empty() {
        "none of this pipeline's roles".into()
    } else {
        names.join(", ")
    }
}

fn view(kind: ViewKind, title: &str, stages: Vec<StageIx>) -> ViewDef {
    ViewDef {
        kind,
        title: title.into(),
        stages,
        owned_by: None,
        empty: None,
        saved: None,
    }
}

pub fn build(p: &Pipeline, u: &User) -> Vec<ViewDef> {
    let mut views: Vec<ViewDef> = p
        .phases
        .iter()
        .enumerate()
        .map(|(i, ph)| view(ViewKind::Phase(i), &ph.name, ph.stages.clone()))
        .collect();
    let roles = held_roles(p, u);
    let mine = queue_stages(p, u);
    let empty = if mine.is_empty() {
        Some(format!(
            "You hold {}: no stage is yours to work, so nothing queues for you. The phase views show every record.",
            role_names(p, u)
        ))
    } else if owned_stages(p, u).is_empty() {
        Some(format!(
            "You hold {}: My Queue holds what an escalation hands to your roles, and nothing is handed now. Breaches shows every late record.",
            role_names(p, u)
        ))
    } else {
        None
    };
    views.push(ViewDef {
        owned_by: Some(roles.clone()),
        empty,
        ..view(ViewKind::MyQueue, "My Queue", mine)
    });
    let decisions = decision_stages(p);
    views.push(if supervises(p, u) {
        view(ViewKind::Decisions, "Decisions", decisions)
    } else {
        let owned = owned_stages(p, u);
        let mine: Vec<StageIx> = decisions
            .into_iter()
            .filter(|s| owned.contains(s))
            .collect();
        ViewDef {
            owned_by: Some(roles),
            empty: mine.is_empty().then(|| {
                format!(
                    "You hold {}: no stage of yours is a decision point. My Queue holds your work.",
                    role_names(p, u)
                )
            }),
            ..view(ViewKind::Decisions, "Decisions", mine)
        }
    });
    let open: Vec<StageIx> = p
        .stage_ids()
        .filter(|(_, s)| !s.terminal)
        .map(|(i, _)| i)
        .collect();
    views.push(view(ViewKind::Breaches, "Breaches", open));
    views.push(view(ViewKind::Audit, "Audit", Vec::new()));
    views
}

/// The view a user sees first: the `start_view` of their first role that
/// names one; else supervisors the breaches; those whose every stage is a
/// decision point their decisions; everyone else My Queue, which holds
/// all their work, decisions too. So the first view never hides a stage
/// of the user's (the entry stage's new records above all).
pub fn first_view(p: &Pipeline, u: &User, views: &[ViewDef]) -> usize {
    let named = p
        .roles
        .iter()
        .filter(|r| u.has_role(&r.id))
        .find_map(|r| r.start_view.as_deref());
    let kind = |name: &str| match name {
        "my_queue" => Some(ViewKind::MyQueue),
        "decisions" => Some(ViewKind::Decisions),
        "breaches" => Some(ViewKind::Breaches),
        "audit" => Some(ViewKind::Audit),
        phase => p
            .phases
            .iter()
            .position(|ph| ph.id == phase)
            .map(ViewKind::Phase),
    };
    if let Some(i) = named
        .and_then(kind)
        .and_then(|k| views.iter().position(|v| v.kind == k))
    {
        return i;
    }
    let owned = owned_stages(p, u);
    let want = if supervises(p, u) {
        ViewKind::Breaches
    } else if !owned.is_empty() && owned.iter().all(|s| is_decision(p, *s)) {
        ViewKind::Decisions
    } else {
        ViewKind::MyQueue
    };
    views.iter().position(|v| v.kind == want).unwrap_or(0)
}
