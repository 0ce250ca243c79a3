//! Current state of records: read, insert, and versioned update.

use super::{Result, Store, StoreError};
use crate::columns::{self, Col};
use carequeue_core::engine::Record;
use rusqlite::{Connection, OptionalExtension, Row};
use std::sync::LazyLock;

/// The columns a record is read from (see [`crate::columns`]).
pub static COLUMNS: LazyLock<&'static str> = LazyLock::new(columns::read_list);

/// A record from a row of [`COLUMNS`].
pub fn from_row(r: &Row) -> rusqlite::Result<Record> {
    columns::record_from(r)
}

impl columns::Cells for Row<'_> {
    type Error = rusqlite::Error;
    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }
    fn opt_int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }
    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }
    fn opt_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }
}

fn sql(v: columns::Value) -> rusqlite::types::Value {
    match v {
        columns::Value::Int(i) => rusqlite::types::Value::Integer(i),
        columns::Value::Text(t) => rusqlite::types::Value::Text(t),
        columns::Value::Null => rusqlite::types::Value::Null,
    }
}

pub fn load(conn: &Connection, id: i64) -> Result<Record> {
    conn.prepare_cached(&format!("SELECT {} FROM records WHERE id = ?1", *COLUMNS))?
        .query_row([id], from_row)
        .optional()?
        .ok_or(StoreError::NoRecord(id))
}

/// Inserts a new record; `r.id` is ignored unless positive (imports keep ids).
pub fn insert(conn: &Connection, r: &Record) -> Result<i64> {
    insert_as(conn, r, (r.id > 0).then_some(r.id))
}

/// Inserts `r`, whose id is the table's next, letting SQLite append
/// without a search for the slot (a bulk load inserts a million).
pub fn append(conn: &Connection, r: &Record) -> Result<()> {
    match insert_as(conn, r, None)? {
        id if id == r.id => Ok(()),
        actual => Err(super::StoreError::Misplaced {
            table: "records",
            expected: r.id,
            actual,
        }),
    }
}

fn insert_as(conn: &Connection, r: &Record, id: Option<i64>) -> Result<i64> {
    static INSERT: LazyLock<String> = LazyLock::new(|| {
        let names: Vec<&str> = Col::ALL.iter().map(|c| c.name()).collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        format!(
            "INSERT INTO records ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        )
    });
    let values = Col::ALL.map(|c| match c {
        // The table chooses the id unless the record keeps its own.
        Col::Id => id.map_or(
            rusqlite::types::Value::Null,
            rusqlite::types::Value::Integer,
        ),
        Col::Version => rusqlite::types::Value::Integer(r.version.max(1)),
        c => sql(c.value(r)),
    });
    conn.prepare_cached(&INSERT)?
        .execute(rusqlite::params_from_iter(values))?;
    Ok(conn.last_insert_rowid())
}

/// Writes the columns of `r` that differ from `old` (the state it was
/// decided from) if the stored version is still `r.version`, and bumps the
/// version. Only changed columns are written, so only the indexes on them
/// are touched. A stale write is refused, never applied.
pub fn update(conn: &Connection, old: &Record, r: &Record) -> Result<i64> {
    use rusqlite::types::Value;
    let mut sets: Vec<&'static str> = Vec::new();
    let mut args: Vec<Value> = vec![
        Value::Integer(r.id),
        Value::Integer(r.version),
        Value::Integer(r.updated_at),
    ];
    for c in Col::ALL {
        // The key, the version and its bookkeeping are written apart.
        if matches!(
            c,
            Col::Id | Col::Version | Col::UpdatedAt | Col::CreatedAt | Col::Patient
        ) {
            continue;
        }
        let new = c.value(r);
        if c.value(old) != new {
            sets.push(c.name());
            args.push(sql(new));
        }
    }
    let mut sql = String::from("UPDATE records SET version = version + 1, updated_at = ?3");
    for (i, name) in sets.iter().enumerate() {
        sql.push_str(&format!(", {name} = ?{}", i + 4));
    }
    sql.push_str(" WHERE id = ?1 AND version = ?2");
    let n = conn
        .prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(args))?;
    if n == 1 {
        return Ok(r.version + 1);
    }
    let actual: Option<i64> = conn
        .query_row("SELECT version FROM records WHERE id = ?1", [r.id], |x| {
            x.get(0)
        })
        .optional()?;
    match actual {
        None => Err(StoreError::NoRecord(r.id)),
        Some(actual) => Err(StoreError::Stale {
            id: r.id,
            expected: r.version,
            actual: Some(actual),
        }),
    }
}

impl Store {
    pub fn record(&self, id: i64) -> Result<Record> {
        load(self.conn(), id)
    }
}

/// Each stage holding records, with how many, by name.
pub fn stage_totals(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let mut st =
        conn.prepare("SELECT stage, total FROM stage_counts WHERE total > 0 ORDER BY stage")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

#[cfg(test)]
mod tests {
    use crate::columns::Col;

    #[test]
    fn the_table_has_the_columns_spelled_in_columns_rs_in_their_order() {
        let s = crate::Store::scratch().expect("scratch");
        let mut st = s
            .conn()
            .prepare("SELECT name FROM pragma_table_info('records') ORDER BY cid")
            .expect("table_info");
        let names: Vec<String> = st
            .query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("names");
        let want: Vec<&str> = Col::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names, want);
    }
}
