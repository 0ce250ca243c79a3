//! Prepared statements for bulk work, without rusqlite's per-value
//! conversions: an INSERT that binds text and blobs in place, and a query
//! that reads columns in place (the audit reads ~100 million values).
//!
//! rusqlite copies every bound string into SQLite (`SQLITE_TRANSIENT`) and
//! goes through a `ToSql` conversion per value. A bulk load binds about a
//! hundred million values, so this statement binds borrowed values with
//! `SQLITE_STATIC` instead. That is sound because [`RawInsert::execute`]
//! binds, steps, resets and clears the bindings before it returns: SQLite
//! never holds a borrowed pointer past the call that lent it.

use super::{Result, StoreError};
use rusqlite::{Connection, ffi};
use std::ffi::{CString, c_int};
use std::ptr;

/// One value to bind.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Param::Null, Param::Text)
    }
}

/// A statement that runs to completion once per [`RawInsert::execute`].
pub struct RawInsert<'c> {
    conn: &'c Connection,
    stmt: *mut ffi::sqlite3_stmt,
    params: usize,
}

impl<'c> RawInsert<'c> {
    pub fn prepare(conn: &'c Connection, sql: &str) -> Result<RawInsert<'c>> {
        let stmt = prepare(conn, sql)?;
        // SAFETY: `stmt` was just prepared successfully.
        let params = unsafe { ffi::sqlite3_bind_parameter_count(stmt) };
        Ok(RawInsert {
            conn,
            stmt,
            params: usize::try_from(params).unwrap_or(0),
        })
    }

    /// Binds `values` to the parameters in order, runs the statement, and
    /// leaves it reset with no bindings.
    pub fn execute(&mut self, values: &[Param<'_>]) -> Result<()> {
        if values.len() != self.params {
            return Err(StoreError::Io(std::io::Error::other(format!(
                "{} values for {} parameters",
                values.len(),
                self.params
            ))));
        }
        let mut rc = ffi::SQLITE_OK;
        for (i, v) in values.iter().enumerate() {
            let at = (i + 1) as c_int;
            // SAFETY: `stmt` is a live prepared statement; borrowed bytes
            // stay valid until the reset and clear below, which happen
            // before this function returns.
            rc = unsafe {
                match *v {
                    Param::Null => ffi::sqlite3_bind_null(self.stmt, at),
                    Param::Int(n) => ffi::sqlite3_bind_int64(self.stmt, at, n),
                    Param::Text(s) => ffi::sqlite3_bind_text64(
                        self.stmt,
                        at,
                        s.as_ptr().cast(),
                        s.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                    Param::Blob(b) => ffi::sqlite3_bind_blob64(
                        self.stmt,
                        at,
                        b.as_ptr().cast(),
                        b.len() as u64,
                        ffi::SQLITE_STATIC(),
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                break;
            }
        }
        if rc == ffi::SQLITE_OK {
            // SAFETY: as above.
            rc = match unsafe { ffi::sqlite3_step(self.stmt) } {
                ffi::SQLITE_DONE => ffi::SQLITE_OK,
                other => other,
            };
        }
        let err = (rc != ffi::SQLITE_OK).then(|| failure(self.conn, rc));
        // SAFETY: as above; after these SQLite holds no borrowed pointer.
        unsafe {
            ffi::sqlite3_reset(self.stmt);
            ffi::sqlite3_clear_bindings(self.stmt);
        }
        err.map_or(Ok(()), Err)
    }
}

impl Drop for RawInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: `stmt` was prepared by this value and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt);
        }
    }
}

/// A query read row by row; column values are borrowed until the next call.
pub struct RawQuery<'c> {
    conn: &'c Connection,
    stmt: *mut ffi::sqlite3_stmt,
    columns: c_int,
    /// Stepping past the end would start the query over.
    done: bool,
    /// Positioned on a row (columns may be read).
    on_row: bool,
}

impl<'c> RawQuery<'c> {
    pub fn prepare(conn: &'c Connection, sql: &str) -> Result<RawQuery<'c>> {
        let stmt = prepare(conn, sql)?;
        // SAFETY: `stmt` was just prepared successfully.
        let columns = unsafe { ffi::sqlite3_column_count(stmt) };
        Ok(RawQuery {
            conn,
            stmt,
            columns,
            done: false,
            on_row: false,
        })
    }

    /// Moves to the next row; `false` once there are none.
    pub fn next(&mut self) -> Result<bool> {
        self.on_row = false;
        if self.done {
            return Ok(false);
        }
        // SAFETY: `stmt` is a live prepared statement.
        match unsafe { ffi::sqlite3_step(self.stmt) } {
            ffi::SQLITE_ROW => {
                self.on_row = true;
                Ok(true)
            }
            ffi::SQLITE_DONE => {
                self.done = true;
                Ok(false)
            }
            rc => {
                self.done = true;
                Err(failure(self.conn, rc))
            }
        }
    }

    /// `col` as SQLite's index, if there is a current row and such a column.
    fn column(&self, col: usize) -> Option<c_int> {
        let c = c_int::try_from(col).ok()?;
        (self.on_row && c < self.columns).then_some(c)
    }

    /// Column `col` of the current row as an integer (0 if NULL or absent,
    /// or when there is no current row).
    pub fn int(&mut self, col: usize) -> i64 {
        let Some(c) = self.column(col) else {
            return 0;
        };
        // SAFETY: `stmt` is live and on a row; `c` is a valid column.
        unsafe { ffi::sqlite3_column_int64(self.stmt, c) }
    }

    /// Whether column `col` of the current row is NULL (or absent).
    pub fn is_null(&mut self, col: usize) -> bool {
        let Some(c) = self.column(col) else {
            return true;
        };
        // SAFETY: as in `int`.
        unsafe { ffi::sqlite3_column_type(self.stmt, c) == ffi::SQLITE_NULL }
    }

    /// Column `col` of the current row as text bytes, `None` if NULL. The
    /// bytes are SQLite's own and valid until the next call on this query
    /// (hence `&mut self`).
    pub fn text(&mut self, col: usize) -> Option<&[u8]> {
        let c = self.column(col)?;
        // SAFETY: as in `int`. The pointer is read before its length, as
        // SQLite recommends, and stays valid while `self` is borrowed.
        unsafe {
            let p = ffi::sqlite3_column_text(self.stmt, c);
            if p.is_null() {
                // NULL (or no memory to convert a value to text).
                return None;
            }
            let n = usize::try_from(ffi::sqlite3_column_bytes(self.stmt, c)).unwrap_or(0);
            Some(std::slice::from_raw_parts(p, n))
        }
    }
}

impl Drop for RawQuery<'_> {
    fn drop(&mut self) {
        // SAFETY: `stmt` was prepared by this value and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt);
        }
    }
}

/// A new prepared statement for `sql`, to be finalized by its owner.
fn prepare(conn: &Connection, sql: &str) -> Result<*mut ffi::sqlite3_stmt> {
    let text = CString::new(sql)
        .map_err(|_| StoreError::Io(std::io::Error::other("SQL text holds a NUL byte")))?;
    let mut stmt = ptr::null_mut();
    // SAFETY: the connection handle is valid while `conn` is borrowed;
    // `text` is NUL-terminated and outlives the call.
    let rc = unsafe {
        ffi::sqlite3_prepare_v2(conn.handle(), text.as_ptr(), -1, &mut stmt, ptr::null_mut())
    };
    if rc != ffi::SQLITE_OK || stmt.is_null() {
        return Err(failure(conn, rc));
    }
    Ok(stmt)
}

/// The connection's error for result code `rc`.
fn failure(conn: &Connection, rc: c_int) -> StoreError {
    // SAFETY: the handle is valid while `conn` is borrowed; the message is
    // copied out before any other call on the connection.
    let msg = unsafe {
        let m = ffi::sqlite3_errmsg(conn.handle());
        (!m.is_null()).then(|| std::ffi::CStr::from_ptr(m).to_string_lossy().into_owned())
    };
    StoreError::Sql(rusqlite::Error::SqliteFailure(ffi::Error::new(rc), msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_borrowed_values_and_reports_errors() -> Result<()> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT, c BLOB, d TEXT NOT NULL)")?;
        let mut ins = RawInsert::prepare(&conn, "INSERT INTO t VALUES (?, ?, ?, ?)")?;
        for i in 0..3 {
            let text = format!("row {i}");
            ins.execute(&[
                Param::Int(i),
                Param::Text(&text),
                Param::Blob(&[1, 2, 3]),
                Param::Text("x"),
            ])?;
        }
        let refused = ins.execute(&[Param::Int(9), Param::Null, Param::Null, Param::Null]);
        assert!(
            matches!(refused, Err(StoreError::Sql(_))),
            "NOT NULL is enforced"
        );
        assert!(ins.execute(&[Param::Int(1)]).is_err(), "too few values");
        // The failure left the statement usable.
        ins.execute(&[
            Param::Int(3),
            Param::from(None),
            Param::Blob(&[]),
            Param::Text("y"),
        ])?;
        drop(ins);
        let rows: Vec<(i64, Option<String>, Vec<u8>)> = conn
            .prepare("SELECT a, b, c FROM t ORDER BY a")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[1], (1, Some("row 1".into()), vec![1, 2, 3]));
        assert_eq!(rows[3], (3, None, vec![]));
        Ok(())
    }

    #[test]
    fn reads_columns_in_place_and_tells_null_from_empty() -> Result<()> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE t (a INTEGER, b TEXT);
             INSERT INTO t VALUES (1, 'one'), (2, ''), (3, NULL), (-4, 'ünï');",
        )?;
        let mut q = RawQuery::prepare(&conn, "SELECT a, b FROM t ORDER BY rowid")?;
        assert_eq!((q.int(0), q.text(1)), (0, None), "no row before the first");
        let mut got = Vec::new();
        while q.next()? {
            let a = q.int(0);
            let b = q.text(1).map(|b| String::from_utf8_lossy(b).into_owned());
            assert_eq!(q.text(7), None, "a column past the end");
            got.push((a, b));
        }
        assert_eq!(
            got,
            [
                (1, Some("one".into())),
                (2, Some("".into())),
                (3, None),
                (-4, Some("ünï".into()))
            ]
        );
        assert!(!q.next()?, "stays done");
        assert!(RawQuery::prepare(&conn, "SELECT nope FROM t").is_err());
        Ok(())
    }
}
