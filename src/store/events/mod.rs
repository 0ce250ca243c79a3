//! The append-only, hash-chained event log. Each event's hash covers its
//! content and the previous event's hash; the head and count are also kept in
//! `meta`, so cutting events off the end is evident.

mod insert;

pub use insert::Inserter;

use super::{Result, meta_get, meta_set};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event about to be appended.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    /// None for events about the team, the pipeline or the database itself.
    pub record_id: Option<i64>,
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
    pub record_id: Option<i64>,
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
            &mut Vec::new(),
            prev,
            [self.id, self.at],
            self.record_id,
            [
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
pub(crate) const NONE: &str = "\u{0}";

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or(NONE)
}

/// SHA-256 over the previous hash (as hex), then the id, record id and
/// time (decimal; an absent record id as [`NONE`]) and each text, every part
/// length-prefixed so that no two different contents hash alike. The
/// message is built in `buf` (reused by a bulk load) and hashed at once.
pub(crate) fn chain_hash(
    buf: &mut Vec<u8>,
    prev: &str,
    [id, at]: [i64; 2],
    record: Option<i64>,
    texts: [&str; 8],
) -> [u8; 32] {
    fn part(buf: &mut Vec<u8>, b: &[u8]) {
        buf.extend_from_slice(&(b.len() as u64).to_le_bytes());
        buf.extend_from_slice(b);
    }
    buf.clear();
    buf.extend_from_slice(prev.as_bytes());
    let mut digits = [0u8; 20];
    part(buf, decimal(id, &mut digits));
    match record {
        Some(r) => part(buf, decimal(r, &mut digits)),
        None => part(buf, NONE.as_bytes()),
    }
    part(buf, decimal(at, &mut digits));
    for t in texts {
        part(buf, t.as_bytes());
    }
    Sha256::digest(&buf[..]).into()
}

/// The hash `e` carries as event `id` after `prev`, with `actor` as its
/// actor (on PostgreSQL the server's, whatever `e` says).
pub(crate) fn event_hash(
    buf: &mut Vec<u8>,
    prev: &str,
    id: i64,
    e: &NewEvent,
    actor: &str,
) -> [u8; 32] {
    chain_hash(
        buf,
        prev,
        [id, e.at],
        e.record_id,
        [
            actor,
            e.kind,
            e.event.unwrap_or(NONE),
            e.from.unwrap_or(NONE),
            e.to.unwrap_or(NONE),
            e.reason.unwrap_or(NONE),
            e.note.unwrap_or(NONE),
            e.data.unwrap_or(NONE),
        ],
    )
}

/// `n` in decimal, as `n.to_string()` writes it, without allocating.
fn decimal(n: i64, out: &mut [u8; 20]) -> &[u8] {
    let mut v = n.unsigned_abs();
    let mut at = out.len();
    loop {
        at -= 1;
        out[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        at -= 1;
        out[at] = b'-';
    }
    &out[at..]
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

pub(super) fn push_hex(out: &mut String, bytes: &[u8]) {
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
        kind: &str,
        to: Option<&str>,
        data: &str,
        at: i64,
    ) -> Result<i64> {
        self.append(
            conn,
            &NewEvent {
                record_id: None,
                at,
                actor,
                kind,
                to,
                data: Some(data),
                ..Default::default()
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
            "SELECT coalesce(record_id, 0) FROM events WHERE op_id = ?1",
            [op_id],
            |r| r.get(0),
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Hashes pinned from the first release's chain: a change to how the
    /// message is built must not change a single stored hash.
    #[test]
    fn hashes_match_the_chain_already_on_disk() {
        let e = EventRow {
            id: 42,
            record_id: Some(-7),
            at: 1_795_748_400,
            actor: "sam".into(),
            kind: "transition".into(),
            event: Some("approve".into()),
            from: Some("in_review".into()),
            to: Some("approved".into()),
            reason: None,
            note: Some("".into()),
            data: Some("{\"a\":\"é\"}".into()),
            hash: String::new(),
        };
        assert_eq!(
            e.expected_hash(GENESIS),
            "720ddf0cdd9a8f1e8a1e57e0b5dee625ff2742690e4cd8551a9f4aacebfa950b"
        );
        assert_eq!(
            e.expected_hash("abc"),
            "ae90f7968bc72928ecb0c570bbb58be43736605737fd1c1f68418f97324a23f9"
        );
    }

    proptest! {
        #[test]
        fn decimal_is_to_string(n in any::<i64>()) {
            let mut d = [0u8; 20];
            let expected = n.to_string();
            prop_assert_eq!(decimal(n, &mut d), expected.as_bytes());
        }
    }

    #[test]
    fn decimal_extremes() {
        let mut d = [0u8; 20];
        for n in [0, -1, 9, 10, i64::MIN, i64::MAX] {
            assert_eq!(decimal(n, &mut d), n.to_string().as_bytes());
        }
    }
}
