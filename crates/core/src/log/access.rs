//! What kind of read an access-log entry records. Stored as the same words
//! as ever (`show`, `console-open`, …).

use super::hash::{NONE, chain_hash, hex};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessAction {
    /// `show`: one record and its history on the command line.
    #[serde(rename = "show")]
    Show,
    /// The console's detail pane opened on a record.
    #[serde(rename = "detail")]
    Detail,
    /// `list`: a filter and the count it returned.
    #[serde(rename = "list")]
    List,
    /// `export`: every record.
    #[serde(rename = "export")]
    Export,
    /// An export refused (the user's roles may not export).
    #[serde(rename = "export-refused")]
    ExportRefused,
    /// `access-log`: the log itself was read.
    #[serde(rename = "access-log")]
    AccessLog,
    /// A read of the access log refused.
    #[serde(rename = "access-log-refused")]
    AccessLogRefused,
    /// `audit` or the console's Audit view.
    #[serde(rename = "audit")]
    Audit,
    /// `migrate`: the whole database copied to PostgreSQL.
    #[serde(rename = "migrate")]
    Migrate,
    /// A console opened.
    #[serde(rename = "console-open")]
    ConsoleOpen,
    /// A console closed (with why, when it did not quit cleanly).
    #[serde(rename = "console-close")]
    ConsoleClose,
    /// A console showed a view: its filter.
    #[serde(rename = "console-view")]
    ConsoleView,
    /// On PostgreSQL: records read in order to change them (one record, or
    /// every record a sweep, a pipeline change or a user's release may
    /// touch), logged before the change when no other entry covers it.
    #[serde(rename = "change")]
    Change,
    /// On PostgreSQL: `verify` read the whole log (its notes included) to
    /// check it.
    #[serde(rename = "verify")]
    Verify,
}

/// What an access entry lets its session read on PostgreSQL, where reads
/// of patient data go through the server (schema step 3's `log_access`
/// makes the same choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Nothing: a refusal, or a console's close.
    Nothing,
    /// The record the entry names.
    Record,
    /// Every record.
    Every,
}

impl AccessAction {
    pub const ALL: [AccessAction; 14] = [
        AccessAction::Show,
        AccessAction::Detail,
        AccessAction::List,
        AccessAction::Export,
        AccessAction::ExportRefused,
        AccessAction::AccessLog,
        AccessAction::AccessLogRefused,
        AccessAction::Audit,
        AccessAction::Migrate,
        AccessAction::ConsoleOpen,
        AccessAction::ConsoleClose,
        AccessAction::ConsoleView,
        AccessAction::Change,
        AccessAction::Verify,
    ];

    /// What an entry of this action (naming `record`, or not) opens to
    /// reading on PostgreSQL.
    pub fn grant(self, record: Option<i64>) -> Grant {
        match (self, record) {
            (AccessAction::Show | AccessAction::Detail | AccessAction::Change, Some(_)) => {
                Grant::Record
            }
            (AccessAction::Show | AccessAction::Detail, None) => Grant::Nothing,
            (
                AccessAction::List
                | AccessAction::Export
                | AccessAction::Audit
                | AccessAction::Migrate
                | AccessAction::ConsoleOpen
                | AccessAction::ConsoleView
                | AccessAction::Change
                | AccessAction::Verify,
                _,
            ) => Grant::Every,
            (
                AccessAction::ExportRefused
                | AccessAction::AccessLog
                | AccessAction::AccessLogRefused
                | AccessAction::ConsoleClose,
                _,
            ) => Grant::Nothing,
        }
    }

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessAction::Show => "show",
            AccessAction::Detail => "detail",
            AccessAction::List => "list",
            AccessAction::Export => "export",
            AccessAction::ExportRefused => "export-refused",
            AccessAction::AccessLog => "access-log",
            AccessAction::AccessLogRefused => "access-log-refused",
            AccessAction::Audit => "audit",
            AccessAction::Migrate => "migrate",
            AccessAction::ConsoleOpen => "console-open",
            AccessAction::ConsoleClose => "console-close",
            AccessAction::ConsoleView => "console-view",
            AccessAction::Change => "change",
            AccessAction::Verify => "verify",
        }
    }
}

/// A stored word that is no access action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown access action `{}`", crate::text::shown(.0))]
pub struct UnknownAction(pub String);

impl FromStr for AccessAction {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<AccessAction, UnknownAction> {
        AccessAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAction(s.to_string()))
    }
}

impl fmt::Display for AccessAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One logged read.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AccessRow {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub record: Option<i64>,
    pub detail: Option<String>,
    #[serde(skip)]
    pub hash: String,
}

impl AccessRow {
    pub fn expected_hash(&self, prev: &str) -> String {
        hex(&digest(
            prev,
            self.id,
            self.at,
            self.record,
            &self.actor,
            &self.action,
            self.detail.as_deref(),
        ))
    }
}

/// The hash an access entry carries after `prev` (the event chain's
/// function, over the entry's parts).
pub fn digest(
    prev: &str,
    id: i64,
    at: i64,
    record: Option<i64>,
    actor: &str,
    action: &str,
    detail: Option<&str>,
) -> [u8; 32] {
    chain_hash(
        &mut Vec::new(),
        prev,
        [id, at],
        record,
        [
            actor,
            action,
            detail.unwrap_or(NONE),
            NONE,
            NONE,
            NONE,
            NONE,
            NONE,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::AccessAction;

    #[test]
    fn every_action_reads_back_from_its_stored_word() {
        for a in AccessAction::ALL {
            assert_eq!(a.as_str().parse::<AccessAction>(), Ok(a));
            assert_eq!(
                serde_json::to_value(a).ok(),
                Some(serde_json::Value::String(a.as_str().into()))
            );
        }
    }
}
