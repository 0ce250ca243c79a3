//! `import`'s bulk path on PostgreSQL: new records and their events are
//! staged in the session's own temporary tables by `COPY` (made by the
//! schema's `import_begin`, so no login can write to another's), then
//! `import_finish` judges them whole (new ids, the entry stage unless the
//! importer supervises, only the kinds an import makes, each as its record
//! shows it) and moves them into the store, numbering and sealing every
//! event itself, with the actor and login from the session as every
//! write. On PostgreSQL every import goes this way, however small. Rows
//! are sent in chunks, so memory stays flat however long the file.

use super::chain::record_json;
use super::copy::put;
use crate::events::NewEvent;
use crate::{Result, StoreError};
use carequeue_core::engine::Record;
use rusqlite::types::ValueRef;
use std::io::Write;

/// Staged rows are sent once this many bytes wait.
const CHUNK: usize = 8 << 20;

pub struct Staged {
    /// The next id a record without one takes.
    next_id: i64,
    /// Events staged so far: each one's place in the import.
    staged_events: i64,
    records: Vec<u8>,
    events: Vec<u8>,
}

fn text(v: Option<&str>) -> ValueRef<'_> {
    v.map_or(ValueRef::Null, |t| ValueRef::Text(t.as_bytes()))
}

/// Opens the staging tables and notes where the chain and the ids stand.
pub fn begin(tx: &mut postgres::Transaction) -> Result<Staged> {
    let next_id: i64 = tx.query_one("SELECT import_begin()", &[])?.try_get(0)?;
    Ok(Staged {
        next_id,
        staged_events: 0,
        records: Vec::new(),
        events: Vec::new(),
    })
}

impl Staged {
    /// A new record: a given id is kept, else the next one; the ids after
    /// it follow the largest seen.
    pub fn record(&mut self, r: &mut Record) {
        if r.id <= 0 {
            r.id = self.next_id;
        }
        self.next_id = self.next_id.max(r.id + 1);
        let json = record_json(r).to_string();
        put(&mut self.records, ValueRef::Text(json.as_bytes()));
        self.records.push(b'\n');
    }

    /// The next staged event (the server numbers and seals them in the
    /// order staged).
    pub fn event(&mut self, e: &NewEvent) -> Result<()> {
        let Some(record) = e.record_id else {
            return Err(StoreError::Server(
                "a bulk load stages only records' events".into(),
            ));
        };
        self.staged_events += 1;
        let fields = [
            ValueRef::Integer(self.staged_events),
            ValueRef::Integer(record),
            ValueRef::Integer(e.at),
            ValueRef::Text(e.kind.as_str().as_bytes()),
            text(e.event),
            text(e.from),
            text(e.to),
            text(e.reason),
            text(e.note),
            text(e.data),
        ];
        for (i, f) in fields.into_iter().enumerate() {
            if i > 0 {
                self.events.push(b'\t');
            }
            put(&mut self.events, f);
        }
        self.events.push(b'\n');
        Ok(())
    }

    /// Sends what waits, if it is a chunk's worth (or `all`).
    pub fn send(&mut self, tx: &mut postgres::Transaction, all: bool) -> Result<()> {
        if !all && self.records.len() + self.events.len() < CHUNK {
            return Ok(());
        }
        for (table, rows) in [
            ("import_records (r)", &mut self.records),
            (
                "import_events (id, record_id, at, kind, event, from_stage, to_stage, reason, note, data)",
                &mut self.events,
            ),
        ] {
            if rows.is_empty() {
                continue;
            }
            let mut w = tx.copy_in(&format!("COPY pg_temp.{table} FROM STDIN"))?;
            w.write_all(rows)
                .map_err(|e| StoreError::Server(format!("staging an import: {e}")))?;
            w.finish()?;
            rows.clear();
        }
        Ok(())
    }

    /// Sends the rest and moves every staged row into the store.
    pub fn finish(mut self, tx: &mut postgres::Transaction) -> Result<()> {
        self.send(tx, true)?;
        tx.execute("SELECT import_finish()", &[])?;
        Ok(())
    }
}
