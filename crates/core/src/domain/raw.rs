//! The pipeline file as written: serde structs that keep source spans so every
//! problem can be reported at its line and column.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

pub type S = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    pub name: S,
    pub timezone: Option<S>,
    pub entry: S,
    /// Roles that may export patient data (default: admin and supervising roles).
    pub export_roles: Option<Vec<S>>,
    #[serde(default)]
    pub roles: Vec<RawRole>,
    #[serde(default)]
    pub calendars: Vec<RawCalendar>,
    #[serde(default)]
    pub reasons: BTreeMap<Spanned<String>, String>,
    #[serde(default)]
    pub fields: Vec<RawField>,
    #[serde(default)]
    pub phases: Vec<RawPhase>,
    #[serde(default)]
    pub stages: Vec<RawStage>,
    #[serde(default)]
    pub transitions: Vec<RawTransition>,
    #[serde(default)]
    pub timers: Vec<RawTimer>,
    /// Early warnings for every stage whose SLA gives none of its own.
    pub sla_defaults: Option<RawSlaDefaults>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlaDefaults {
    pub warn_at: Option<Vec<S>>,
    pub repeat: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    pub id: S,
    pub name: Option<String>,
    #[serde(default)]
    pub supervises: bool,
    #[serde(default)]
    pub admin: bool,
    /// The console view this role opens on: a phase id, or `my_queue`,
    /// `decisions`, `breaches`, `audit`.
    pub start_view: Option<S>,
    /// Ids this role had before: users holding one are carried over.
    #[serde(default)]
    pub renamed_from: Vec<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    pub id: S,
    pub timezone: S,
    #[serde(default)]
    pub days: Vec<S>,
    #[serde(default)]
    pub hours: Vec<S>,
    #[serde(default)]
    pub holidays: Vec<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    pub id: S,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub kind: S,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub required: bool,
    /// The console and `list --filter` may filter on it (it gets an index).
    #[serde(default)]
    pub filterable: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    pub id: S,
    pub name: Option<String>,
    #[serde(default)]
    pub active_care: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    pub id: S,
    pub name: Option<String>,
    pub phase: S,
    pub owner: Option<S>,
    #[serde(default)]
    pub terminal: bool,
    pub disposition: Option<String>,
    pub sla: Option<Spanned<RawSla>>,
    #[serde(default)]
    pub breach_reasons: Vec<S>,
    #[serde(default)]
    pub substatuses: Vec<RawSubstatus>,
    pub initial_substatus: Option<S>,
    #[serde(default)]
    pub escalations: Vec<RawEscalation>,
    /// Ids this stage had before: its records are carried over.
    #[serde(default)]
    pub renamed_from: Vec<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSla {
    pub max: S,
    pub warn: Option<S>,
    pub calendar: Option<S>,
    /// Early warnings: percentages of `max` or working times (`["50%", "2h"]`).
    pub warn_at: Option<Vec<S>>,
    /// After the breach, warn again every this much working time (`"0m"`: never).
    pub repeat: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSubstatus {
    pub id: S,
    pub label: Option<String>,
    #[serde(default)]
    pub pauses: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEscalation {
    pub after: S,
    pub notify: Option<S>,
    pub reassign: Option<S>,
    pub priority: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransition {
    pub event: S,
    pub label: Option<String>,
    pub from: Vec<S>,
    pub to: S,
    #[serde(default)]
    pub roles: Vec<S>,
    #[serde(default)]
    pub requires: Vec<S>,
    #[serde(default)]
    pub reasons: Vec<S>,
    #[serde(default)]
    pub sets: BTreeMap<Spanned<String>, S>,
    pub counter: Option<S>,
    pub max: Option<Spanned<i64>>,
    /// A clinical decision: the console asks for a second, different key.
    #[serde(default)]
    pub confirm: bool,
    /// Event ids this transition had before.
    #[serde(default)]
    pub renamed_from: Vec<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimer {
    pub stage: S,
    pub event: S,
    pub after: Option<S>,
    pub at: Option<Spanned<RawTimerAt>>,
    pub reason: Option<S>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimerAt {
    pub field: S,
    pub plus_days_field: Option<S>,
    pub offset: Option<S>,
}
