//! Tables between SQLite and PostgreSQL, row for row, through `COPY` in
//! its text format: to PostgreSQL for `migrate`, and back into a private
//! in-memory SQLite snapshot for `verify`. One list of tables and columns
//! serves both directions, so they cannot drift apart.

use crate::StoreError;
use rusqlite::types::{Value, ValueRef};
use std::io::{BufRead, Write};

/// How a column's values are written in COPY's text format.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    /// SQLite's 0/1, PostgreSQL's boolean.
    Bool,
    /// SQLite's BLOB (or a hash kept as hex text), PostgreSQL's bytea.
    Bytes,
}

use crate::columns::{Col, Ty};
use Kind::{Bool, Bytes, Int, Text};

/// A table both stores hold, its columns by the same names.
/// The `records` table's columns, as [`crate::columns`] spells them.
const RECORD_COLS: [(&str, Kind); Col::ALL.len()] = {
    let mut out = [("", Int); Col::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        let c = Col::ALL[i];
        out[i] = (
            c.name(),
            match c.ty() {
                Ty::Int => Int,
                Ty::Text => Text,
            },
        );
        i += 1;
    }
    out
};

pub struct Table {
    pub name: &'static str,
    cols: &'static [(&'static str, Kind)],
    /// The order rows are read in (parents before children).
    order: &'static str,
}

/// Every table `migrate` copies, parents first (foreign keys hold at each
/// step). `meta` and the chains' heads are carried separately.
pub const TABLES: &[Table] = &[
    Table {
        name: "users",
        cols: &[
            ("name", Text),
            ("roles", Text),
            ("created_at", Int),
            ("login", Text),
            ("enabled", Bool),
        ],
        order: "name",
    },
    Table {
        name: "records",
        cols: &RECORD_COLS,
        order: "id",
    },
    Table {
        name: "events",
        cols: &[
            ("id", Int),
            ("record_id", Int),
            ("at", Int),
            ("actor", Text),
            ("kind", Text),
            ("event", Text),
            ("from_stage", Text),
            ("to_stage", Text),
            ("reason", Text),
            ("note", Text),
            ("data", Text),
            ("op_id", Text),
            ("hash", Bytes),
        ],
        order: "id",
    },
    Table {
        name: "stays",
        cols: &[
            ("record_id", Int),
            ("visit", Int),
            ("stage", Text),
            ("entered_at", Int),
            ("left_at", Int),
            ("working", Int),
            ("paused", Int),
            ("paused_since", Int),
            ("owner_acted", Int),
            ("paused_after_action", Int),
            ("assigned", Bool),
            ("re_entry", Bool),
            ("ever_active", Bool),
            ("ack", Text),
            ("exit_kind", Text),
            ("exit_from", Text),
            ("exit_to", Text),
            ("exit_reason", Text),
            ("events", Int),
        ],
        order: "record_id, visit",
    },
    Table {
        name: "stays_dirty",
        cols: &[("record_id", Int)],
        order: "record_id",
    },
    Table {
        name: "pipelines",
        cols: &[
            ("version", Int),
            ("hash", Text),
            ("text", Text),
            ("event_id", Int),
        ],
        order: "version",
    },
    Table {
        name: "access_log",
        cols: &[
            ("id", Int),
            ("at", Int),
            ("actor", Text),
            ("action", Text),
            ("record_id", Int),
            ("detail", Text),
            ("hash", Bytes),
        ],
        order: "id",
    },
    Table {
        name: "user_views",
        cols: &[
            ("user", Text),
            ("name", Text),
            ("base", Text),
            ("stage", Text),
            ("filter", Text),
            ("sort", Text),
            ("owner", Text),
            ("columns", Text),
            ("saved_at", Int),
        ],
        order: "\"user\", name",
    },
];

impl Table {
    /// The column list, each name quoted (`user` is reserved in PostgreSQL).
    fn columns(&self) -> String {
        let names: Vec<String> = self.cols.iter().map(|(c, _)| format!("\"{c}\"")).collect();
        names.join(", ")
    }

    /// `SELECT` of this table's columns in its order (the same text reads
    /// either store).
    fn select(&self) -> String {
        self.select_from(self.name)
    }

    /// [`Table::select`] from `relation`.
    fn select_from(&self, relation: &str) -> String {
        format!(
            "SELECT {} FROM {relation} ORDER BY {}",
            self.columns(),
            self.order
        )
    }

    /// What a PostgreSQL session reads this table through: the logged
    /// read views for the tables that name patients (schema step 3).
    fn pg_relation(&self) -> &'static str {
        match self.name {
            "records" => "records_read",
            "events" => "events_read",
            other => other,
        }
    }
}

/// One value as a field of COPY's text format, as its own type says
/// (a blob as bytea), with no tab before it.
pub(super) fn put(out: &mut Vec<u8>, v: ValueRef) {
    encode(out, v, Text);
}

/// One value as a field of COPY's text format.
fn encode(out: &mut Vec<u8>, v: ValueRef, kind: Kind) {
    match (v, kind) {
        (ValueRef::Null, _) => out.extend_from_slice(b"\\N"),
        (ValueRef::Integer(i), _) => out.extend_from_slice(i.to_string().as_bytes()),
        (ValueRef::Real(f), _) => out.extend_from_slice(f.to_string().as_bytes()),
        // A hash kept as hex text is the same bytes.
        (ValueRef::Text(t), Bytes) => {
            out.extend_from_slice(b"\\\\x");
            out.extend_from_slice(t);
        }
        (ValueRef::Text(t), _) => escape(out, t),
        (ValueRef::Blob(b), _) => {
            out.extend_from_slice(b"\\\\x");
            out.extend_from_slice(super::super::events::hex(b).as_bytes());
        }
    }
}

fn escape(out: &mut Vec<u8>, t: &[u8]) {
    for &b in t {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// One field of COPY's text format back into a value; `None` if it is
/// not one this column could hold.
fn decode(field: &[u8], kind: Kind) -> Option<Value> {
    if field == b"\\N" {
        return Some(Value::Null);
    }
    let text = unescape(field)?;
    Some(match kind {
        Int => Value::Integer(std::str::from_utf8(&text).ok()?.parse().ok()?),
        Bool => Value::Integer(match &text[..] {
            b"t" => 1,
            b"f" => 0,
            _ => return None,
        }),
        Bytes => Value::Blob(unhex(text.strip_prefix(b"\\x")?)?),
        Text => Value::Text(String::from_utf8(text).ok()?),
    })
}

fn unescape(field: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(field.len());
    let mut it = field.iter();
    while let Some(&b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        out.push(match it.next()? {
            b't' => b'\t',
            b'n' => b'\n',
            b'r' => b'\r',
            b'b' => 8,
            b'f' => 12,
            b'v' => 11,
            &other => other,
        });
    }
    Some(out)
}

/// Bytes from lowercase or uppercase hex.
pub(super) fn unhex(h: &[u8]) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    if !h.len().is_multiple_of(2) {
        return None;
    }
    h.chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// Copies `t`'s rows from SQLite into PostgreSQL (inside `tx`) with one
/// `COPY … FROM STDIN`; returns how many.
pub fn to_pg(
    conn: &rusqlite::Connection,
    tx: &mut postgres::Transaction,
    t: &Table,
    login: Option<&str>,
) -> crate::Result<i64> {
    let mut st = conn.prepare(&t.select())?;
    let mut rows = st.query([])?;
    // The logs' rows recorded under `login`, where one is given (`init`).
    let login = login.filter(|_| matches!(t.name, "events" | "access_log"));
    let columns = match login {
        Some(_) => format!("{}, login", t.columns()),
        None => t.columns(),
    };
    let mut w = tx.copy_in(&format!("COPY {} ({columns}) FROM STDIN", t.name))?;
    let mut line = Vec::with_capacity(256);
    let mut n = 0i64;
    while let Some(row) = rows.next()? {
        line.clear();
        for (i, (_, kind)) in t.cols.iter().enumerate() {
            if i > 0 {
                line.push(b'\t');
            }
            encode(&mut line, row.get_ref(i)?, *kind);
        }
        if let Some(login) = login {
            line.push(b'\t');
            encode(&mut line, ValueRef::Text(login.as_bytes()), Text);
        }
        line.push(b'\n');
        w.write_all(&line)
            .map_err(|e| StoreError::Unavailable(format!("copying {}: {e}", t.name)))?;
        n += 1;
    }
    w.finish()?;
    Ok(n)
}

/// Copies `t`'s rows from PostgreSQL (as `tx` sees them) into SQLite with
/// `COPY … TO STDOUT`; returns how many.
pub fn to_sqlite(
    tx: &mut postgres::Transaction,
    conn: &rusqlite::Connection,
    t: &Table,
) -> crate::Result<i64> {
    let r = tx.copy_out(&format!(
        "COPY ({}) TO STDOUT",
        t.select_from(t.pg_relation())
    ))?;
    let marks = vec!["?"; t.cols.len()].join(", ");
    let mut ins = conn.prepare(&format!(
        "INSERT INTO {} ({}) VALUES ({marks})",
        t.name,
        t.columns()
    ))?;
    let mut n = 0i64;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, r);
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        let got = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| StoreError::Unavailable(format!("reading {}: {e}", t.name)))?;
        if got == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let fields: Vec<&[u8]> = line.split(|b| *b == b'\t').collect();
        if fields.len() != t.cols.len() {
            return Err(StoreError::Broken(format!(
                "{} row {}: unexpected columns",
                t.name,
                n + 1
            )));
        }
        let mut values = Vec::with_capacity(fields.len());
        for (f, (col, kind)) in fields.iter().zip(t.cols) {
            values.push(decode(f, *kind).ok_or_else(|| {
                StoreError::Broken(format!("{} row {}: column {col} unreadable", t.name, n + 1))
            })?);
        }
        ins.execute(rusqlite::params_from_iter(values))
            .map_err(|e| StoreError::Broken(format!("{} row {}: {e}", t.name, n + 1)))?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_round_trip_through_the_copy_format() {
        for s in [
            "plain",
            "tab\there",
            "new\nline",
            "back\\slash\\N",
            "\r",
            "",
            "Grünewald",
        ] {
            let mut out = Vec::new();
            encode(&mut out, ValueRef::Text(s.as_bytes()), Text);
            assert!(!out.contains(&b'\t') && !out.contains(&b'\n'), "{s:?}");
            assert_eq!(decode(&out, Text), Some(Value::Text(s.into())), "{s:?}");
        }
        let mut out = Vec::new();
        encode(&mut out, ValueRef::Null, Text);
        assert_eq!(decode(&out, Text), Some(Value::Null));
    }

    #[test]
    fn hashes_and_flags_cross_as_their_postgresql_types() {
        let mut out = Vec::new();
        encode(&mut out, ValueRef::Blob(&[0xab, 0x01]), Bytes);
        assert_eq!(out, b"\\\\xab01");
        assert_eq!(decode(&out, Bytes), Some(Value::Blob(vec![0xab, 0x01])));
        let mut out = Vec::new();
        encode(&mut out, ValueRef::Text(b"ab01"), Bytes);
        assert_eq!(decode(&out, Bytes), Some(Value::Blob(vec![0xab, 0x01])));
        assert_eq!(decode(b"t", Bool), Some(Value::Integer(1)));
        assert_eq!(decode(b"f", Bool), Some(Value::Integer(0)));
        assert_eq!(decode(b"yes", Bool), None);
        assert_eq!(decode(b"12x", Int), None);
    }
}
