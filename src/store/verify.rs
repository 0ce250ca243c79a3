//! `verify`: SQLite's own checks, the event log's hash chain (including its
//! recorded head and length, so truncation shows), and that every record
//! equals the replay of its events. Streams; never loads the log.
//!
//! Everything is read in one snapshot, so a writer appending while verify
//! runs cannot make the chain and its recorded head disagree.

use super::events::{EventRow, GENESIS};
use super::{Result, Store, meta_get, records};
use crate::domain::Pipeline;
use crate::engine::replay::{self, Replayed, Step};
use rusqlite::Connection;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events: i64,
    pub records: i64,
    pub head: String,
}

/// The first problem found, naming the event or record (never patient data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("integrity_check failed: {0}")]
    Integrity(String),
    #[error("foreign key check failed: a row of table {table} refers to a missing row of {parent}")]
    ForeignKey { table: String, parent: String },
    #[error("event {id} (record {record}): {what}")]
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

type Checked<T> = Result<std::result::Result<T, Problem>>;

/// Runs every check in order and stops at the first problem.
pub fn verify(p: &Pipeline, store: &Store) -> Checked<VerifyReport> {
    let conn = store.conn();
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
    let records = match replay_all(p, conn)? {
        Ok(n) => n,
        Err(problem) => return Ok(Err(problem)),
    };
    drop(snapshot);
    Ok(Ok(VerifyReport {
        events: count,
        records,
        head,
    }))
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
        EventRow::COLUMNS
    ))?;
    let mut rows = st.query([])?;
    while let Some(row) = rows.next()? {
        let e = EventRow::from_row(row)?;
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
                record: e.record_id,
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

/// Every record against the replay of its events: two ordered scans (records
/// by id, events by record then id) merged. Returns the number of records.
fn replay_all(p: &Pipeline, conn: &Connection) -> Checked<i64> {
    let mut rec_st = conn.prepare(&format!(
        "SELECT {} FROM records ORDER BY id",
        records::COLUMNS
    ))?;
    let mut recs = rec_st.query([])?;
    let mut ev_st = conn.prepare(
        "SELECT record_id, kind, to_stage, reason, data FROM events ORDER BY record_id, id",
    )?;
    let mut evs = ev_st.query([])?;
    let mut pending = evs.next()?.map(ev_of).transpose()?;
    let mut n_records = 0i64;
    let mut tally: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    while let Some(row) = recs.next()? {
        let r = records::from_row(row)?;
        n_records += 1;
        let t = tally.entry(r.stage.clone()).or_default();
        t.0 += 1;
        t.1 += i64::from(r.assignee.is_none());
        let mut state = Replayed::default();
        let mut seen = 0;
        while let Some(e) = pending.take() {
            if e.record < r.id {
                return Ok(Err(Problem::Orphan(e.record)));
            }
            if e.record > r.id {
                pending = Some(e);
                break;
            }
            let step = Step {
                kind: &e.kind,
                to: e.to.as_deref(),
                reason: e.reason.as_deref(),
                data: e.data.as_deref(),
            };
            replay::apply(p, &mut state, &step);
            seen += 1;
            pending = evs.next()?.map(ev_of).transpose()?;
        }
        if seen == 0 {
            return Ok(Err(Problem::NoEvents(r.id)));
        }
        if let Some(what) = Replayed::of(&r).difference(&state) {
            return Ok(Err(Problem::Record { id: r.id, what }));
        }
    }
    if let Some(e) = pending {
        return Ok(Err(Problem::Orphan(e.record)));
    }
    if let Err(problem) = counts(conn, tally)? {
        return Ok(Err(problem));
    }
    Ok(Ok(n_records))
}

/// The per-stage counts the board reads (kept by triggers, or written by a
/// bulk load) against the records themselves.
fn counts(conn: &Connection, mut actual: BTreeMap<String, (i64, i64)>) -> Checked<()> {
    let mut st = conn.prepare("SELECT stage, total, unassigned FROM stage_counts")?;
    let kept: Vec<(String, i64, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut kept: BTreeMap<String, (i64, i64)> = kept
        .into_iter()
        .filter(|k| k.1 != 0 || k.2 != 0)
        .map(|(s, t, u)| (s, (t, u)))
        .collect();
    let stages: Vec<String> = kept.keys().chain(actual.keys()).cloned().collect();
    for stage in stages {
        let (kt, ku) = kept.remove(&stage).unwrap_or_default();
        let (t, u) = actual.remove(&stage).unwrap_or_default();
        if (kt, ku) != (t, u) {
            return Ok(Err(Problem::Counts {
                stage,
                kept_total: kt,
                kept_unassigned: ku,
                total: t,
                unassigned: u,
            }));
        }
    }
    Ok(Ok(()))
}

struct Ev {
    record: i64,
    kind: String,
    to: Option<String>,
    reason: Option<String>,
    data: Option<String>,
}

fn ev_of(r: &rusqlite::Row) -> rusqlite::Result<Ev> {
    Ok(Ev {
        record: r.get(0)?,
        kind: r.get(1)?,
        to: r.get(2)?,
        reason: r.get(3)?,
        data: r.get(4)?,
    })
}
