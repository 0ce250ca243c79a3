//! The event log as every layer sees it: an event about to be appended
//! ([`NewEvent`]), an event as stored ([`EventRow`]), what kind of change
//! each is ([`EventKind`]), the access log's kinds of read
//! ([`AccessAction`]), and how each event is sealed into the hash chain
//! ([`hash`]). The stores keep the chain; this module says what it holds.

pub mod access;
pub mod hash;
mod kind;

pub use access::{AccessAction, Grant, UnknownAction};
pub use hash::{GENESIS, NONE, chain_hash, event_hash, hex, push_hex};
pub use kind::{EventKind, StoredKind, UnknownKind};

use serde::Serialize;

/// An event about to be appended.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// None for events about the team, the pipeline or the database itself.
    pub record_id: Option<i64>,
    pub at: i64,
    pub actor: &'a str,
    pub kind: EventKind,
    pub event: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub note: Option<&'a str>,
    pub data: Option<&'a str>,
    pub op_id: Option<&'a str>,
}

/// An event as stored.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub record_id: Option<i64>,
    pub at: i64,
    pub actor: String,
    pub kind: StoredKind,
    pub event: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub data: Option<String>,
    /// The stored hash, as lowercase hex.
    #[serde(skip)]
    pub hash: String,
}

impl EventRow {
    /// The hash this event should carry, given the previous hash.
    pub fn expected_hash(&self, prev: &str) -> String {
        hex(&chain_hash(
            &mut Vec::new(),
            prev,
            [self.id, self.at],
            self.record_id,
            [
                &self.actor,
                self.kind.as_str(),
                opt(&self.event),
                opt(&self.from),
                opt(&self.to),
                opt(&self.reason),
                opt(&self.note),
                opt(&self.data),
            ],
        ))
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or(NONE)
}

impl NewEvent<'static> {
    /// An event of `kind` with every other part empty, to be filled in
    /// with struct update syntax.
    pub fn blank(kind: EventKind) -> NewEvent<'static> {
        NewEvent {
            record_id: None,
            at: 0,
            actor: "",
            kind,
            event: None,
            from: None,
            to: None,
            reason: None,
            note: None,
            data: None,
            op_id: None,
        }
    }
}
