//! The audit's one pass over the event log: every event in log order (the
//! table's own order, read sequentially). Log order keeps each record's
//! events oldest first, which is all the audit needs; ordering by record
//! instead would cost a random table lookup per event (~10x slower on a
//! large log).
//!
//! [`audit`] reads rows on the calling thread and reduces them on a second
//! one, handing over batches of events whose text sits in one reused
//! buffer, so nothing is allocated per row.

use super::Result;
use super::batches::{Batch, Span};
use super::raw::RawQuery;
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::audit::{AuditEvent, AuditRange, AuditReport, Auditor};
use carequeue_core::log::EventKind;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rusqlite::types::ValueRef;

/// Every column as stored: filtering `data` in SQL (a CASE on `kind`)
/// cost more than copying it.
const SQL: &str = "SELECT record_id, at, actor, kind, from_stage, to_stage, reason, data \
                   FROM events WHERE record_id IS NOT NULL ORDER BY id";

fn text(v: ValueRef<'_>) -> Option<&str> {
    match v {
        ValueRef::Text(b) => std::str::from_utf8(b).ok(),
        _ => None,
    }
}

/// Calls `f` for every event in log order (so each record's events come
/// oldest first, interleaved with other records'). There is no time
/// filter: a stay that began before a range decides what happens inside it
/// (re-entries, exits before Active Care, the state now), so the audit
/// always reads whole histories. Stops early, without error, when `f`
/// returns `false` (a cancelled audit).
pub fn for_each_event(conn: &Connection, mut f: impl FnMut(&AuditEvent) -> bool) -> Result<()> {
    let mut st = conn.prepare(SQL)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        // A kind this carequeue does not know changes no stay (`verify`
        // names it).
        let Some(kind) = text(r.get_ref(3)?).and_then(|k| k.parse::<EventKind>().ok()) else {
            continue;
        };
        let e = AuditEvent {
            record_id: r.get(0)?,
            at: r.get(1)?,
            actor: text(r.get_ref(2)?).unwrap_or(""),
            kind,
            from: text(r.get_ref(4)?),
            to: text(r.get_ref(5)?),
            reason: text(r.get_ref(6)?),
            data: text(r.get_ref(7)?),
        };
        if !f(&e) {
            break;
        }
    }
    Ok(())
}

struct Row {
    record_id: i64,
    at: i64,
    cols: [Span; 6],
}

/// The full stage audit of the log as of `now` under pipeline `p`.
pub fn audit(
    conn: &Connection,
    p: &Pipeline,
    range: AuditRange,
    now: DateTime<Utc>,
) -> Result<AuditReport> {
    let max_id: i64 =
        conn.query_row("SELECT coalesce(max(id), 0) FROM records", [], |r| r.get(0))?;
    // One sequential pass reads each page once: a large page cache would
    // only hold pages never read again (16 MiB of the console's memory).
    let cache: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", SCAN_CACHE_KIB)?;
    // Per-record figures keep each stay's record only where the pipeline's
    // graph allows a re-entry; a log that re-enters elsewhere (overrides,
    // history from an earlier pipeline) is read again keeping them all.
    let report = scan(conn, p, range, now, max_id, false).and_then(|r| match r {
        Some(r) => Ok(Some(r)),
        None => scan(conn, p, range, now, max_id, true),
    });
    conn.pragma_update(None, "cache_size", cache)?;
    report?.ok_or_else(|| {
        super::StoreError::Io(std::io::Error::other(
            "the audit could not keep its records",
        ))
    })
}

/// The audit connection's page cache while it scans (KiB, as SQLite's
/// negative `cache_size`).
const SCAN_CACHE_KIB: i64 = -2048;

fn scan(
    conn: &Connection,
    p: &Pipeline,
    range: AuditRange,
    now: DateTime<Utc>,
    max_id: i64,
    all_slots: bool,
) -> Result<Option<AuditReport>> {
    // Read in place: ~100 million values, each copied once, into the
    // batch (see `raw`), and reduced on a second thread.
    let row = |q: &mut RawQuery, b: &mut Batch<Row>| Row {
        record_id: q.int(0),
        at: q.int(1),
        cols: [
            b.put(q.text(2)),
            b.put(q.text(3)),
            b.put(q.text(4)),
            b.put(q.text(5)),
            b.put(q.text(6)),
            b.put(q.text(7)),
        ],
    };
    super::batches::read(conn, SQL, row, |full, empty| {
        let mut a = Auditor::new(p, range, now.timestamp());
        a.reserve(max_id);
        if all_slots {
            a.keep_all_slots();
        }
        for b in full {
            for r in &b.rows {
                let [actor, kind, from, to, reason, data] = r.cols;
                let Some(kind) = b.get(kind).and_then(|k| k.parse::<EventKind>().ok()) else {
                    continue;
                };
                a.push(&AuditEvent {
                    record_id: r.record_id,
                    at: r.at,
                    actor: b.get(actor).unwrap_or(""),
                    kind,
                    from: b.get(from),
                    to: b.get(to),
                    reason: b.get(reason),
                    data: b.get(data),
                });
            }
            // The reader may have finished; a lost buffer is fine.
            let _ = empty.send(b);
        }
        (!a.needs_all_slots()).then(|| a.finish())
    })
}
