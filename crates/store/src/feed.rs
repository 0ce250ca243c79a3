//! The event feed (`carequeue events`): the log read from a sequence
//! number on, in log order, each event beside the stage its record is in
//! after it. The log is its own outbox: an event's id is its sequence
//! number, given under the log's lock in the transaction that writes it,
//! so the ids have no gaps and a reader never sees a later one committed
//! before an earlier one. Both stores read it with the same query.

use crate::events::{EventKind, StoredKind};
use crate::terms::{Dialect, Param};

/// One event of the feed. `note` and `data` only when asked for (patient
/// data: the caller logged an export first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// The sequence number: the event's id in the log.
    pub seq: i64,
    pub record_id: Option<i64>,
    pub at: i64,
    pub actor: String,
    pub kind: StoredKind,
    pub event: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
    /// The record's stage after this event (none for events of no record).
    pub stage: Option<String>,
    pub note: Option<String>,
    pub data: Option<String>,
}

/// What to read: after `after`, of these kinds (all when empty), at most
/// `limit`, with patient data or not.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    pub after: i64,
    pub kinds: Vec<EventKind>,
    pub limit: usize,
    pub with_phi: bool,
}

/// The events that log the stage they leave: the first of them after an
/// event names its stage where no earlier one says (a record adopted by a
/// snapshot, whose stage is in the snapshot's patient data).
const LEAVING: [EventKind; 4] = [
    EventKind::Transition,
    EventKind::Timer,
    EventKind::Override,
    EventKind::Rename,
];

/// The stored words of `kinds`, quoted for SQL (they are the enum's own
/// words, never a user's).
fn words(kinds: &[EventKind]) -> String {
    kinds
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl FeedQuery {
    /// The query and its arguments. `table` is where the events with their
    /// patient data are read (PostgreSQL reads them through a view that
    /// checks the session's grant).
    pub fn sql(&self, d: &Dialect, table: &str) -> (String, Vec<Param>) {
        let mut args = Vec::new();
        let after = d.arg(Param::Int(self.after), &mut args);
        let mut w = format!("e.id > {after}");
        if !self.kinds.is_empty() {
            let kinds: Vec<String> = self.kinds.iter().map(|k| k.as_str().to_string()).collect();
            w.push_str(&format!(" AND e.kind IN ({})", d.list(&kinds, &mut args)));
        }
        let limit = d.arg(
            Param::Int(i64::try_from(self.limit).unwrap_or(i64::MAX)),
            &mut args,
        );
        let (phi, from) = if self.with_phi {
            ("e.note, e.data", table)
        } else {
            ("NULL, NULL", "events")
        };
        // The events that put a record in a stage (a rename moves it to the
        // stage's new id): the latest of them up to an event names its stage.
        let staged = words(&[
            EventKind::Create,
            EventKind::Transition,
            EventKind::Timer,
            EventKind::Override,
            EventKind::Rename,
        ]);
        let leaving = words(&LEAVING);
        let sql = format!(
            "SELECT e.id, e.record_id, e.at, e.actor, e.kind, e.event, e.from_stage, e.to_stage, \
             e.reason, \
             COALESCE((SELECT s.to_stage FROM events s WHERE s.record_id = e.record_id \
                AND s.id <= e.id AND s.kind IN ({staged}) ORDER BY s.id DESC LIMIT 1), \
              (SELECT s.from_stage FROM events s WHERE s.record_id = e.record_id \
                AND s.id > e.id AND s.kind IN ({leaving}) ORDER BY s.id LIMIT 1), \
              (SELECT r.stage FROM records r WHERE r.id = e.record_id)), \
             {phi} \
             FROM {from} e WHERE {w} ORDER BY e.id LIMIT {limit}"
        );
        (sql, args)
    }
}

/// A row of [`FeedQuery::sql`].
pub fn event_from<C: crate::columns::Cells>(r: &C) -> std::result::Result<FeedEvent, C::Error> {
    Ok(FeedEvent {
        seq: r.int(0)?,
        record_id: r.opt_int(1)?,
        at: r.int(2)?,
        actor: r.text(3)?,
        kind: StoredKind::from(r.text(4)?),
        event: r.opt_text(5)?,
        from: r.opt_text(6)?,
        to: r.opt_text(7)?,
        reason: r.opt_text(8)?,
        stage: r.opt_text(9)?,
        note: r.opt_text(10)?,
        data: r.opt_text(11)?,
    })
}

impl FeedEvent {
    /// The event as a feed line (`events --json`, a webhook's data): ids,
    /// stages, kind, reason, actor and time, never patient data.
    pub fn line(&self) -> serde_json::Value {
        serde_json::json!({
            "seq": self.seq,
            "record_id": self.record_id,
            "stage": self.stage,
            "kind": self.kind.as_str(),
            "event": self.event,
            "from": self.from,
            "to": self.to,
            "reason": self.reason,
            "actor": self.actor,
            "at": carequeue_core::engine::clock::from_unix(self.at)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }

    /// Adds the patient data the event was read with to a line: the note,
    /// and a record's creation's patient and fields (another kind's data
    /// as logged). Only for a reader allowed to export, who logged it.
    pub fn add_patient(&self, line: &mut serde_json::Map<String, serde_json::Value>) {
        use serde_json::Value;
        line.insert("note".into(), serde_json::json!(self.note));
        let data: Option<Value> = self
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok());
        match data {
            Some(Value::Object(d)) if self.kind.known() == Some(EventKind::Create) => {
                for k in ["patient", "fields"] {
                    line.insert(k.into(), d.get(k).cloned().unwrap_or(Value::Null));
                }
            }
            Some(d) => {
                line.insert("data".into(), d);
            }
            None => {
                line.insert("data".into(), Value::Null);
            }
        }
    }
}
