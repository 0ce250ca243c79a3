//! Reading the stays table: a record's rows (for `verify`), whether the
//! table answers, and the audit over it, read on two threads.

use super::super::batches::{Batch, Span};
use super::super::raw::RawQuery;
use super::super::{Result, meta_get};
use super::{COLUMNS, Memo, State, latest_event, stored};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::audit::{
    AuditRange, AuditReport, Auditor, StayRow, StayView, StaysUse, stays_key,
};
use rusqlite::{Connection, OptionalExtension};

/// The key every row is built under, when no record waits to be settled.
pub fn settled_key(conn: &Connection) -> Result<Option<String>> {
    let dirty: Option<i64> = conn
        .query_row("SELECT record_id FROM stays_dirty LIMIT 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(if dirty.is_some() {
        None
    } else {
        meta_get(conn, "stays_key")?
    })
}

/// One record's rows, in visit order.
pub fn of_record(conn: &Connection, id: i64) -> Result<Vec<StayRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM stays WHERE record_id = ?1 ORDER BY visit"
    ))?;
    let rows = st.query_map([id], |r| {
        Ok(StayRow {
            record_id: r.get(0)?,
            visit: r.get(1)?,
            stage: r.get(2)?,
            entered: r.get(3)?,
            left: r.get(4)?,
            working: r.get(5)?,
            paused: r.get(6)?,
            paused_since: r.get(7)?,
            owner_acted: r.get(8)?,
            paused_after_action: r.get(9)?,
            assigned: r.get(10)?,
            re_entry: r.get(11)?,
            ever_active: r.get(12)?,
            ack: r.get(13)?,
            exit_kind: r.get::<_, Option<String>>(14)?.and_then(|k| k.parse().ok()),
            exit_from: r.get(15)?,
            exit_to: r.get(16)?,
            exit_reason: r.get(17)?,
            events: r.get(18)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether the table answers for pipeline `p` (a what-if pipeline with
/// another key is answered from the log).
pub fn state(conn: &Connection, p: &Pipeline) -> Result<State> {
    Ok(
        if settled_key(conn)?.as_deref() == Some(stays_key(p).as_str()) {
            State::Current
        } else {
            State::Stale
        },
    )
}

/// The audit over stays when the table answers for `p` as of `now`; else
/// why it must be read from the log.
pub fn audit(
    conn: &Connection,
    p: &Pipeline,
    range: AuditRange,
    now: i64,
) -> Result<std::result::Result<AuditReport, StaysUse>> {
    if state(conn, p)? != State::Current {
        let mut memo = Memo::default();
        let stored = stored(conn, &mut memo)?;
        let ours = stored.is_some_and(|s| s.1 == stays_key(p));
        return Ok(Err(if ours {
            StaysUse::Rebuilding
        } else {
            StaysUse::Log
        }));
    }
    if latest_event(conn)? > now {
        return Ok(Err(StaysUse::Log));
    }
    let sql = format!("SELECT {COLUMNS} FROM stays ORDER BY record_id, visit");
    let report = super::super::batches::read(conn, &sql, read_row, |full, empty| {
        let mut a = Auditor::over_stays(p, range, now);
        for b in full {
            for r in &b.rows {
                let [
                    record_id,
                    visit,
                    entered,
                    left,
                    paused,
                    since,
                    acted,
                    after,
                    events,
                ] = r.ints;
                let opt = |v: i64| (v != NULL_INT).then_some(v);
                let [stage, ack, kind, from, to, reason] = r.texts;
                a.push_view(&StayView {
                    record_id,
                    visit: u32::try_from(visit).unwrap_or(0),
                    stage: b.get(stage),
                    entered,
                    left: opt(left),
                    paused,
                    paused_since: opt(since),
                    owner_acted: opt(acted),
                    paused_after_action: after,
                    assigned: r.flags[0],
                    re_entry: r.flags[1],
                    ever_active: r.flags[2],
                    ack: b.get(ack),
                    exit_kind: b.get(kind).and_then(|k| k.parse().ok()),
                    exit_from: b.get(from),
                    exit_to: b.get(to),
                    exit_reason: b.get(reason),
                    events: u32::try_from(events).unwrap_or(0),
                });
            }
            let _ = empty.send(b);
        }
        a.finish()
    })?;
    Ok(Ok(report))
}

/// NULL among a row's integers (no stored time is this).
const NULL_INT: i64 = i64::MIN;

/// One row of [`COLUMNS`] as the audit's reader copies it.
struct Row {
    /// record_id, visit, entered_at, left_at, paused, paused_since,
    /// owner_acted, paused_after_action, events.
    ints: [i64; 9],
    /// assigned, re_entry, ever_active.
    flags: [bool; 3],
    /// stage, ack, exit_kind, exit_from, exit_to, exit_reason.
    texts: [Span; 6],
}

fn read_row(q: &mut RawQuery, b: &mut Batch<Row>) -> Row {
    let mut opt = |i: usize| if q.is_null(i) { NULL_INT } else { q.int(i) };
    let ints = [
        opt(0),
        opt(1),
        opt(3),
        opt(4),
        opt(6),
        opt(7),
        opt(8),
        opt(9),
        opt(18),
    ];
    Row {
        ints,
        flags: [q.int(10) != 0, q.int(11) != 0, q.int(12) != 0],
        texts: [
            b.put(q.text(2)),
            b.put(q.text(13)),
            b.put(q.text(14)),
            b.put(q.text(15)),
            b.put(q.text(16)),
            b.put(q.text(17)),
        ],
    }
}
