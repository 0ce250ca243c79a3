//! A record's current state and a team member, as the engine sees them.

use std::collections::BTreeMap;

/// One patient's journey: current stage, owner, SLA bookkeeping.
/// Times are unix seconds, UTC.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: i64,
    pub patient: String,
    pub stage: String,
    pub substatus: Option<String>,
    pub assignee: Option<String>,
    /// Set when an escalation handed the record to another role than the
    /// stage's owner; cleared when it leaves the stage.
    pub owner_role: Option<String>,
    pub entered_at: i64,
    /// When the SLA breaches if the clock keeps running; None while paused
    /// or when the stage has no SLA.
    pub due_at: Option<i64>,
    pub warn_at: Option<i64>,
    /// Set while a pausing sub-status is open.
    pub paused_since: Option<i64>,
    /// Working seconds that were left to the due time when the clock paused
    /// (negative if it paused after the breach).
    pub paused_left: Option<i64>,
    /// Escalation levels already fired in this stay.
    pub escalation: i64,
    pub priority: i64,
    /// Breach reason acknowledged in this stay.
    pub breach_reason: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    /// When the earliest timer of the current stay is due (see `timers`).
    pub timer_at: Option<i64>,
    /// A role an escalation notified in this stay (told, not handed: the
    /// record stays in its owner's queue).
    pub notify_role: Option<String>,
    /// Working seconds into the stay of the last early warning fired in it
    /// (0: none yet); see `warnings`.
    pub warned: i64,
    /// When the stay's next early warning is due (see `warnings`).
    pub warning_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub roles: Vec<String>,
}

impl User {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}
