//! The validated pipeline: every reference resolved to an index, every
//! duration parsed. Built only by [`super::load`], so holding a `Pipeline`
//! means it passed every error-level check.

use super::calendar::Calendar;
use super::duration::Secs;
use chrono_tz::Tz;
use std::collections::HashMap;

macro_rules! index_type {
    ($name:ident) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub usize);
    };
}
index_type!(StageIx);
index_type!(PhaseIx);
index_type!(RoleIx);
index_type!(FieldIx);
index_type!(CalendarIx);
index_type!(TransitionIx);

#[derive(Debug)]
pub struct Pipeline {
    pub name: String,
    pub timezone: Tz,
    pub entry: StageIx,
    pub roles: Vec<Role>,
    /// Roles that may export patient data.
    pub export_roles: Vec<RoleIx>,
    pub calendars: Vec<NamedCalendar>,
    pub reasons: Vec<Reason>,
    pub fields: Vec<Field>,
    pub phases: Vec<Phase>,
    pub stages: Vec<Stage>,
    pub transitions: Vec<Transition>,
    pub timers: Vec<Timer>,
    pub(crate) stage_ids: HashMap<String, StageIx>,
    pub(crate) role_ids: HashMap<String, RoleIx>,
    pub(crate) event_ids: HashMap<String, TransitionIx>,
    pub(crate) field_ids: HashMap<String, FieldIx>,
    /// Old ids named by `renamed_from`, to what they are now.
    pub renames: Renames,
}

/// What `renamed_from` says: each old id and the item that now has it.
#[derive(Debug, Default, Clone)]
pub struct Renames {
    pub stages: HashMap<String, StageIx>,
    pub roles: HashMap<String, RoleIx>,
    pub events: HashMap<String, TransitionIx>,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub id: String,
    pub name: String,
    /// Oversees every stage: may assign, release, acknowledge breaches and
    /// override guards (with a logged reason).
    pub supervises: bool,
    /// Manages the team, applies pipelines and imports.
    pub admin: bool,
    /// The console view the role opens on (a phase id, `my_queue`,
    /// `decisions`, `breaches` or `audit`); None: chosen from the role.
    pub start_view: Option<String>,
}

/// The built-in views a role's `start_view` may name besides its phases.
pub const START_VIEWS: [&str; 4] = ["my_queue", "decisions", "breaches", "audit"];

#[derive(Debug)]
pub struct NamedCalendar {
    pub id: String,
    pub calendar: Calendar,
}

#[derive(Debug, Clone)]
pub struct Reason {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Date,
    Integer,
    Choice,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub id: String,
    pub label: String,
    pub kind: FieldKind,
    pub choices: Vec<String>,
    pub required: bool,
    /// Filterable in the console (`FIELD:VALUE`), on an index of its own.
    pub filterable: bool,
}

#[derive(Debug, Clone)]
pub struct Phase {
    pub id: String,
    pub name: String,
    pub active_care: bool,
    pub stages: Vec<StageIx>,
}

#[derive(Debug, Clone)]
pub struct Substatus {
    pub id: String,
    pub label: String,
    pub pauses: bool,
}

#[derive(Debug, Clone)]
pub struct Sla {
    pub max: Secs,
    pub warn: Secs,
    pub calendar: Option<CalendarIx>,
    /// Early warnings (`warn_at`): working time into the stay at which an
    /// `sla_warning` fires, ascending, each below `max`.
    pub warnings: Vec<Threshold>,
    /// After the breach, a warning again every this much working time.
    pub repeat: Option<Secs>,
}

/// One early-warning threshold: when it is reached, and how it was written
/// (`50%`, `2h`), which its event names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    pub after: Secs,
    pub label: String,
}

/// How urgent a record is: an escalation may raise it, leaving a stage
/// resets it. Stored as its rank (0, 1, 2); logged and configured by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Normal, Priority::High, Priority::Urgent];

    /// The name the pipeline and the log use.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// The stored rank.
    pub fn rank(self) -> i64 {
        match self {
            Priority::Normal => 0,
            Priority::High => 1,
            Priority::Urgent => 2,
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = ();

    fn from_str(s: &str) -> Result<Priority, ()> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(())
    }
}

#[derive(Debug, Clone)]
pub struct Escalation {
    /// Offset after the breach instant at which this level fires.
    pub after: Secs,
    pub notify: Option<RoleIx>,
    pub reassign: Option<RoleIx>,
    pub priority: Option<Priority>,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub id: String,
    pub name: String,
    pub phase: PhaseIx,
    pub owner: Option<RoleIx>,
    pub terminal: bool,
    pub disposition: Option<String>,
    pub sla: Option<Sla>,
    pub breach_reasons: Vec<String>,
    pub substatuses: Vec<Substatus>,
    pub initial_substatus: Option<String>,
    pub escalations: Vec<Escalation>,
}

impl Stage {
    pub fn substatus(&self, id: &str) -> Option<&Substatus> {
        self.substatuses.iter().find(|s| s.id == id)
    }
}

/// One thing a move must bring before it fires. The first four are a
/// transition's own `requires`; a breach reason is asked of any move out
/// of a stage whose SLA was breached and not acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// A reason code from the transition's list.
    Reason,
    /// A note.
    Note,
    /// No open sub-status.
    NoSubstatus,
    /// The record has an assignee, and only they may fire it.
    Assignee,
    /// A breach reason from the stage's taxonomy.
    BreachReason,
}

impl Guard {
    /// The guards a transition may list under `requires`, in order.
    pub const REQUIRABLE: [Guard; 4] = [
        Guard::Reason,
        Guard::Note,
        Guard::NoSubstatus,
        Guard::Assignee,
    ];

    /// The word the pipeline and the JSON use.
    pub fn as_str(self) -> &'static str {
        match self {
            Guard::Reason => "reason",
            Guard::Note => "note",
            Guard::NoSubstatus => "no_substatus",
            Guard::Assignee => "assignee",
            Guard::BreachReason => "breach_reason",
        }
    }
}

impl std::str::FromStr for Guard {
    type Err = ();

    /// A guard a pipeline may list (a breach reason is never listed).
    fn from_str(s: &str) -> Result<Guard, ()> {
        Guard::REQUIRABLE
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or(())
    }
}

impl std::fmt::Display for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a transition demands before it may fire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Guards {
    pub reason: bool,
    pub note: bool,
    pub no_substatus: bool,
    pub assignee: bool,
}

impl Guards {
    /// The guards set, in [`Guard::REQUIRABLE`] order.
    pub fn list(&self) -> Vec<Guard> {
        Guard::REQUIRABLE
            .into_iter()
            .filter(|g| self.has(*g))
            .collect()
    }

    pub fn has(&self, g: Guard) -> bool {
        match g {
            Guard::Reason => self.reason,
            Guard::Note => self.note,
            Guard::NoSubstatus => self.no_substatus,
            Guard::Assignee => self.assignee,
            Guard::BreachReason => false,
        }
    }

    pub fn set(&mut self, g: Guard) {
        match g {
            Guard::Reason => self.reason = true,
            Guard::Note => self.note = true,
            Guard::NoSubstatus => self.no_substatus = true,
            Guard::Assignee => self.assignee = true,
            // Asked by the stage's breach, never listed by a transition.
            Guard::BreachReason => {}
        }
    }
}

/// A value a transition writes into a record field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetValue {
    Today,
    Literal(String),
}

#[derive(Debug, Clone)]
pub struct Transition {
    pub event: String,
    pub label: String,
    pub from: Vec<StageIx>,
    /// Written as `from = ["*"]`: an exit from anywhere (withdraw, cancel),
    /// not part of the stage's own flow.
    pub from_any: bool,
    pub to: StageIx,
    pub roles: Vec<RoleIx>,
    pub guards: Guards,
    pub reasons: Vec<String>,
    pub sets: Vec<(FieldIx, SetValue)>,
    pub counter: Option<(FieldIx, i64)>,
    /// `confirm = true`: a decision the console fires only after a
    /// confirmation that names the patient and the outcome, on a second,
    /// different key. The engine does not ask (the command line is one
    /// deliberate command).
    pub confirm: bool,
}

#[derive(Debug, Clone)]
pub enum TimerWhen {
    AfterInStage(Secs),
    AtField {
        field: FieldIx,
        plus_days_field: Option<FieldIx>,
        offset: Secs,
    },
}

#[derive(Debug, Clone)]
pub struct Timer {
    pub stage: StageIx,
    pub transition: TransitionIx,
    pub when: TimerWhen,
    pub reason: Option<String>,
}

impl Pipeline {
    pub fn stage(&self, ix: StageIx) -> &Stage {
        &self.stages[ix.0]
    }
    pub fn stage_ix(&self, id: &str) -> Option<StageIx> {
        self.stage_ids.get(id).copied()
    }
    /// A stage by its id, or by an id it had before (`renamed_from`).
    pub fn stage_ix_or_renamed(&self, id: &str) -> Option<StageIx> {
        self.stage_ix(id)
            .or_else(|| self.renames.stages.get(id).copied())
    }
    /// A role by its id, or by an id it had before.
    pub fn role_ix_or_renamed(&self, id: &str) -> Option<RoleIx> {
        self.role_ix(id)
            .or_else(|| self.renames.roles.get(id).copied())
    }
    /// A transition by its event id, or by an id it had before.
    pub fn transition_ix_or_renamed(&self, event: &str) -> Option<TransitionIx> {
        self.transition_ix(event)
            .or_else(|| self.renames.events.get(event).copied())
    }
    pub fn role(&self, ix: RoleIx) -> &Role {
        &self.roles[ix.0]
    }
    pub fn role_ix(&self, id: &str) -> Option<RoleIx> {
        self.role_ids.get(id).copied()
    }
    pub fn transition(&self, ix: TransitionIx) -> &Transition {
        &self.transitions[ix.0]
    }
    pub fn transition_ix(&self, event: &str) -> Option<TransitionIx> {
        self.event_ids.get(event).copied()
    }
    pub fn field(&self, ix: FieldIx) -> &Field {
        &self.fields[ix.0]
    }
    pub fn field_ix(&self, id: &str) -> Option<FieldIx> {
        self.field_ids.get(id).copied()
    }
    pub fn phase_of(&self, stage: StageIx) -> &Phase {
        &self.phases[self.stage(stage).phase.0]
    }
    /// For each stage, whether some path of transitions leads from it back to
    /// it (an exit from anywhere counts as leaving every stage).
    pub fn reenterable(&self) -> Vec<bool> {
        let n = self.stages.len();
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
        for t in &self.transitions {
            let from: Vec<usize> = if t.from_any {
                (0..n).collect()
            } else {
                t.from.iter().map(|f| f.0).collect()
            };
            for f in from {
                if f < n && t.to.0 < n {
                    next[f].push(t.to.0);
                }
            }
        }
        (0..n)
            .map(|s| {
                let mut seen = vec![false; n];
                let mut todo = next[s].clone();
                while let Some(x) = todo.pop() {
                    if x == s {
                        return true;
                    }
                    if !std::mem::replace(&mut seen[x], true) {
                        todo.extend(&next[x]);
                    }
                }
                false
            })
            .collect()
    }
    pub fn calendar(&self, sla: &Sla) -> &Calendar {
        match sla.calendar {
            Some(ix) => &self.calendars[ix.0].calendar,
            None => &Calendar::Always,
        }
    }
    pub fn reason_label(&self, code: &str) -> Option<&str> {
        self.reasons
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.label.as_str())
    }
    /// Transitions that may leave `stage`, in file order.
    pub fn transitions_from(
        &self,
        stage: StageIx,
    ) -> impl Iterator<Item = (TransitionIx, &Transition)> {
        self.transitions
            .iter()
            .enumerate()
            .filter(move |(_, t)| t.from.contains(&stage))
            .map(|(i, t)| (TransitionIx(i), t))
    }
    pub fn stage_ids(&self) -> impl Iterator<Item = (StageIx, &Stage)> {
        self.stages.iter().enumerate().map(|(i, s)| (StageIx(i), s))
    }
}
