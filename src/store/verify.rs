//! `verify`: SQLite's own checks, the event log's hash chain (including its
//! recorded head and length, so truncation shows), and that every record
//! equals the replay of its events. Streams; never loads the log.

use super::events::{EventRow, GENESIS};
use super::{Result, Store, meta_get, records};
use crate::domain::Pipeline;
use crate::engine::replay::{self, Replayed, Step};

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
    #[error("foreign key check failed in table {0}")]
    ForeignKey(String),
    #[error("event {id} (record {record}): {what}")]
    Event { id: i64, record: i64, what: String },
    #[error(
        "truncated event log: {recorded} events recorded, {present} present (last hash {found})"
    )]
    Truncated {
        recorded: i64,
        present: i64,
        found: String,
    },
    #[error("record {id}: its {what} does not match the replay of its events")]
    Record { id: i64, what: &'static str },
    #[error("record {0} has no events")]
    NoEvents(i64),
    #[error("events for record {0}, which does not exist")]
    Orphan(i64),
}

pub fn verify(p: &Pipeline, store: &Store) -> Result<std::result::Result<VerifyReport, Problem>> {
    let conn = store.conn();
    let ic: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ic != "ok" {
        return Ok(Err(Problem::Integrity(ic)));
    }
    let fk: Option<String> = {
        let mut st = conn.prepare("PRAGMA foreign_key_check")?;
        let mut rows = st.query([])?;
        match rows.next()? {
            Some(r) => Some(r.get(0)?),
            None => None,
        }
    };
    if let Some(table) = fk {
        return Ok(Err(Problem::ForeignKey(table)));
    }
    // The chain, in id order.
    let mut prev = GENESIS.to_string();
    let mut count = 0i64;
    {
        let mut st = conn.prepare(&format!(
            "SELECT {} FROM events ORDER BY id",
            EventRow::COLUMNS
        ))?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            let e = EventRow::from_row(row)?;
            let bad = |what: &str| Problem::Event {
                id: e.id,
                record: e.record_id,
                what: what.to_string(),
            };
            if e.prev_hash != prev {
                return Ok(Err(bad(
                    "its link to the previous event is broken (an event was removed or reordered)",
                )));
            }
            if e.expected_hash(&prev) != e.hash {
                return Ok(Err(bad(
                    "hash does not match its content (the event was altered)",
                )));
            }
            prev = e.hash;
            count += 1;
        }
    }
    let recorded: i64 = meta_get(conn, "chain_count")?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let head = meta_get(conn, "chain_head")?.unwrap_or_else(|| GENESIS.to_string());
    if recorded != count || head != prev {
        return Ok(Err(Problem::Truncated {
            recorded,
            present: count,
            found: prev.chars().take(12).collect(),
        }));
    }
    // Replay: records and their events, merged in record order.
    let mut rec_st = conn.prepare(&format!(
        "SELECT {} FROM records ORDER BY id",
        records::COLUMNS
    ))?;
    let mut recs = rec_st.query([])?;
    let mut ev_st = conn.prepare(
        "SELECT id, record_id, kind, to_stage, reason, data FROM events ORDER BY record_id, id",
    )?;
    let mut evs = ev_st.query([])?;
    let mut pending = evs.next()?.map(ev_of).transpose()?;
    let mut n_records = 0i64;
    while let Some(row) = recs.next()? {
        let r = records::from_row(row)?;
        n_records += 1;
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
    Ok(Ok(VerifyReport {
        events: count,
        records: n_records,
        head: prev,
    }))
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
        record: r.get(1)?,
        kind: r.get(2)?,
        to: r.get(3)?,
        reason: r.get(4)?,
        data: r.get(5)?,
    })
}
