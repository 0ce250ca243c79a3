//! The append-only, hash-chained event log. Each event's hash covers its
//! content and the previous event's hash; the head and count are also kept in
//! `meta`, so cutting events off the end is evident.

use super::{Result, StoreError, meta_get, meta_set};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
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
    /// The stored hash, as lowercase hex.
    #[serde(skip)]
    pub hash: String,
}

impl EventRow {
    pub const COLUMNS: &'static str =
        "id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, hash";

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
            hash: match r.get_ref(11)? {
                ValueRef::Blob(b) => hex(b),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                _ => String::new(),
            },
        })
    }

    /// The hash this event should carry, given the previous hash.
    pub fn expected_hash(&self, prev: &str) -> String {
        hex(&chain_hash(
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
        ))
    }
}

/// Stands for an absent value in the hash input (distinct from "").
const NONE: &str = "\u{0}";

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or(NONE)
}

/// SHA-256 over the previous hash (as hex) and each part, length-prefixed
/// so that no two different contents hash alike.
fn chain_hash(prev: &str, parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().into()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

/// The chain's running state: the next id and the previous hash. Sealing
/// an event is pure (no database), so a bulk load can hash on one thread
/// while another inserts.
#[derive(Debug, Clone)]
pub struct Chain {
    prev: String,
    count: i64,
    next_id: i64,
}

/// An event's place in the chain: its id and its hash.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub id: i64,
    pub hash: [u8; 32],
}

impl Chain {
    /// Reads the chain head; call inside the transaction that appends.
    pub fn load(conn: &Connection) -> Result<Chain> {
        let prev = meta_get(conn, "chain_head")?.unwrap_or_else(|| GENESIS.to_string());
        let count: i64 = meta_get(conn, "chain_count")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let next_id: i64 =
            conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM events", [], |r| {
                r.get(0)
            })?;
        Ok(Chain {
            prev,
            count,
            next_id,
        })
    }

    /// Gives `e` the next id and its hash, and advances the chain.
    pub fn seal(&mut self, e: &NewEvent) -> Sealed {
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
        self.prev.clear();
        push_hex(&mut self.prev, &hash);
        self.count += 1;
        self.next_id += 1;
        Sealed { id, hash }
    }

    /// Records the new head and count (kept apart from the chain so that
    /// cutting events off the end is evident).
    pub fn finish(self, conn: &Connection) -> Result<()> {
        meta_set(conn, "chain_head", &self.prev)?;
        meta_set(conn, "chain_count", &self.count.to_string())
    }
}

const INSERT: &str = "INSERT INTO events (id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, op_id, hash) VALUES ";
const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const COLS: usize = 13;
/// Rows per statement in a bulk insert: one statement step then does the
/// work of many.
const BATCH: usize = 32;

/// Inserts events already sealed into the chain through prepared
/// statements, [`BATCH`] rows a statement when it can (a bulk load inserts
/// millions).
pub struct Inserter<'c> {
    one: rusqlite::CachedStatement<'c>,
    many: Option<rusqlite::CachedStatement<'c>>,
    conn: &'c Connection,
}

fn bind(st: &mut rusqlite::Statement, at: usize, e: &NewEvent, s: &Sealed) -> Result<()> {
    // The id is left to SQLite, which appends without a search for the
    // slot; it is the sealed one, as the chain began at max(id) + 1 in this
    // same transaction ([`Inserter::check`] makes sure).
    let values: [&dyn rusqlite::ToSql; COLS] = [
        &rusqlite::types::Null,
        &e.record_id,
        &e.at,
        &e.actor,
        &e.kind,
        &e.event,
        &e.from,
        &e.to,
        &e.reason,
        &e.note,
        &e.data,
        &e.op_id,
        &&s.hash[..],
    ];
    for (i, v) in values.iter().enumerate() {
        st.raw_bind_parameter(at * COLS + i + 1, v)?;
    }
    Ok(())
}

impl<'c> Inserter<'c> {
    pub fn new(conn: &'c Connection) -> Result<Inserter<'c>> {
        Ok(Inserter {
            one: conn.prepare_cached(&format!("{INSERT}{ROW}"))?,
            many: None,
            conn,
        })
    }

    pub fn insert(&mut self, e: &NewEvent, s: &Sealed) -> Result<()> {
        bind(&mut self.one, 0, e, s)?;
        self.one.raw_execute()?;
        self.check(s)
    }

    /// The last row went in under the id its hash was sealed with.
    fn check(&self, s: &Sealed) -> Result<()> {
        match self.conn.last_insert_rowid() {
            id if id == s.id => Ok(()),
            actual => Err(StoreError::Misplaced {
                table: "events",
                expected: s.id,
                actual,
            }),
        }
    }

    /// Inserts `rows` in order.
    pub fn insert_all<'e>(
        &mut self,
        mut rows: impl ExactSizeIterator<Item = (NewEvent<'e>, &'e Sealed)>,
    ) -> Result<()> {
        while rows.len() >= BATCH {
            if self.many.is_none() {
                let sql = format!("{INSERT}{}", vec![ROW; BATCH].join(", "));
                self.many = Some(self.conn.prepare_cached(&sql)?);
            }
            let Some(st) = self.many.as_mut() else { break };
            let mut last = None;
            for at in 0..BATCH {
                if let Some((e, s)) = rows.next() {
                    bind(st, at, &e, s)?;
                    last = Some(s);
                }
            }
            st.raw_execute()?;
            if let Some(s) = last {
                self.check(s)?;
            }
        }
        for (e, s) in rows {
            self.insert(&e, s)?;
        }
        Ok(())
    }
}

/// Appends events to the chain inside one transaction, keeping the head in
/// memory: the single-event path and bulk loads share it.
pub struct Appender(Chain);

impl Appender {
    /// Reads the chain head; call inside the transaction that appends.
    pub fn load(conn: &Connection) -> Result<Appender> {
        Ok(Appender(Chain::load(conn)?))
    }

    pub fn append(&mut self, conn: &Connection, e: &NewEvent) -> Result<i64> {
        let s = self.0.seal(e);
        Inserter::new(conn)?.insert(e, &s)?;
        Ok(s.id)
    }

    /// Records the new head and count.
    pub fn finish(self, conn: &Connection) -> Result<()> {
        self.0.finish(conn)
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
