//! The append-only, hash-chained event log. Each event's hash covers its
//! content and the previous event's hash; the head and count are also kept in
//! `meta`, so cutting events off the end is evident.

use super::{Result, meta_get, meta_set};
use rusqlite::{Connection, Row, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event about to be appended.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    pub record_id: i64,
    pub at: i64,
    pub actor: &'a str,
    pub kind: &'a str,
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
    pub record_id: i64,
    pub at: i64,
    pub actor: String,
    pub kind: String,
    pub event: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub data: Option<String>,
    #[serde(skip)]
    pub prev_hash: String,
    #[serde(skip)]
    pub hash: String,
}

impl EventRow {
    pub const COLUMNS: &'static str = "id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, prev_hash, hash";

    pub fn from_row(r: &Row) -> rusqlite::Result<EventRow> {
        Ok(EventRow {
            id: r.get(0)?,
            record_id: r.get(1)?,
            at: r.get(2)?,
            actor: r.get(3)?,
            kind: r.get(4)?,
            event: r.get(5)?,
            from: r.get(6)?,
            to: r.get(7)?,
            reason: r.get(8)?,
            note: r.get(9)?,
            data: r.get(10)?,
            prev_hash: r.get(11)?,
            hash: r.get(12)?,
        })
    }

    /// The hash this event should carry, given the previous hash.
    pub fn expected_hash(&self, prev: &str) -> String {
        chain_hash(
            prev,
            &[
                &self.id.to_string(),
                &self.record_id.to_string(),
                &self.at.to_string(),
                &self.actor,
                &self.kind,
                opt(&self.event),
                opt(&self.from),
                opt(&self.to),
                opt(&self.reason),
                opt(&self.note),
                opt(&self.data),
            ],
        )
    }
}

/// Stands for an absent value in the hash input (distinct from "").
const NONE: &str = "\u{0}";

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or(NONE)
}

fn chain_hash(prev: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    for p in parts {
        // Length-prefixed, so no two different contents hash alike.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = h.finalize();
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

/// Appends events to the chain inside one transaction, keeping the head in
/// memory: the single-event path and bulk loads share it.
pub struct Appender {
    prev: String,
    count: i64,
    next_id: i64,
}

impl Appender {
    /// Reads the chain head; call inside the transaction that appends.
    pub fn load(conn: &Connection) -> Result<Appender> {
        let prev = meta_get(conn, "chain_head")?.unwrap_or_else(|| GENESIS.to_string());
        let count: i64 = meta_get(conn, "chain_count")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let next_id: i64 =
            conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM events", [], |r| {
                r.get(0)
            })?;
        Ok(Appender {
            prev,
            count,
            next_id,
        })
    }

    pub fn append(&mut self, conn: &Connection, e: &NewEvent) -> Result<i64> {
        let id = self.next_id;
        let hash = chain_hash(
            &self.prev,
            &[
                &id.to_string(),
                &e.record_id.to_string(),
                &e.at.to_string(),
                e.actor,
                e.kind,
                e.event.unwrap_or(NONE),
                e.from.unwrap_or(NONE),
                e.to.unwrap_or(NONE),
                e.reason.unwrap_or(NONE),
                e.note.unwrap_or(NONE),
                e.data.unwrap_or(NONE),
            ],
        );
        conn.prepare_cached(
            "INSERT INTO events (id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, op_id, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
            id, e.record_id, e.at, e.actor, e.kind, e.event, e.from, e.to, e.reason, e.note, e.data, e.op_id,
            self.prev, hash
        ])?;
        self.prev = hash;
        self.count += 1;
        self.next_id += 1;
        Ok(id)
    }

    /// Records the new head and count (kept apart from the chain so that
    /// cutting events off the end is evident).
    pub fn finish(self, conn: &Connection) -> Result<()> {
        meta_set(conn, "chain_head", &self.prev)?;
        meta_set(conn, "chain_count", &self.count.to_string())
    }
}

/// Appends one event inside the caller's transaction; returns its id.
pub fn append(conn: &Connection, e: &NewEvent) -> Result<i64> {
    let mut a = Appender::load(conn)?;
    let id = a.append(conn, e)?;
    a.finish(conn)?;
    Ok(id)
}

/// A record's history, oldest first.
pub fn history(conn: &Connection, record_id: i64) -> Result<Vec<EventRow>> {
    let sql = format!(
        "SELECT {} FROM events WHERE record_id = ?1 ORDER BY id",
        EventRow::COLUMNS
    );
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map([record_id], EventRow::from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Whether an operation id was already applied (a retried command).
pub fn op_seen(conn: &Connection, op_id: &str) -> Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT record_id FROM events WHERE op_id = ?1",
            [op_id],
            |r| r.get(0),
        )
        .optional()?)
}
