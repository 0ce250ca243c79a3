//! Saved console views, one user's each: a name, the built-in view it
//! narrows, and its filter, order, owner mode and columns. Preferences, not
//! history: kept outside the event chain, written only by `:save` and
//! `:view delete`.

use super::Result;
use crate::views::SavedView;
use rusqlite::{Connection, params};

pub fn list(conn: &Connection, user: &str) -> Result<Vec<SavedView>> {
    let mut st = conn.prepare_cached(
        "SELECT name, base, stage, filter, sort, owner, columns FROM user_views
         WHERE user = ?1 ORDER BY name",
    )?;
    let rows = st.query_map([user], |r| {
        Ok(SavedView {
            name: r.get(0)?,
            base: r.get(1)?,
            stage: r.get(2)?,
            filter: r.get(3)?,
            sort: r.get(4)?,
            owner: r.get(5)?,
            columns: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Saves `v` for `user`, replacing a view of the same name.
pub fn save(conn: &Connection, user: &str, v: &SavedView, at: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO user_views (user, name, base, stage, filter, sort, owner, columns, saved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (user, name) DO UPDATE SET base = excluded.base, stage = excluded.stage,
           filter = excluded.filter, sort = excluded.sort, owner = excluded.owner,
           columns = excluded.columns, saved_at = excluded.saved_at",
    )?
    .execute(params![
        user, v.name, v.base, v.stage, v.filter, v.sort, v.owner, v.columns, at
    ])?;
    Ok(())
}

/// Deletes `user`'s view `name`; whether there was one.
pub fn delete(conn: &Connection, user: &str, name: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM user_views WHERE user = ?1 AND name = ?2")?
        .execute([user, name])?
        == 1)
}
