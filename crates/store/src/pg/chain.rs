//! The event chain on PostgreSQL as the client sees it: the arguments a
//! change sends (`event_args`, `record_json`) and a re-read of the whole
//! chain that checks every hash (`check`). The server numbers, dates and
//! seals every event itself (schema step 2); no client sends a hash.

use crate::StoreError;
use crate::columns::{Col, Value};
use crate::events::{EventKind, GENESIS, NONE, NewEvent, chain_hash, hex};
use carequeue_core::engine::Record;

/// The chain's previous hash as the hash input reads it (hex; the genesis
/// for an empty chain).
pub(super) fn prev_text(head: &[u8]) -> String {
    if head.is_empty() {
        GENESIS.to_string()
    } else {
        hex(head)
    }
}

/// An event's columns as the writer functions take them after their own
/// leading arguments: its time and its content.
pub(super) fn event_args<'a>(e: &'a NewEvent) -> [&'a (dyn postgres::types::ToSql + Sync); 9] {
    [
        &e.at,
        kind_arg(e.kind),
        &e.event,
        &e.from,
        &e.to,
        &e.reason,
        &e.note,
        &e.data,
        &e.op_id,
    ]
}

/// An event kind as a statement argument: its stored word, borrowed for
/// as long as the statement needs it.
pub(super) fn kind_arg(k: EventKind) -> &'static (dyn postgres::types::ToSql + Sync) {
    static WORDS: [&str; EventKind::ALL.len()] = {
        let mut words = [""; EventKind::ALL.len()];
        let mut i = 0;
        while i < words.len() {
            words[i] = EventKind::ALL[i].as_str();
            i += 1;
        }
        words
    };
    &WORDS[k as usize]
}

/// The record's columns as the schema's `records` row, for `write_change`.
pub(super) fn record_json(r: &Record) -> serde_json::Value {
    let row: serde_json::Map<String, serde_json::Value> = Col::ALL
        .iter()
        .map(|c| {
            let v = match c.value(r) {
                Value::Int(i) => serde_json::Value::from(i),
                Value::Text(t) => serde_json::Value::from(t),
                Value::Null => serde_json::Value::Null,
            };
            (c.name().to_string(), v)
        })
        .collect();
    serde_json::Value::Object(row)
}

/// Re-reads the whole chain and checks every hash against its content and
/// its predecessor, and the head against the last: the first event that
/// does not fit, or the count checked. Read as the schema's owner, who
/// reads the table itself (at any schema step).
pub fn check(c: &mut postgres::Client) -> crate::Result<i64> {
    let rows = c
        .query(
            "SELECT id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, hash
             FROM carequeue.events ORDER BY id",
            &[],
        )?;
    let mut prev = GENESIS.to_string();
    let mut buf = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let id: i64 = super::col(r, 0)?;
        if id != i as i64 + 1 {
            return Err(StoreError::Broken(format!(
                "event {id}: the ids skip after {i}"
            )));
        }
        let (actor, kind): (String, String) = (super::col(r, 3)?, super::col(r, 4)?);
        let opt: Vec<Option<String>> = (5..=10)
            .map(|k| super::col(r, k))
            .collect::<Result<_, _>>()?;
        let o = |k: usize| opt[k].as_deref().unwrap_or(NONE);
        let want = chain_hash(
            &mut buf,
            &prev,
            [id, super::col(r, 2)?],
            super::col(r, 1)?,
            [&actor, &kind, o(0), o(1), o(2), o(3), o(4), o(5)],
        );
        let have: Vec<u8> = super::col(r, 11)?;
        if have != want {
            return Err(StoreError::Broken(format!(
                "event {id}: its hash does not match its content"
            )));
        }
        prev = hex(&want);
    }
    let head: Vec<u8> = c
        .query_one(
            "SELECT head FROM carequeue.chains WHERE name = 'events'",
            &[],
        )?
        .try_get(0)?;
    if prev_text(&head) != prev {
        return Err(StoreError::Broken(
            "the recorded head is not the last event's hash".into(),
        ));
    }
    Ok(rows.len() as i64)
}
