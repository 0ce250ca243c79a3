//! What the sweep finds due: records with a timer due, and records of a
//! stage due for an escalation level, each in due order, a batch at a
//! time after a keyset cursor (`(due, id)`), on the indexes that hold them.

use super::{Result, Store};

/// Records with a timer due, in due order, a batch after a keyset cursor.
pub const TIMERS_DUE_SQL: &str = "SELECT timer_at, id FROM records
     WHERE timer_at <= ?1 AND (timer_at, id) > (?2, ?3) ORDER BY timer_at, id LIMIT ?4";

/// Records of a stage due for escalation level ?2, in due order.
pub const ESCALATIONS_DUE_SQL: &str = "SELECT sort_due, id FROM records
     WHERE stage = ?1 AND escalation = ?2 AND due_at IS NOT NULL AND sort_due <= ?3
       AND (sort_due, id) > (?4, ?5)
     ORDER BY sort_due, id LIMIT ?6";

/// A keyset cursor: the last `(due, id)` read.
pub type Cursor = (i64, i64);

fn batch(store: &Store, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<Cursor>> {
    let mut st = store.conn().prepare_cached(sql)?;
    let rows = st.query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub fn timers(store: &Store, now: i64, after: Cursor, limit: i64) -> Result<Vec<Cursor>> {
    batch(store, TIMERS_DUE_SQL, &[&now, &after.0, &after.1, &limit])
}

pub fn escalations(
    store: &Store,
    stage: &str,
    level: i64,
    latest_due: i64,
    after: Cursor,
    limit: i64,
) -> Result<Vec<Cursor>> {
    batch(
        store,
        ESCALATIONS_DUE_SQL,
        &[&stage, &level, &latest_due, &after.0, &after.1, &limit],
    )
}

/// The same statements in PostgreSQL's words.
pub const PG_TIMERS_DUE_SQL: &str = "SELECT timer_at, id FROM records
     WHERE timer_at <= $1 AND (timer_at, id) > ($2, $3) ORDER BY timer_at, id LIMIT $4";
pub const PG_ESCALATIONS_DUE_SQL: &str = "SELECT sort_due, id FROM records
     WHERE stage = $1 AND escalation = $2::bigint AND due_at IS NOT NULL AND sort_due <= $3
       AND (sort_due, id) > ($4, $5)
     ORDER BY sort_due, id LIMIT $6";
