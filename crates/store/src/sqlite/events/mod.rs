//! The append-only, hash-chained event log. Each event's hash covers its
//! content and the previous event's hash; the head and count are also kept in
//! `meta`, so cutting events off the end is evident.

mod insert;

pub use insert::Inserter;

use super::{Result, meta_get, meta_set};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};

pub use carequeue_core::log::{
    EventKind, EventRow, GENESIS, NONE, NewEvent, chain_hash, event_hash, hex, push_hex,
};

/// An event row's columns, in the order [`row`] reads them.
pub const COLUMNS: &str =
    "id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, hash";

/// The event kind in column `i`: a word this carequeue does not know is
/// an error naming it, never a guess.
pub fn kind_at(r: &Row, i: usize) -> rusqlite::Result<EventKind> {
    let word: String = r.get(i)?;
    word.parse::<EventKind>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// An event as stored, from a row of [`COLUMNS`].
pub fn row(r: &Row) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        id: r.get(0)?,
        record_id: r.get(1)?,
        at: r.get(2)?,
        actor: r.get(3)?,
        kind: r.get::<_, String>(4)?.into(),
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

/// The chain's running state: the next id and the previous hash. Sealing
/// an event is pure (no database), so a bulk load can hash on one thread
/// while another inserts.
#[derive(Debug, Clone)]
pub struct Chain {
    prev: String,
    count: i64,
    next_id: i64,
    /// The message being hashed, reused from event to event.
    buf: Vec<u8>,
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
            buf: Vec::new(),
        })
    }

    /// Gives `e` the next id and its hash, and advances the chain.
    pub fn seal(&mut self, e: &NewEvent) -> Sealed {
        let id = self.next_id;
        let hash = event_hash(&mut self.buf, &self.prev, id, e, e.actor);
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

/// Appends events to the chain inside one transaction, keeping the head in
/// memory: the single-event path and bulk loads share it.
pub struct Appender(Chain);

impl Appender {
    /// The chain's running state, to seal many events at once (a bulk
    /// load); [`Appender::finish`] records wherever it got to.
    pub fn chain_mut(&mut self) -> &mut Chain {
        &mut self.0
    }

    /// Reads the chain head; call inside the transaction that appends.
    pub fn load(conn: &Connection) -> Result<Appender> {
        Ok(Appender(Chain::load(conn)?))
    }

    pub fn append(&mut self, conn: &Connection, e: &NewEvent) -> Result<i64> {
        let s = self.0.seal(e);
        Inserter::new(conn)?.insert(e, &s)?;
        Ok(s.id)
    }

    /// Appends an event about the team, the pipeline or the database itself
    /// (no record): its `kind`, the name it is about (`to`), its JSON `data`.
    pub fn append_about(
        &mut self,
        conn: &Connection,
        actor: &str,
        kind: EventKind,
        to: Option<&str>,
        data: &str,
        at: i64,
    ) -> Result<i64> {
        self.append(
            conn,
            &NewEvent {
                at,
                actor,
                to,
                data: Some(data),
                ..NewEvent::blank(kind)
            },
        )
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
    // `+?1`: the same plan (events_record, in id order, no sort), but a plan
    // SQLite does not tie to the bound id. Written `= ?1`, the cached
    // statement was prepared again on every call once its binding was
    // cleared (499 of 500 calls, about 20 µs each: a detail pane's history
    // cost more than the floor's whole pane).
    let sql = format!(
        "SELECT {} FROM events WHERE record_id = +?1 ORDER BY id",
        COLUMNS
    );
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map([record_id], row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Whether an operation id was already applied (a retried command).
pub fn op_seen(conn: &Connection, op_id: &str) -> Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT coalesce(record_id, 0) FROM events WHERE op_id = ?1",
            [op_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// The record and the event kind (its stored word) operation `op_id` made.
pub fn op_kind(conn: &Connection, op_id: &str) -> Result<Option<(i64, String)>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT coalesce(record_id, 0), kind FROM events WHERE op_id = ?1",
            [op_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The stored hash of event `id`, as hex.
pub fn hash_at(conn: &Connection, id: i64) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT hash FROM events WHERE id = ?1", [id], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .optional()?
        .map(|b| hex(&b)))
}
