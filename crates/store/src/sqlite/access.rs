//! The PHI access log: who read which record (or which list, export or
//! audit) when. Append-only (triggers refuse UPDATE and DELETE) and
//! hash-chained like the event log, with its head and count kept in `meta`.
//! Reads never touch a record's version.

use super::events::{GENESIS, hex, push_hex};
use super::{Result, meta_get, meta_set};
use crate::access::{AccessFilter, AccessRow, digest};
use crate::verify::{Problem, Problems, SLACK};
use rusqlite::Connection;
use rusqlite::types::ValueRef;

const COLUMNS: &str = "id, at, actor, action, record_id, detail, hash";

fn access_row(r: &rusqlite::Row) -> rusqlite::Result<AccessRow> {
    Ok(AccessRow {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        record: r.get(4)?,
        detail: r.get(5)?,
        hash: match r.get_ref(6)? {
            ValueRef::Blob(b) => hex(b),
            _ => String::new(),
        },
    })
}

/// Appends one read to the log inside the caller's transaction.
pub fn append(
    conn: &Connection,
    at: i64,
    actor: &str,
    action: &str,
    record: Option<i64>,
    detail: Option<&str>,
) -> Result<i64> {
    let prev = meta_get(conn, "access_head")?.unwrap_or_else(|| GENESIS.to_string());
    let count: i64 = meta_get(conn, "access_count")?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let id: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM access_log")?
        .query_row([], |r| r.get(0))?;
    let hash = digest(&prev, id, at, record, actor, action, detail);
    conn.prepare_cached(
        "INSERT INTO access_log (id, at, actor, action, record_id, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(rusqlite::params![id, at, actor, action, record, detail, &hash[..]])?;
    let mut head = String::with_capacity(64);
    push_hex(&mut head, &hash);
    meta_set(conn, "access_head", &head)?;
    meta_set(conn, "access_count", &(count + 1).to_string())?;
    Ok(id)
}

/// The log, oldest first, filtered.
pub fn list(conn: &Connection, f: &AccessFilter) -> Result<Vec<AccessRow>> {
    let sql = format!(
        "SELECT {} FROM access_log
         WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR record_id = ?2)
           AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)
         ORDER BY id",
        COLUMNS
    );
    let mut st = conn.prepare(&sql)?;
    let rows = st.query_map(
        rusqlite::params![f.user, f.record, f.since, f.until],
        access_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Walks the chain: its length and head, every broken link, altered
/// entry or misdated one into `found` (each checked against the stored
/// hash before it, so one bad entry does not hide the rest).
pub fn walk(conn: &Connection, now: i64, found: &mut Problems) -> Result<(i64, String)> {
    let mut prev = GENESIS.to_string();
    let mut next = 1i64;
    let mut latest = i64::MIN;
    let mut st = conn.prepare(&format!("SELECT {} FROM access_log ORDER BY id", COLUMNS))?;
    let mut rows = st.query([])?;
    while let Some(row) = rows.next()? {
        let a = access_row(row)?;
        let id = a.id;
        if id != next {
            found.push(Problem::Access(format!(
                "access entry {id}: an entry before it was removed or reordered"
            )));
        } else if a.expected_hash(&prev) != a.hash {
            found.push(Problem::Access(format!(
                "access entry {id}: hash does not match its content (the entry was altered)"
            )));
        }
        if a.at > now.saturating_add(SLACK) {
            found.push(Problem::Access(format!(
                "access entry {id}: dated after the verify's own clock (in the future)"
            )));
        } else {
            if a.at < latest.saturating_sub(SLACK) {
                found.push(Problem::Access(format!(
                    "access entry {id}: dated before an entry earlier in the log (back-dated)"
                )));
            }
            latest = latest.max(a.at);
        }
        prev = a.hash;
        next = id + 1;
    }
    let count = next - 1;
    let recorded: i64 = meta_get(conn, "access_count")?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let head = meta_get(conn, "access_head")?.unwrap_or_else(|| GENESIS.to_string());
    if recorded != count || head != prev {
        found.push(Problem::Access(format!(
            "access log head mismatch: {recorded} entries recorded, {count} present"
        )));
    }
    Ok((count, prev))
}

/// The hash of entry `n` (1-based), if present.
pub fn hash_at(conn: &Connection, n: i64) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT hash FROM access_log WHERE id = ?1", [n], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .optional()?
        .map(|b| hex(&b)))
}
