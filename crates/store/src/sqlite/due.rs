//! What the sweep finds due, on SQLite.

use super::{Result, Store};
use crate::due::{Cursor, escalations_sql, timers_sql, warnings_sql};
use crate::terms::SQLITE;
use std::sync::LazyLock;

/// [`crate::due::timers_sql`] in SQLite's words.
pub static TIMERS_DUE_SQL: LazyLock<String> = LazyLock::new(|| timers_sql(&SQLITE));

/// [`crate::due::warnings_sql`] in SQLite's words.
pub static WARNINGS_DUE_SQL: LazyLock<String> = LazyLock::new(|| warnings_sql(&SQLITE));

/// [`crate::due::escalations_sql`] in SQLite's words.
pub static ESCALATIONS_DUE_SQL: LazyLock<String> = LazyLock::new(|| escalations_sql(&SQLITE));

fn batch(store: &Store, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<Cursor>> {
    let mut st = store.conn().prepare_cached(sql)?;
    let rows = st.query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub fn timers(store: &Store, now: i64, after: Cursor, limit: i64) -> Result<Vec<Cursor>> {
    batch(store, &TIMERS_DUE_SQL, &[&now, &after.0, &after.1, &limit])
}

pub fn warnings(store: &Store, now: i64, after: Cursor, limit: i64) -> Result<Vec<Cursor>> {
    batch(
        store,
        &WARNINGS_DUE_SQL,
        &[&now, &after.0, &after.1, &limit],
    )
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
        &ESCALATIONS_DUE_SQL,
        &[&stage, &level, &latest_due, &after.0, &after.1, &limit],
    )
}
