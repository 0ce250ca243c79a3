//! Which events a user may fire on a record, and what a transition changes.
//! The CLI and the console both ask here, so a rule holds for both.

use super::record::{Record, User};
use super::sla::{self, ClockState};
use crate::domain::{Guard, Pipeline, SetValue, StageIx, Transition, TransitionIx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// An event the acting user may fire, with what it will ask for.
#[derive(Debug, Clone, Serialize)]
pub struct Allowed {
    pub event: String,
    pub label: String,
    pub to: String,
    pub requires: Vec<Guard>,
    pub reasons: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub breach_reasons: Vec<String>,
}

/// Why the engine refused an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Why {
    #[error("the record is in terminal stage `{0}`")]
    Terminal(String),
    #[error("no such event in the pipeline")]
    UnknownEvent,
    #[error("the event is not valid from this stage")]
    NotFromStage,
    #[error("role(s) {have} may not fire it (needs one of: {need})")]
    Role { have: String, need: String },
    #[error("a reason code is required (one of: {0})")]
    ReasonRequired(String),
    #[error("reason `{}` is not allowed here (one of: {allowed})", crate::text::shown(.given))]
    BadReason { given: String, allowed: String },
    #[error("a note is required")]
    NoteRequired,
    #[error("sub-status `{0}` is open; clear it first")]
    SubstatusOpen(String),
    #[error("the record has no assignee; assign or claim it first")]
    AssigneeRequired,
    #[error(
        "only its assignee `{0}` may fire it (the event is guarded by `assignee`; a supervisor may --override with a reason)"
    )]
    NotAssignee(String),
    #[error("`{field}` has reached its maximum of {max}")]
    CounterMax { field: String, max: i64 },
    /// The breach codes, and the flag that gives one: `--breach-reason`
    /// where the event takes a reason of its own (`--reason` is that one).
    #[error(
        "the SLA was breached in this stage: give a breach reason (one of: {codes}) with {flag}, or `ack` it first"
    )]
    BreachReason { codes: String, flag: &'static str },
}

/// A refused transition, naming record, event, current stage and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record}: {}", self.without_record())]
pub struct Refusal {
    pub record: i64,
    pub event: String,
    pub stage: String,
    pub allowed: Vec<String>,
    pub why: Why,
}

impl Refusal {
    /// The refusal without the record it names.
    pub fn without_record(&self) -> String {
        format!(
            "event `{}` refused in stage `{}`: {}; allowed events: {}",
            crate::text::shown(&self.event),
            self.stage,
            self.why,
            allowed_list(&self.allowed)
        )
    }
}

fn allowed_list(a: &[String]) -> String {
    if a.is_empty() {
        "none".to_string()
    } else {
        a.join(", ")
    }
}

fn may_fire(p: &Pipeline, t: &Transition, user: &User) -> bool {
    t.roles.iter().any(|r| user.has_role(&p.role(*r).id))
}

fn stage_of(p: &Pipeline, r: &Record) -> Option<StageIx> {
    p.stage_ix(&r.stage)
}

/// Whether leaving now needs a breach reason, and which codes are accepted.
fn breach_codes(p: &Pipeline, r: &Record, now: DateTime<Utc>) -> Vec<String> {
    match stage_of(p, r) {
        Some(s) if r.breach_reason.is_none() && sla::breached(r, now) => {
            p.stage(s).breach_reasons.clone()
        }
        _ => Vec::new(),
    }
}

pub fn allowed_events(p: &Pipeline, r: &Record, user: &User, now: DateTime<Utc>) -> Vec<Allowed> {
    let Some(stage) = stage_of(p, r) else {
        return Vec::new();
    };
    let breach = breach_codes(p, r, now);
    p.transitions_from(stage)
        .filter(|(_, t)| may_fire(p, t, user))
        .map(|(_, t)| {
            let mut requires = t.guards.list();
            if !breach.is_empty() {
                requires.push(Guard::BreachReason);
            }
            Allowed {
                event: t.event.clone(),
                label: t.label.clone(),
                to: p.stage(t.to).id.clone(),
                requires,
                reasons: t.reasons.clone(),
                breach_reasons: breach.clone(),
            }
        })
        .collect()
}

/// What the actor supplies with a move.
#[derive(Debug, Clone, Default)]
pub struct MoveArgs<'a> {
    pub reason: Option<&'a str>,
    /// A breach reason given apart from the event's own reason (both are
    /// needed): `ops` acknowledges the breach with it first, in the same
    /// transaction, so the plan never sees it.
    pub breach_reason: Option<&'a str>,
    pub note: Option<&'a str>,
    /// Timer path: skip the role check and the breach-reason guard.
    pub system: bool,
    /// A supervisor's override of the guards, with the reason (logged as
    /// an `override` event). The role check still applies.
    pub override_reason: Option<&'a str>,
}

/// Everything a permitted transition changes.
#[derive(Debug, Clone)]
pub struct MovePlan {
    pub transition: TransitionIx,
    pub from: String,
    pub to: String,
    pub to_ix: StageIx,
    pub clock: ClockState,
    pub substatus: Option<String>,
    pub fields: BTreeMap<String, String>,
    /// Reason recorded on the event (transition reason or breach reason).
    pub reason: Option<String>,
    /// Set when the move also acknowledges a breach of the stage it leaves.
    pub breach_reason: Option<String>,
}

pub fn plan_move(
    p: &Pipeline,
    r: &Record,
    user: &User,
    event: &str,
    args: &MoveArgs,
    now: DateTime<Utc>,
) -> Result<MovePlan, Box<Refusal>> {
    // The allowed list is only worked out for a refusal: moves are hot.
    let refuse = |why: Why| {
        Box::new(Refusal {
            record: r.id,
            event: event.to_string(),
            stage: r.stage.clone(),
            allowed: allowed_events(p, r, user, now)
                .into_iter()
                .map(|a| a.event)
                .collect(),
            why,
        })
    };
    let stage = stage_of(p, r).ok_or_else(|| refuse(Why::NotFromStage))?;
    if p.stage(stage).terminal {
        return Err(refuse(Why::Terminal(r.stage.clone())));
    }
    let tix = p
        .transition_ix(event)
        .ok_or_else(|| refuse(Why::UnknownEvent))?;
    let t = p.transition(tix);
    if !t.from.contains(&stage) {
        return Err(refuse(Why::NotFromStage));
    }
    if !args.system && !may_fire(p, t, user) {
        let need = t
            .roles
            .iter()
            .map(|x| p.role(*x).id.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let have = if user.roles.is_empty() {
            "none".to_string()
        } else {
            user.roles.join(", ")
        };
        return Err(refuse(Why::Role { have, need }));
    }
    // An override lifts the guards, never the role check or the stage check.
    let g = if args.override_reason.is_some() {
        Default::default()
    } else {
        t.guards
    };
    let strict = args.override_reason.is_none();
    let note = args.note.map(str::trim).filter(|n| !n.is_empty());
    let breach = breach_codes(p, r, now);
    let mut reason = None;
    let mut breach_reason = None;
    if let Some(given) = args.reason {
        if g.reason && t.reasons.iter().any(|c| c == given) {
            reason = Some(given.to_string());
        } else if !breach.is_empty() && breach.iter().any(|c| c == given) {
            breach_reason = Some(given.to_string());
        } else {
            let mut codes = t.reasons.clone();
            codes.extend(breach.iter().cloned());
            return Err(refuse(Why::BadReason {
                given: given.to_string(),
                allowed: codes.join(", "),
            }));
        }
    }
    if g.reason && reason.is_none() {
        return Err(refuse(Why::ReasonRequired(t.reasons.join(", "))));
    }
    // Timers fire on their own clock; a breach they end is explained later.
    if !breach.is_empty() && breach_reason.is_none() && !args.system && strict {
        return Err(refuse(Why::BreachReason {
            codes: breach.join(", "),
            flag: if g.reason {
                "--breach-reason"
            } else {
                "--reason"
            },
        }));
    }
    if g.note && note.is_none() {
        return Err(refuse(Why::NoteRequired));
    }
    if g.no_substatus
        && let Some(s) = &r.substatus
    {
        return Err(refuse(Why::SubstatusOpen(s.clone())));
    }
    if g.assignee {
        match r.assignee.as_deref() {
            None => return Err(refuse(Why::AssigneeRequired)),
            Some(holder) if holder != user.name && !args.system => {
                return Err(refuse(Why::NotAssignee(holder.to_string())));
            }
            _ => {}
        }
    }
    let mut fields = r.fields.clone();
    if let Some((fx, max)) = t.counter {
        let id = &p.field(fx).id;
        let n = fields
            .get(id)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if n >= max && strict {
            return Err(refuse(Why::CounterMax {
                field: id.clone(),
                max,
            }));
        }
        fields.insert(id.clone(), (n + 1).to_string());
    }
    let today = now
        .with_timezone(&p.timezone)
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    for (fx, v) in &t.sets {
        let value = match v {
            SetValue::Today => today.clone(),
            SetValue::Literal(s) => s.clone(),
        };
        fields.insert(p.field(*fx).id.clone(), value);
    }
    let to = p.stage(t.to);
    let substatus = to.initial_substatus.clone();
    let paused = substatus
        .as_deref()
        .and_then(|s| to.substatus(s))
        .is_some_and(|s| s.pauses);
    Ok(MovePlan {
        transition: tix,
        from: r.stage.clone(),
        to: to.id.clone(),
        to_ix: t.to,
        clock: sla::on_enter(p, t.to, now, paused),
        substatus,
        fields,
        reason: reason.or_else(|| breach_reason.clone()),
        breach_reason,
    })
}

impl MovePlan {
    /// The record after this transition: a new stay with a fresh clock.
    pub fn apply(&self, p: &Pipeline, cur: &Record, now: DateTime<Utc>) -> Record {
        let mut next = cur.clone();
        next.stage = self.to.clone();
        next.substatus = self.substatus.clone();
        next.entered_at = now.timestamp();
        next.due_at = self.clock.due_at;
        next.warn_at = self.clock.warn_at;
        next.paused_since = self.clock.paused_since;
        next.paused_left = self.clock.paused_left;
        // Ownership follows the role: a new owning role starts unassigned.
        if let Some(from) = p.stage_ix(&cur.stage)
            && p.stage(from).owner != p.stage(self.to_ix).owner
        {
            next.assignee = None;
        }
        next.owner_role = None;
        next.notify_role = None;
        next.escalation = 0;
        next.warned = 0;
        next.priority = 0;
        next.breach_reason = None;
        next.fields = self.fields.clone();
        super::timers::refresh(p, &mut next);
        super::warnings::refresh(p, &mut next);
        next
    }
}
