//! `verify`: SQLite's own checks, the event log's hash chain (including its
//! recorded head and length, so truncation shows), and that every record
//! equals the replay of its events. Streams; never loads the log.
//!
//! Everything is read in one snapshot, so a writer appending while verify
//! runs cannot make the chain and its recorded head disagree.

mod replay_all;
mod users;

use super::events::GENESIS;
use super::{Result, Store, access, meta_get, setup};
use crate::checkpoint::Checkpoint;
use carequeue_core::domain::Pipeline;
use replay_all::replay_all;
use rusqlite::{Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events: i64,
    pub records: i64,
    pub users: i64,
    pub head: String,
    pub access_events: i64,
    pub access_head: String,
}

/// The first problem found, naming the event or record (never patient data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("integrity_check failed: {0}")]
    Integrity(String),
    #[error("foreign key check failed: a row of table {table} refers to a missing row of {parent}")]
    ForeignKey { table: String, parent: String },
    #[error("event {id}{}: {what}", of_record(*.record))]
    Event { id: i64, record: i64, what: String },
    #[error(
        "truncated: {recorded} events recorded, {present} present (events were cut off the end of the log)"
    )]
    Truncated { recorded: i64, present: i64 },
    #[error(
        "chain head mismatch: {recorded} events recorded, {present} present (events were added, or the recorded head edited, outside carequeue)"
    )]
    Head { recorded: i64, present: i64 },
    #[error("record {id}: its {what} does not match the replay of its events")]
    Record { id: i64, what: &'static str },
    #[error("user {name}: its {what} does not match the replay of the log")]
    User { name: String, what: &'static str },
    #[error("{0}")]
    Pipeline(String),
    #[error("{0}")]
    Access(String),
    #[error("{0}")]
    Trust(String),
    #[error(
        "the append-only trigger {0} is missing or altered: the log could be rewritten in place"
    )]
    Trigger(&'static str),
    #[error("record {0} has no events")]
    NoEvents(i64),
    #[error("events for record {0}, which does not exist")]
    Orphan(i64),
    #[error(
        "stage {stage}: the kept counts say {kept_total} records ({kept_unassigned} unassigned) but {total} ({unassigned} unassigned) are there"
    )]
    Counts {
        stage: String,
        kept_total: i64,
        kept_unassigned: i64,
        total: i64,
        unassigned: i64,
    },
}

fn of_record(r: i64) -> String {
    if r > 0 {
        format!(" (record {r})")
    } else {
        String::new()
    }
}

type Checked<T> = Result<std::result::Result<T, Problem>>;

/// Runs every check in order and stops at the first problem.
pub fn verify(p: &Pipeline, store: &Store) -> Checked<VerifyReport> {
    let conn = store.conn();
    // Every page is read: mapped rather than copied through read(2).
    // (An in-memory snapshot, `verify` on PostgreSQL's, maps nothing.)
    let mmap: Option<i64> = conn
        .query_row("PRAGMA mmap_size", [], |r| r.get(0))
        .optional()?;
    let Some(mmap) = mmap else {
        return checks(p, conn);
    };
    conn.pragma_update(None, "mmap_size", 1i64 << 31)?;
    let out = checks(p, conn);
    conn.pragma_update(None, "mmap_size", mmap)?;
    out
}

fn checks(p: &Pipeline, conn: &Connection) -> Checked<VerifyReport> {
    // A deferred read transaction: one snapshot for all the checks. Dropped
    // (rolled back) at the end; verify writes nothing.
    let snapshot = conn.unchecked_transaction()?;
    if let Err(problem) = sqlite_checks(conn)? {
        return Ok(Err(problem));
    }
    let (count, head) = match chain(conn)? {
        Ok(tail) => tail,
        Err(problem) => return Ok(Err(problem)),
    };
    if let Err(problem) = triggers(conn)? {
        return Ok(Err(problem));
    }
    if let Err(problem) = trust(conn)? {
        return Ok(Err(problem));
    }
    let records = match replay_all(p, conn)? {
        Ok(n) => n,
        Err(problem) => return Ok(Err(problem)),
    };
    let (access_events, access_head) = match access::walk(conn)? {
        Ok(x) => x,
        Err(what) => return Ok(Err(Problem::Access(what))),
    };
    let users: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    drop(snapshot);
    Ok(Ok(VerifyReport {
        events: count,
        records,
        users,
        head,
        access_events,
        access_head,
    }))
}

/// The triggers that keep both logs append-only.
fn triggers(conn: &Connection) -> Checked<()> {
    for (name, table) in [
        ("events_no_update", "events"),
        ("events_no_delete", "events"),
        ("access_no_update", "access_log"),
        ("access_no_delete", "access_log"),
    ] {
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1 AND tbl_name = ?2",
                [name, table],
                |r| r.get(0),
            )
            .optional()?;
        let verb = if name.ends_with("update") {
            "UPDATE"
        } else {
            "DELETE"
        };
        let ok = sql.is_some_and(|s| {
            let s = s.to_ascii_uppercase();
            s.contains(&format!("BEFORE {verb} ON")) && s.contains("RAISE(ABORT")
        });
        if !ok {
            return Ok(Err(Problem::Trigger(name)));
        }
    }
    Ok(Ok(()))
}

/// The trust mode in `meta` is the one the `init` event fixed.
fn trust(conn: &Connection) -> Checked<()> {
    let mut st = conn.prepare("SELECT id, data FROM events WHERE kind = 'init' ORDER BY id")?;
    let inits: Vec<(i64, Option<String>)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let logged = match inits.as_slice() {
        [] => {
            return Ok(Err(Problem::Trust(
                "no init event fixes the trust mode".into(),
            )));
        }
        [(_, data)] => data
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .and_then(|d| d["trust"].as_bool()),
        [_, (id, _), ..] => {
            return Ok(Err(Problem::Trust(format!(
                "event {id} is a second init event: the trust mode is fixed once"
            ))));
        }
    };
    if logged != Some(setup::trust_mode(conn)?) {
        return Ok(Err(Problem::Trust(
            "the trust mode recorded in the database is not the one its init event fixed".into(),
        )));
    }
    Ok(Ok(()))
}

/// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`.
fn sqlite_checks(conn: &Connection) -> Checked<()> {
    let ic: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ic != "ok" {
        return Ok(Err(Problem::Integrity(ic)));
    }
    let mut st = conn.prepare("PRAGMA foreign_key_check")?;
    let mut rows = st.query([])?;
    if let Some(r) = rows.next()? {
        // (table, rowid, parent, fkid): names only, never the row's values.
        return Ok(Err(Problem::ForeignKey {
            table: r.get(0)?,
            parent: r.get(2)?,
        }));
    }
    Ok(Ok(()))
}

/// The hash chain in id order, then its recorded length and head. Returns
/// the number of events and the last hash.
fn chain(conn: &Connection) -> Checked<(i64, String)> {
    let mut prev = GENESIS.to_string();
    let mut count = 0i64;
    // Ids are handed out one after another from 1, so a gap is a removal.
    let mut next_id = 1i64;
    let mut st = conn.prepare(&format!(
        "SELECT {} FROM events ORDER BY id",
        crate::sqlite::events::COLUMNS
    ))?;
    let mut rows = st.query([])?;
    while let Some(row) = rows.next()? {
        let e = crate::sqlite::events::row(row)?;
        let what = if e.id != next_id {
            Some(
                "its link to the previous event is broken (an event before it was removed, reordered or altered)",
            )
        } else if e.expected_hash(&prev) != e.hash {
            Some("hash does not match its content (the event was altered)")
        } else {
            None
        };
        if let Some(what) = what {
            return Ok(Err(Problem::Event {
                id: e.id,
                record: e.record_id.unwrap_or(0),
                what: what.to_string(),
            }));
        }
        prev = e.hash;
        count += 1;
        next_id = e.id + 1;
    }
    let recorded: i64 = meta_get(conn, "chain_count")?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let head = meta_get(conn, "chain_head")?.unwrap_or_else(|| GENESIS.to_string());
    if recorded > count {
        return Ok(Err(Problem::Truncated {
            recorded,
            present: count,
        }));
    }
    if recorded != count || head != prev {
        return Ok(Err(Problem::Head {
            recorded,
            present: count,
        }));
    }
    Ok(Ok((count, prev)))
}

/// The checkpoint of the logs as recorded now.
pub fn checkpoint(conn: &Connection, at: i64) -> Result<Checkpoint> {
    let count = |k: &str| -> Result<i64> {
        Ok(meta_get(conn, k)?.and_then(|c| c.parse().ok()).unwrap_or(0))
    };
    Ok(Checkpoint {
        events: count("chain_count")?,
        head: meta_get(conn, "chain_head")?.unwrap_or_else(|| GENESIS.to_string()),
        access_events: count("access_count")?,
        access_head: meta_get(conn, "access_head")?.unwrap_or_else(|| GENESIS.to_string()),
        at: chrono::DateTime::<chrono::Utc>::from_timestamp(at, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}
