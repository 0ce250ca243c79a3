//! Bulk loads (demo, import): drop secondary indexes first and build them
//! once at the end, which is several times faster than maintaining them row
//! by row.

use super::Result;
use rusqlite::Connection;

/// Indexes dropped for a bulk load, to be rebuilt by [`restore_indexes`].
pub struct DroppedIndexes(Vec<String>);

/// Drops the secondary indexes of `records` and `events` (inside the
/// caller's transaction) and returns their definitions.
pub fn drop_indexes(conn: &Connection) -> Result<DroppedIndexes> {
    let mut st = conn.prepare(
        "SELECT name, sql FROM sqlite_master
         WHERE type = 'index' AND tbl_name IN ('records', 'events') AND sql IS NOT NULL",
    )?;
    let defs: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, _) in &defs {
        conn.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(DroppedIndexes(
        defs.into_iter().map(|(_, sql)| sql).collect(),
    ))
}

pub fn restore_indexes(conn: &Connection, dropped: DroppedIndexes) -> Result<()> {
    for sql in dropped.0 {
        conn.execute_batch(&sql)?;
    }
    Ok(())
}
