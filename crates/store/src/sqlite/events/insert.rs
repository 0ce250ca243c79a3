//! Events already sealed into the chain, inserted through prepared
//! statements: one row, or many a statement for a bulk load.

use super::{NewEvent, Sealed};
use crate::sqlite::raw::{Param, RawInsert};
use crate::{Result, StoreError};
use rusqlite::Connection;

const INSERT: &str = "INSERT INTO events (id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, op_id, hash) VALUES ";
const ROW: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const COLS: usize = 13;
/// Rows per statement in a bulk insert: one statement step then does the
/// work of many.
const BATCH: usize = 32;

/// Inserts events already sealed into the chain through prepared
/// statements, [`BATCH`] rows a statement when it can (a bulk load inserts
/// millions).
pub struct Inserter<'c> {
    one: rusqlite::CachedStatement<'c>,
    conn: &'c Connection,
}

fn bind(st: &mut rusqlite::Statement, at: usize, e: &NewEvent, s: &Sealed) -> Result<()> {
    // The id is left to SQLite, which appends without a search for the
    // slot; it is the sealed one, as the chain began at max(id) + 1 in this
    // same transaction ([`Inserter::check`] makes sure).
    let values: [&dyn rusqlite::ToSql; COLS] = [
        &rusqlite::types::Null,
        &e.record_id,
        &e.at,
        &e.actor,
        &e.kind.as_str(),
        &e.event,
        &e.from,
        &e.to,
        &e.reason,
        &e.note,
        &e.data,
        &e.op_id,
        &&s.hash[..],
    ];
    for (i, v) in values.iter().enumerate() {
        st.raw_bind_parameter(at * COLS + i + 1, v)?;
    }
    Ok(())
}

impl<'c> Inserter<'c> {
    pub fn new(conn: &'c Connection) -> Result<Inserter<'c>> {
        Ok(Inserter {
            one: conn.prepare_cached(&format!("{INSERT}{ROW}"))?,
            conn,
        })
    }

    pub fn insert(&mut self, e: &NewEvent, s: &Sealed) -> Result<()> {
        bind(&mut self.one, 0, e, s)?;
        self.one.raw_execute()?;
        self.check(s)
    }

    /// The last row went in under the id its hash was sealed with.
    fn check(&self, s: &Sealed) -> Result<()> {
        match self.conn.last_insert_rowid() {
            id if id == s.id => Ok(()),
            actual => Err(StoreError::Misplaced {
                table: "events",
                expected: s.id,
                actual,
            }),
        }
    }

    /// Inserts `rows` in order, [`BATCH`] rows a statement, binding the
    /// borrowed text in place (see [`super::raw`]).
    pub fn insert_all<'e>(
        &mut self,
        mut rows: impl ExactSizeIterator<Item = (NewEvent<'e>, &'e Sealed)>,
    ) -> Result<()> {
        let mut many = RawInsert::prepare(
            self.conn,
            &format!("{INSERT}{}", vec![ROW; BATCH].join(", ")),
        )?;
        let mut one: Option<RawInsert> = None;
        let mut params: Vec<Param<'e>> = Vec::with_capacity(BATCH * COLS);
        while rows.len() > 0 {
            let n = if rows.len() >= BATCH { BATCH } else { 1 };
            params.clear();
            let mut last = None;
            for (e, s) in rows.by_ref().take(n) {
                params.extend([
                    Param::Null,
                    match e.record_id {
                        Some(r) => Param::Int(r),
                        None => Param::Null,
                    },
                    Param::Int(e.at),
                    Param::Text(e.actor),
                    Param::Text(e.kind.as_str()),
                    e.event.into(),
                    e.from.into(),
                    e.to.into(),
                    e.reason.into(),
                    e.note.into(),
                    e.data.into(),
                    e.op_id.into(),
                    Param::Blob(&s.hash),
                ]);
                last = Some(s);
            }
            let st = if n == BATCH {
                &mut many
            } else {
                match &mut one {
                    Some(st) => st,
                    None => one.insert(RawInsert::prepare(self.conn, &format!("{INSERT}{ROW}"))?),
                }
            };
            st.execute(&params)?;
            if let Some(s) = last {
                self.check(s)?;
            }
        }
        Ok(())
    }
}
