//! What kind of change an event logs. Stored as the same words as ever
//! (`transition`, `pipeline_applied`, …); every reader matches the enum
//! whole, so a new kind is a compile error wherever it needs a decision.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A new record, at the entry stage (or an import's given stage).
    Create,
    /// A record's whole state as another store held it (`migrate`, `adopt`).
    Snapshot,
    /// A user fired a pipeline event.
    Transition,
    /// A supervisor fired an event past its guards, with a reason.
    Override,
    /// A timer fired its event.
    Timer,
    /// An escalation level fired: notify, reassign, raise priority.
    Escalation,
    /// An early warning: the stay's working time crossed one of its
    /// stage's `warn_at` thresholds, or a `repeat` after the breach.
    SlaWarning,
    /// A user took a record for themselves.
    Claim,
    /// A record was given to a user.
    Assign,
    /// A record went back to its queue.
    Release,
    /// A sub-status that does not touch the SLA clock was set or cleared.
    Substatus,
    /// A pausing sub-status was set: the SLA clock stops.
    Pause,
    /// A pausing sub-status was cleared: the SLA clock runs again.
    Resume,
    /// A note on a record.
    Note,
    /// A breach acknowledged with a taxonomy reason.
    Ack,
    /// A pipeline change renamed the record's stage.
    Rename,
    /// A user added or changed (roles, login, enabled).
    User,
    /// A pipeline stored by `init` or `adopt`.
    Pipeline,
    /// A pipeline stored by `pipeline apply`.
    PipelineApplied,
    /// The database's trust mode and group, fixed at `init`.
    Init,
}

impl EventKind {
    pub const ALL: [EventKind; 20] = [
        EventKind::Create,
        EventKind::Snapshot,
        EventKind::Transition,
        EventKind::Override,
        EventKind::Timer,
        EventKind::Escalation,
        EventKind::SlaWarning,
        EventKind::Claim,
        EventKind::Assign,
        EventKind::Release,
        EventKind::Substatus,
        EventKind::Pause,
        EventKind::Resume,
        EventKind::Note,
        EventKind::Ack,
        EventKind::Rename,
        EventKind::User,
        EventKind::Pipeline,
        EventKind::PipelineApplied,
        EventKind::Init,
    ];

    /// The stored word.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Create => "create",
            EventKind::Snapshot => "snapshot",
            EventKind::Transition => "transition",
            EventKind::Override => "override",
            EventKind::Timer => "timer",
            EventKind::Escalation => "escalation",
            EventKind::SlaWarning => "sla_warning",
            EventKind::Claim => "claim",
            EventKind::Assign => "assign",
            EventKind::Release => "release",
            EventKind::Substatus => "substatus",
            EventKind::Pause => "pause",
            EventKind::Resume => "resume",
            EventKind::Note => "note",
            EventKind::Ack => "ack",
            EventKind::Rename => "rename",
            EventKind::User => "user",
            EventKind::Pipeline => "pipeline",
            EventKind::PipelineApplied => "pipeline_applied",
            EventKind::Init => "init",
        }
    }

    /// Moves the record into a stage (a stay begins).
    pub fn enters_stage(self) -> bool {
        matches!(
            self,
            EventKind::Create | EventKind::Transition | EventKind::Override | EventKind::Timer
        )
    }

    /// Fired by the system, never by a person.
    pub fn by_system(self) -> bool {
        matches!(
            self,
            EventKind::Timer | EventKind::Escalation | EventKind::SlaWarning
        )
    }

    /// Sets or clears the record's sub-status.
    pub fn sets_substatus(self) -> bool {
        matches!(
            self,
            EventKind::Substatus | EventKind::Pause | EventKind::Resume
        )
    }
}

/// An event's kind as a store gives it back: one this carequeue knows, or
/// a word it does not (a newer carequeue's, or a row written behind its
/// back), kept whole so it can be shown, hashed and named by `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StoredKind {
    Known(EventKind),
    Unknown(String),
}

impl StoredKind {
    /// The stored word.
    pub fn as_str(&self) -> &str {
        match self {
            StoredKind::Known(k) => k.as_str(),
            StoredKind::Unknown(w) => w,
        }
    }

    /// The kind, when this carequeue knows it.
    pub fn known(&self) -> Option<EventKind> {
        match self {
            StoredKind::Known(k) => Some(*k),
            StoredKind::Unknown(_) => None,
        }
    }

    /// Whether it is `k`.
    pub fn is(&self, k: EventKind) -> bool {
        self.known() == Some(k)
    }
}

impl From<&str> for StoredKind {
    fn from(word: &str) -> StoredKind {
        match word.parse::<EventKind>() {
            Ok(k) => StoredKind::Known(k),
            Err(UnknownKind(w)) => StoredKind::Unknown(w),
        }
    }
}

impl From<String> for StoredKind {
    fn from(word: String) -> StoredKind {
        StoredKind::from(word.as_str())
    }
}

impl From<EventKind> for StoredKind {
    fn from(k: EventKind) -> StoredKind {
        StoredKind::Known(k)
    }
}

impl Serialize for StoredKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for StoredKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored word that is no event kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind `{}`", crate::text::shown(.0))]
pub struct UnknownKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<EventKind, UnknownKind> {
        // A match, not a search of ALL: the audit parses every event's kind.
        Ok(match s {
            "create" => EventKind::Create,
            "snapshot" => EventKind::Snapshot,
            "transition" => EventKind::Transition,
            "override" => EventKind::Override,
            "timer" => EventKind::Timer,
            "escalation" => EventKind::Escalation,
            "sla_warning" => EventKind::SlaWarning,
            "claim" => EventKind::Claim,
            "assign" => EventKind::Assign,
            "release" => EventKind::Release,
            "substatus" => EventKind::Substatus,
            "pause" => EventKind::Pause,
            "resume" => EventKind::Resume,
            "note" => EventKind::Note,
            "ack" => EventKind::Ack,
            "rename" => EventKind::Rename,
            "user" => EventKind::User,
            "pipeline" => EventKind::Pipeline,
            "pipeline_applied" => EventKind::PipelineApplied,
            "init" => EventKind::Init,
            _ => return Err(UnknownKind(s.to_string())),
        })
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    #[test]
    fn every_kind_reads_back_from_its_stored_word() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(k));
            // serde writes the same word the store keeps.
            assert_eq!(
                serde_json::to_value(k).ok(),
                Some(serde_json::Value::String(k.as_str().into()))
            );
        }
        assert!("Transition".parse::<EventKind>().is_err());
        // ALL is in declaration order: a kind's discriminant indexes it.
        for (i, k) in EventKind::ALL.into_iter().enumerate() {
            assert_eq!(k as usize, i);
        }
    }
}
