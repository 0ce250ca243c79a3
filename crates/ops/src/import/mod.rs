//! CSV import: every row is validated and every problem collected; all rows
//! are written in one transaction, or none.
//!
//! Columns (header required, names exact, any order): `patient` (required),
//! any of the pipeline's field ids, and for migrations from another system
//! `stage`, `owner`, `entered_at`, `substatus`; `id` keeps the record id
//! when given (it must be free). Problems are reported as
//! `FILE:ROW:COLUMN: message`, where ROW is the CSV line the row starts on
//! (the header is line 1); a message never carries the cell's value, which
//! may be patient data.

use super::{OpError, supervises};
use carequeue_core::domain::Pipeline;

use carequeue_core::log::EventKind;
use carequeue_store::db;
use carequeue_store::{Db, NewEvent, StoreError, Tx};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Read;

/// Files at least this large are loaded with the secondary indexes dropped
/// and rebuilt once at the end (faster than maintaining them row by row).
pub const IMPORT_BULK_BYTES: u64 = 4 << 20;

/// One thing wrong with the input: where, and what, never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// The CSV line the row starts on; 1 is the header.
    pub row: u64,
    /// The column's name (or `column N` where the header has none).
    pub column: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.row, self.column, self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input has problems; nothing was written. The first
    /// [`SHOWN_PROBLEMS`] are kept, in order; `more` counts the rest.
    #[error("{file}: {} problem(s); nothing imported", problems.len() + more)]
    Problems {
        file: String,
        problems: Vec<Problem>,
        more: usize,
    },
    #[error("{file}: {source}")]
    Read { file: String, source: csv::Error },
    #[error(transparent)]
    Op(#[from] OpError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Op(OpError::Store(e))
    }
}

mod header;
mod rows;

use header::*;
use rows::*;

/// Writes one record and the events that replay to it: `create`, then a
/// sub-status change if it differs from the stage's initial one, then `assign`.
fn write(p: &Pipeline, tx: &mut dyn Tx, actor: &str, prep: &Prepared) -> Result<i64, StoreError> {
    let mut rec = prep.rec.clone();
    let at = rec.entered_at;
    let data = Some(carequeue_core::engine::replay::create_data(
        &rec.patient,
        &rec.fields,
    ));
    tx.save(
        None,
        &mut rec,
        &NewEvent {
            at,
            actor,
            to: Some(&prep.rec.stage),
            data: data.as_deref(),
            ..NewEvent::blank(EventKind::Create)
        },
    )?;
    let id = rec.id;
    if rec.substatus != prep.initial {
        let stage = p.stage_ix(&rec.stage).map(|s| p.stage(s));
        let pauses = |v: &Option<String>| {
            v.as_deref()
                .and_then(|v| stage.and_then(|st| st.substatus(v)))
                .is_some_and(|s| s.pauses)
        };
        let kind = match (pauses(&prep.initial), pauses(&rec.substatus)) {
            (false, true) => EventKind::Pause,
            (true, false) => EventKind::Resume,
            _ => EventKind::Substatus,
        };
        tx.append(&NewEvent {
            record_id: Some(id),
            at,
            actor,
            from: prep.initial.as_deref(),
            to: rec.substatus.as_deref(),
            ..NewEvent::blank(kind)
        })?;
    }
    if let Some(owner) = rec.assignee.as_deref() {
        tx.append(&NewEvent {
            record_id: Some(id),
            at,
            actor,
            to: Some(owner),
            ..NewEvent::blank(EventKind::Assign)
        })?;
    }
    Ok(id)
}

/// How many problems an import keeps to report (the rest are counted).
pub const SHOWN_PROBLEMS: usize = 100;
/// The longest header line read, in bytes: a file whose first line is
/// longer is no CSV carequeue made or could read.
pub const MAX_HEADER_BYTES: u64 = 1 << 20;

/// `problems` cut to the first [`SHOWN_PROBLEMS`], the rest added to `more`.
fn keep_first(problems: &mut Vec<Problem>, more: &mut usize) {
    if problems.len() > SHOWN_PROBLEMS {
        *more += problems.len() - SHOWN_PROBLEMS;
        problems.truncate(SHOWN_PROBLEMS);
    }
}

/// A reader that fails once more than `limit` bytes have been read while
/// the header is being read ([`MAX_HEADER_BYTES`]); lifted after it.
struct HeaderCap<R> {
    inner: R,
    left: std::rc::Rc<std::cell::Cell<Option<u64>>>,
}

impl<R: Read> Read for HeaderCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(left) = self.left.get() {
            let n64 = u64::try_from(n).unwrap_or(u64::MAX);
            if n64 > left {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("the header line is longer than {MAX_HEADER_BYTES} bytes"),
                ));
            }
            self.left.set(Some(left - n64));
        }
        Ok(n)
    }
}

/// Imports the CSV `input` (named `file` in problems) as `actor`: every row,
/// or none. `size_hint` (the file's size in bytes, 0 if unknown) picks the
/// bulk path for large files. Returns the number of records written.
pub fn import_csv(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &crate::Actor,
    file: &str,
    input: impl Read,
    size_hint: u64,
    now: DateTime<Utc>,
) -> Result<usize, ImportError> {
    // The header is read under a cap (the csv reader reads ahead, so the
    // cap counts its buffer too: the first line is refused only well past
    // the cap); rows after it are read without.
    let left = std::rc::Rc::new(std::cell::Cell::new(Some(MAX_HEADER_BYTES)));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(HeaderCap {
            inner: input,
            left: left.clone(),
        });
    let read_err = |source| ImportError::Read {
        file: file.to_string(),
        source,
    };
    let mut raw = csv::ByteRecord::new();
    let got = rdr.read_byte_record(&mut raw).map_err(read_err)?;
    if !got {
        raw.clear();
    }
    left.set(None);
    let header_row = raw.position().map_or(1, |pos| pos.line());
    let header = check_header(p, file, header_row, &raw).map_err(|mut problems| {
        let mut more = 0;
        keep_first(&mut problems, &mut more);
        ImportError::Problems {
            file: file.to_string(),
            problems,
            more,
        }
    })?;
    if header
        .cols
        .iter()
        .any(|c| matches!(c, Col::Stage | Col::Owner | Col::EnteredAt | Col::Substatus))
        && !supervises(p, actor)
    {
        return Err(OpError::Denied(format!(
            "{file}: importing with migration columns ({}) needs a supervising role; `{}` holds none",
            MIGRATION.join(", "),
            actor.name
        ))
        .into());
    }
    let has_substatus_col = header.cols.contains(&Col::Substatus);
    db::write(store, |tx| -> Result<usize, ImportError> {
        if size_hint >= IMPORT_BULK_BYTES || tx.imports_in_bulk() {
            // About 100 bytes a row.
            tx.bulk_load(i64::try_from(size_hint / 100).unwrap_or(i64::MAX))?;
        }
        let now = crate::actions::dated(tx, now);
        let mut lk = Lookup {
            p,
            tx,
            now,
            users: HashMap::new(),
            ids: HashSet::new(),
            has_substatus_col,
        };
        let mut problems = Vec::new();
        let mut more = 0usize;
        let mut written = 0usize;
        loop {
            if !rdr.read_byte_record(&mut raw).map_err(read_err)? {
                break;
            }
            let row = raw.position().map_or(0, |pos| pos.line());
            let before = problems.len();
            let prep = check_row(&mut lk, &header, file, row, &raw, &mut problems)?;
            // A row's problems in column order.
            problems[before..].sort_by_key(|pr| {
                header
                    .names
                    .iter()
                    .position(|n| *n == pr.column)
                    .unwrap_or(usize::MAX)
            });
            keep_first(&mut problems, &mut more);
            // Once anything is wrong nothing will be kept: only check the rest.
            if let Some(prep) = prep
                && problems.is_empty()
            {
                write(p, &mut *lk.tx, &actor.name, &prep)?;
                written += 1;
            }
        }
        if !problems.is_empty() {
            // Returning an error rolls the transaction back: nothing is kept.
            return Err(ImportError::Problems {
                file: file.to_string(),
                problems,
                more,
            });
        }
        Ok(written)
    })
}
