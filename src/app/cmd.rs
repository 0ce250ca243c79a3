//! A console change's command: the record it acts on, the version it was
//! decided on (a bulk run sets the dry run's), and what it does in words.

use super::service::Cmd;

impl Cmd {
    pub fn id(&self) -> i64 {
        match self {
            Cmd::Move { id, .. }
            | Cmd::Assign { id, .. }
            | Cmd::Claim { id, .. }
            | Cmd::Release { id, .. }
            | Cmd::Substatus { id, .. }
            | Cmd::Note { id, .. }
            | Cmd::Ack { id, .. } => *id,
        }
    }

    pub(super) fn set_version(&mut self, v: i64) {
        match self {
            Cmd::Move { version, .. }
            | Cmd::Assign { version, .. }
            | Cmd::Claim { version, .. }
            | Cmd::Release { version, .. }
            | Cmd::Substatus { version, .. }
            | Cmd::Note { version, .. }
            | Cmd::Ack { version, .. } => *version = v,
        }
    }

    /// The version of the record the command was decided on.
    pub fn version(&self) -> i64 {
        match self {
            Cmd::Move { version, .. }
            | Cmd::Assign { version, .. }
            | Cmd::Claim { version, .. }
            | Cmd::Release { version, .. }
            | Cmd::Substatus { version, .. }
            | Cmd::Note { version, .. }
            | Cmd::Ack { version, .. } => *version,
        }
    }

    /// What it does, in a word or two (an access entry's words).
    pub fn what(&self) -> String {
        match self {
            Cmd::Move { event, .. } => format!("move ({event})"),
            Cmd::Assign { .. } => "assign".into(),
            Cmd::Claim { .. } => "claim".into(),
            Cmd::Release { .. } => "release".into(),
            Cmd::Substatus { .. } => "sub-status".into(),
            Cmd::Note { .. } => "note".into(),
            Cmd::Ack { .. } => "acknowledge".into(),
        }
    }
}
