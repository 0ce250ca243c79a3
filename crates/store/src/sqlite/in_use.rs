//! What the records hold of a pipeline, for `pipeline diff` and `apply`:
//! counts per stage, sub-status and field value, and the quiet rewrite of
//! an open record's clock when a new pipeline re-times it (no event: replay
//! recomputes the same from the log).

use super::Result;
use crate::in_use::{
    InUse, field_values_sql, stage_totals_sql, substatus_totals_sql, waiting_on_timers_sql,
};
use crate::team::Member;
use crate::terms::SQLITE;
use carequeue_core::engine::Record;
use carequeue_core::engine::retime::Stay;
use carequeue_core::engine::sla::ClockState;
use rusqlite::Connection;
use std::sync::LazyLock;

/// Records per stage, stages with none left out.
pub fn stage_totals(conn: &Connection) -> Result<Vec<(String, i64)>> {
    static SQL: LazyLock<String> = LazyLock::new(|| stage_totals_sql(&SQLITE));
    let mut st = conn.prepare_cached(&SQL)?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Records per stage and sub-status, where one is set.
pub fn substatus_totals(conn: &Connection) -> Result<Vec<(String, String, i64)>> {
    let mut st = conn.prepare(&substatus_totals_sql(&SQLITE))?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Each value field `field` holds, with how many records hold it.
pub fn field_values(conn: &Connection, field: &str) -> Result<Vec<(String, i64)>> {
    let mut st = conn.prepare(&field_values_sql(&SQLITE))?;
    let rows = st.query_map([SQLITE.field_arg(field)], |r| {
        let v: rusqlite::types::Value = r.get(0)?;
        let text = match v {
            rusqlite::types::Value::Text(t) => t,
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Real(f) => f.to_string(),
            _ => String::new(),
        };
        Ok((text, r.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Records in `stage` waiting on a timer.
pub fn waiting_on_timers(conn: &Connection, stage: &str) -> Result<i64> {
    Ok(conn.query_row(&waiting_on_timers_sql(&SQLITE), [stage], |r| r.get(0))?)
}

/// The ids of the records in `stage`, in id order.
pub fn ids_in_stage(conn: &Connection, stage: &str) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached("SELECT id FROM records WHERE stage = ?1 ORDER BY id")?;
    let rows = st.query_map([stage], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The pauses and resumes of record `r`'s current stay: those after the
/// last event that entered a stage. Events of a record are never dated
/// before its latest, so they are the pauses dated from `entered_at` on,
/// read from a small index; only a pause dated in the very second of the
/// entry needs the exact (slower) look at which event came first.
pub fn stay(conn: &Connection, r: &Record) -> Result<Stay> {
    let mut st = conn.prepare_cached(
        "SELECT at, kind FROM events WHERE record_id = ?1 AND kind IN ('pause', 'resume')
           AND at >= ?2 ORDER BY id",
    )?;
    let marks = st
        .query_map([r.id, r.entered_at], mark)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if marks.first().is_none_or(|(at, _)| *at > r.entered_at) {
        return Ok(Stay { marks });
    }
    let mut st = conn.prepare_cached(
        "SELECT at, kind FROM events WHERE record_id = ?1 AND kind IN ('pause', 'resume')
           AND id > (SELECT coalesce(max(id), 0) FROM events WHERE record_id = ?1
                     AND kind IN ('create', 'transition', 'timer', 'override'))
         ORDER BY id",
    )?;
    let marks = st
        .query_map([r.id], mark)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Stay { marks })
}

fn mark(row: &rusqlite::Row) -> rusqlite::Result<(i64, bool)> {
    let kind: String = row.get(1)?;
    let kind = crate::events::StoredKind::from(kind);
    Ok((
        row.get(0)?,
        kind.known() == Some(crate::events::EventKind::Pause),
    ))
}

/// Writes the clock, timer and escalation-role columns of `r` that differ
/// from `old`, without an event and without a new version: what a newly
/// applied pipeline recomputed. Only changed columns are named, so only the
/// indexes on them are touched.
pub fn rewrite_clock(conn: &Connection, old: &Record, r: &Record) -> Result<()> {
    use rusqlite::types::Value;
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
    let (sort_old, sort_new) = (ClockState::of(old).sort_due(), ClockState::of(r).sort_due());
    let cols: [(&str, bool, Value); 9] = [
        ("due_at", old.due_at != r.due_at, int(r.due_at)),
        ("warn_at", old.warn_at != r.warn_at, int(r.warn_at)),
        (
            "paused_since",
            old.paused_since != r.paused_since,
            int(r.paused_since),
        ),
        (
            "paused_left",
            old.paused_left != r.paused_left,
            int(r.paused_left),
        ),
        ("sort_due", sort_old != sort_new, Value::Integer(sort_new)),
        ("timer_at", old.timer_at != r.timer_at, int(r.timer_at)),
        (
            "warning_at",
            old.warning_at != r.warning_at,
            int(r.warning_at),
        ),
        (
            "owner_role",
            old.owner_role != r.owner_role,
            text(&r.owner_role),
        ),
        (
            "notify_role",
            old.notify_role != r.notify_role,
            text(&r.notify_role),
        ),
    ];
    let mut sets = Vec::new();
    let mut args = vec![Value::Integer(r.id)];
    for (name, changed, v) in cols {
        if changed {
            args.push(v);
            sets.push(format!("{name} = ?{}", args.len()));
        }
    }
    if sets.is_empty() {
        return Ok(());
    }
    conn.prepare_cached(&format!(
        "UPDATE records SET {} WHERE id = ?1",
        sets.join(", ")
    ))?
    .execute(rusqlite::params_from_iter(args))?;
    Ok(())
}

/// Escalation roles renamed: every record's owner and notified role that
/// names `old` names `new` instead (no event; replay does the same).
pub fn rename_role_in_records(conn: &Connection, old: &str, new: &str) -> Result<()> {
    conn.execute(
        "UPDATE records SET owner_role = ?2 WHERE owner_role = ?1",
        [old, new],
    )?;
    conn.execute(
        "UPDATE records SET notify_role = ?2 WHERE notify_role = ?1",
        [old, new],
    )?;
    Ok(())
}

/// [`InUse`] on a SQLite connection (or transaction).
pub struct Reads<'a>(pub &'a Connection);

impl InUse for Reads<'_> {
    fn stage_totals(&mut self) -> Result<Vec<(String, i64)>> {
        stage_totals(self.0)
    }
    fn substatus_totals(&mut self) -> Result<Vec<(String, String, i64)>> {
        substatus_totals(self.0)
    }
    fn field_values(&mut self, field: &str) -> Result<Vec<(String, i64)>> {
        field_values(self.0, field)
    }
    fn waiting_on_timers(&mut self, stage: &str) -> Result<i64> {
        waiting_on_timers(self.0, stage)
    }
    fn members(&mut self) -> Result<Vec<Member>> {
        super::users::members(self.0)
    }
}
