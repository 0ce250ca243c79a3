//! The audit's one pass over the event log: every event, grouped by record
//! and oldest first (`ORDER BY record_id, id`, the `events_record` index),
//! handed to a callback without allocating per row.

use super::Result;
use crate::domain::Pipeline;
use crate::engine::audit::{AuditEvent, AuditRange, AuditReport, Auditor};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rusqlite::types::ValueRef;

fn text(v: ValueRef<'_>) -> Option<&str> {
    match v {
        ValueRef::Text(b) => std::str::from_utf8(b).ok(),
        _ => None,
    }
}

/// Calls `f` for every event, each record's events contiguous and oldest
/// first. There is no time filter: a stay that began before a range decides
/// what happens inside it (re-entries, exits before Active Care, the state
/// now), so the audit always reads whole histories. Stops early, without
/// error, when `f` returns `false` (a cancelled audit).
pub fn for_each_event(conn: &Connection, mut f: impl FnMut(&AuditEvent) -> bool) -> Result<()> {
    let sql = "SELECT record_id, at, actor, kind, from_stage, to_stage, reason, data \
               FROM events ORDER BY record_id, id";
    let mut st = conn.prepare(sql)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let e = AuditEvent {
            record_id: r.get(0)?,
            at: r.get(1)?,
            actor: text(r.get_ref(2)?).unwrap_or(""),
            kind: text(r.get_ref(3)?).unwrap_or(""),
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

/// The full stage audit of the log as of `now` under pipeline `p`.
pub fn audit(
    conn: &Connection,
    p: &Pipeline,
    range: AuditRange,
    now: DateTime<Utc>,
) -> Result<AuditReport> {
    let mut a = Auditor::new(p, range, now.timestamp());
    for_each_event(conn, |e| {
        a.push(e);
        true
    })?;
    Ok(a.finish())
}
