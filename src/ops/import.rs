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

use super::{MAX_TEXT, OpError, check_patient, supervises};
use crate::domain::{FieldIx, Pipeline, StageIx, fields::check_value};
use crate::engine::clock::parse_instant;
use crate::engine::{Record, User, sla, timers};
use crate::store::{NewEvent, Store, StoreError, bulk, events::Appender, records};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension};
use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// The input has problems; nothing was written.
    #[error("{file}: {} problem(s); nothing imported", problems.len())]
    Problems {
        file: String,
        problems: Vec<Problem>,
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

/// What a column of the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    Patient,
    Stage,
    Owner,
    EnteredAt,
    Substatus,
    Field(FieldIx),
}

const MIGRATION: [&str; 4] = ["stage", "owner", "entered_at", "substatus"];

fn col_of(p: &Pipeline, name: &str) -> Option<Col> {
    Some(match name {
        "id" => Col::Id,
        "patient" => Col::Patient,
        "stage" => Col::Stage,
        "owner" => Col::Owner,
        "entered_at" => Col::EnteredAt,
        "substatus" => Col::Substatus,
        _ => Col::Field(p.field_ix(name)?),
    })
}

/// A column name fit for an error line, or None when it must not be shown.
/// Only plain names are echoed: a first line that is not a header (a file
/// without one, or a quote left open) holds patient data, not names.
fn show_name(name: &str) -> Option<String> {
    let plain = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ');
    (!name.is_empty() && name.chars().count() <= 64 && name.chars().all(plain))
        .then(|| name.to_string())
}

/// The checked header: one `Col` per column, and the names to report under.
struct Header {
    cols: Vec<Col>,
    names: Vec<String>,
}

fn check_header(
    p: &Pipeline,
    file: &str,
    row: u64,
    raw: &csv::ByteRecord,
) -> Result<Header, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut cols = Vec::new();
    let mut names = Vec::new();
    let problem = |column: String, message: String| Problem {
        file: file.to_string(),
        row,
        column,
        message,
    };
    let mut known: Vec<&str> = vec!["id", "patient"];
    known.extend(p.fields.iter().map(|f| f.id.as_str()));
    known.extend(MIGRATION);
    let decoded: Vec<Option<&str>> = raw
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            let cell = if i == 0 {
                cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell)
            } else {
                cell
            };
            std::str::from_utf8(cell).ok().map(str::trim)
        })
        .collect();
    // Not one known name: this is no header (most likely a data row).
    if !decoded.is_empty() && !decoded.iter().flatten().any(|n| col_of(p, n).is_some()) {
        return Err(vec![problem(
            "column 1".into(),
            format!(
                "the first line is not a header: no known column name (known: {})",
                known.join(", ")
            ),
        )]);
    }
    for (i, name) in decoded.into_iter().enumerate() {
        let shown = name
            .and_then(show_name)
            .unwrap_or_else(|| format!("column {}", i + 1));
        let Some(name) = name else {
            problems.push(problem(shown, "header name is not valid UTF-8".into()));
            continue;
        };
        match col_of(p, name) {
            None => {
                let what = if name.is_empty() {
                    "empty column name"
                } else {
                    "unknown column"
                };
                problems.push(problem(
                    shown.clone(),
                    format!("{what} (known: {})", known.join(", ")),
                ));
            }
            Some(c) if cols.contains(&c) => {
                problems.push(problem(shown.clone(), "duplicate column".into()));
            }
            Some(c) => cols.push(c),
        }
        names.push(shown);
    }
    if !cols.contains(&Col::Patient) {
        problems.push(problem("patient".into(), "missing required column".into()));
    }
    for (fx, f) in p.fields.iter().enumerate() {
        if f.required && !cols.contains(&Col::Field(FieldIx(fx))) {
            problems.push(problem(
                f.id.clone(),
                "missing column for a required field".into(),
            ));
        }
    }
    if problems.is_empty() {
        Ok(Header { cols, names })
    } else {
        Err(problems)
    }
}

/// A valid row, ready to write.
struct Prepared {
    rec: Record,
    /// The sub-status the `create` event gives it (the stage's initial one).
    initial: Option<String>,
}

/// Everything row checks look up more than once.
struct Lookup<'a> {
    p: &'a Pipeline,
    conn: &'a Connection,
    now: DateTime<Utc>,
    users: HashMap<String, Option<User>>,
    ids: HashSet<i64>,
    has_substatus_col: bool,
}

impl Lookup<'_> {
    fn user(&mut self, name: &str) -> Result<Option<User>, StoreError> {
        if let Some(u) = self.users.get(name) {
            return Ok(u.clone());
        }
        let u = self
            .conn
            .prepare_cached("SELECT name, roles FROM users WHERE name = ?1")?
            .query_row([name], |r| {
                let roles: String = r.get(1)?;
                Ok(User {
                    name: r.get(0)?,
                    roles: roles.split_whitespace().map(str::to_string).collect(),
                })
            })
            .optional()?;
        self.users.insert(name.to_string(), u.clone());
        Ok(u)
    }

    fn id_taken(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM records WHERE id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }
}

/// Start of `date` in the pipeline's time zone (the clinic's calendar day).
fn local_midnight(p: &Pipeline, date: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    p.timezone
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

fn parse_entered(p: &Pipeline, s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    parse_instant(s).or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| local_midnight(p, d))
    })
}

/// Checks one data row; pushes its problems and returns it when it is valid.
fn check_row(
    lk: &mut Lookup,
    header: &Header,
    file: &str,
    row: u64,
    raw: &csv::ByteRecord,
    problems: &mut Vec<Problem>,
) -> Result<Option<Prepared>, StoreError> {
    let before = problems.len();
    let mut push = |column: &str, message: String| {
        problems.push(Problem {
            file: file.to_string(),
            row,
            column: column.to_string(),
            message,
        })
    };
    let n = header.cols.len();
    if raw.len() != n {
        if raw.len() < n {
            push(
                &header.names[raw.len()],
                format!("missing: the row has {} of {n} columns", raw.len()),
            );
        } else {
            push(
                &format!("column {}", n + 1),
                format!("the row has {} columns, the header {n}", raw.len()),
            );
        }
        return Ok(None);
    }
    let p = lk.p;
    // Decode every cell first: an invalid one is reported and left out.
    let mut cells: Vec<Option<&str>> = Vec::with_capacity(n);
    for (i, cell) in raw.iter().enumerate() {
        match std::str::from_utf8(cell) {
            Ok(s) => cells.push(Some(s)),
            Err(_) => {
                push(&header.names[i], "is not valid UTF-8".into());
                cells.push(None);
            }
        }
    }
    let cell = |c: Col| -> Option<&str> {
        let i = header.cols.iter().position(|x| *x == c)?;
        cells[i]
    };

    // id: kept when given; it must be a free record id.
    let mut id = 0;
    if let Some(s) = cell(Col::Id).map(str::trim).filter(|s| !s.is_empty()) {
        match s.parse::<i64>() {
            Ok(v) if v > 0 => {
                if !lk.ids.insert(v) {
                    push("id", "the same id appears on an earlier row".into());
                } else if lk.id_taken(v)? {
                    push("id", "a record with this id already exists".into());
                } else {
                    id = v;
                }
            }
            _ => push("id", "must be a positive whole number or empty".into()),
        }
    }

    let patient = cell(Col::Patient).unwrap_or("");
    if cells_ok(&header.cols, &cells, Col::Patient)
        && let Err(e) = check_patient(patient)
    {
        push("patient", e.to_string());
    }

    let mut stage: Option<StageIx> = Some(p.entry);
    if let Some(s) = cell(Col::Stage).map(str::trim).filter(|s| !s.is_empty()) {
        stage = p.stage_ix(s);
        if stage.is_none() {
            let known: Vec<&str> = p.stages.iter().map(|s| s.id.as_str()).collect();
            push(
                "stage",
                format!("unknown stage (stages: {})", known.join(", ")),
            );
        }
    } else if !cells_ok(&header.cols, &cells, Col::Stage) {
        stage = None;
    }

    let mut entered = lk.now;
    if let Some(s) = cell(Col::EnteredAt).filter(|s| !s.trim().is_empty()) {
        match parse_entered(p, s) {
            Some(t) if t > lk.now => push("entered_at", "is in the future".into()),
            Some(t) => entered = t,
            None => push(
                "entered_at",
                "must be an RFC 3339 time (2026-11-26T09:00:00Z) or a date YYYY-MM-DD".into(),
            ),
        }
    }

    // Sub-status: the column's value (empty = none); without the column,
    // the stage's initial sub-status.
    let mut substatus: Option<String> = None;
    let mut pauses = false;
    if let Some(six) = stage {
        let st = p.stage(six);
        if lk.has_substatus_col {
            if let Some(s) = cell(Col::Substatus)
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                match st.substatus(s) {
                    Some(ss) => {
                        substatus = Some(ss.id.clone());
                        pauses = ss.pauses;
                    }
                    None if st.substatuses.is_empty() => push(
                        "substatus",
                        format!("stage `{}` has no sub-statuses", st.id),
                    ),
                    None => {
                        let known: Vec<&str> =
                            st.substatuses.iter().map(|s| s.id.as_str()).collect();
                        push(
                            "substatus",
                            format!(
                                "not a sub-status of stage `{}` (allowed: {})",
                                st.id,
                                known.join(", ")
                            ),
                        );
                    }
                }
            }
        } else {
            substatus = st.initial_substatus.clone();
            pauses = substatus
                .as_deref()
                .and_then(|s| st.substatus(s))
                .is_some_and(|s| s.pauses);
        }
    }

    let mut assignee: Option<String> = None;
    if let Some(name) = cell(Col::Owner).map(str::trim).filter(|s| !s.is_empty()) {
        match lk.user(name)? {
            None => push(
                "owner",
                "is not a user (add them with `carequeue user add NAME --role ROLE`)".into(),
            ),
            Some(u) => {
                if let Some(six) = stage {
                    let st = p.stage(six);
                    match st.owner {
                        _ if st.terminal => push(
                            "owner",
                            format!("stage `{}` is terminal: its records have no owner", st.id),
                        ),
                        Some(role) if u.has_role(&p.role(role).id) || supervises(p, &u) => {
                            assignee = Some(u.name.clone());
                        }
                        Some(role) => push(
                            "owner",
                            format!(
                                "the user holds neither role `{}` (owner of stage `{}`) nor a supervising role",
                                p.role(role).id,
                                st.id
                            ),
                        ),
                        None if supervises(p, &u) => assignee = Some(u.name.clone()),
                        None => push("owner", format!("stage `{}` has no owning role", st.id)),
                    }
                }
            }
        }
    }

    let mut fields = BTreeMap::new();
    for (i, c) in header.cols.iter().enumerate() {
        let Col::Field(fx) = *c else { continue };
        let f = p.field(fx);
        let Some(v) = cells[i] else { continue };
        if v.is_empty() {
            if f.required {
                push(&f.id, "is required".into());
            }
            continue;
        }
        if v.len() > MAX_TEXT {
            push(&f.id, format!("is longer than {MAX_TEXT} bytes"));
            continue;
        }
        match check_value(f, v) {
            Ok(()) => {
                fields.insert(f.id.clone(), v.to_string());
            }
            Err(msg) => {
                let prefix = format!("`{}` ", f.id);
                let msg = msg.strip_prefix(&prefix).map(str::to_string).unwrap_or(msg);
                push(&f.id, msg);
            }
        }
    }

    if problems.len() > before {
        return Ok(None);
    }
    let Some(six) = stage else { return Ok(None) };
    let st = p.stage(six);
    let clock = sla::on_enter(p, six, entered, pauses);
    let t = entered.timestamp();
    let initial = st.initial_substatus.clone();
    let version = 1 + i64::from(substatus != initial) + i64::from(assignee.is_some());
    let mut rec = Record {
        id,
        patient: patient.to_string(),
        stage: st.id.clone(),
        substatus,
        assignee,
        owner_role: None,
        entered_at: t,
        due_at: clock.due_at,
        warn_at: clock.warn_at,
        paused_since: clock.paused_since,
        paused_left: clock.paused_left,
        escalation: 0,
        priority: 0,
        breach_reason: None,
        fields,
        created_at: t,
        updated_at: lk.now.timestamp(),
        version,
        timer_at: None,
        notify_role: None,
    };
    timers::refresh(p, &mut rec);
    Ok(Some(Prepared { rec, initial }))
}

/// Whether the cell of column `c` decoded (or the column is absent).
fn cells_ok(cols: &[Col], cells: &[Option<&str>], c: Col) -> bool {
    cols.iter()
        .position(|x| *x == c)
        .is_none_or(|i| cells[i].is_some())
}

/// Writes one record and the events that replay to it: `create`, then a
/// sub-status change if it differs from the stage's initial one, then `assign`.
fn write(
    p: &Pipeline,
    tx: &Connection,
    chain: &mut Appender,
    actor: &str,
    prep: &Prepared,
) -> Result<i64, StoreError> {
    let rec = &prep.rec;
    let id = records::insert(tx, rec)?;
    let at = rec.entered_at;
    let data = serde_json::to_string(&rec.fields).ok();
    chain.append(
        tx,
        &NewEvent {
            record_id: id,
            at,
            actor,
            kind: "create",
            to: Some(&rec.stage),
            data: data.as_deref(),
            ..Default::default()
        },
    )?;
    if rec.substatus != prep.initial {
        let stage = p.stage_ix(&rec.stage).map(|s| p.stage(s));
        let pauses = |v: &Option<String>| {
            v.as_deref()
                .and_then(|v| stage.and_then(|st| st.substatus(v)))
                .is_some_and(|s| s.pauses)
        };
        let kind = match (pauses(&prep.initial), pauses(&rec.substatus)) {
            (false, true) => "pause",
            (true, false) => "resume",
            _ => "substatus",
        };
        chain.append(
            tx,
            &NewEvent {
                record_id: id,
                at,
                actor,
                kind,
                from: prep.initial.as_deref(),
                to: rec.substatus.as_deref(),
                ..Default::default()
            },
        )?;
    }
    if let Some(owner) = rec.assignee.as_deref() {
        chain.append(
            tx,
            &NewEvent {
                record_id: id,
                at,
                actor,
                kind: "assign",
                to: Some(owner),
                ..Default::default()
            },
        )?;
    }
    Ok(id)
}

/// Imports the CSV `input` (named `file` in problems) as `actor`: every row,
/// or none. `size_hint` (the file's size in bytes, 0 if unknown) picks the
/// bulk path for large files. Returns the number of records written.
pub fn import_csv(
    p: &Pipeline,
    store: &mut Store,
    actor: &User,
    file: &str,
    input: impl Read,
    size_hint: u64,
    now: DateTime<Utc>,
) -> Result<usize, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let read_err = |source| ImportError::Read {
        file: file.to_string(),
        source,
    };
    let mut raw = csv::ByteRecord::new();
    let got = rdr.read_byte_record(&mut raw).map_err(read_err)?;
    if !got {
        raw.clear();
    }
    let header_row = raw.position().map_or(1, |pos| pos.line());
    let header =
        check_header(p, file, header_row, &raw).map_err(|problems| ImportError::Problems {
            file: file.to_string(),
            problems,
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
    store.write(|tx| -> Result<usize, ImportError> {
        // Rebuilding the indexes pays off when the file is large, and not
        // small beside what the database already holds (~100 bytes a row).
        let existing: i64 = tx
            .query_row(
                "SELECT coalesce(sum(total), 0) FROM stage_counts",
                [],
                |r| r.get(0),
            )
            .map_err(StoreError::from)?;
        let bulk_load = size_hint >= IMPORT_BULK_BYTES
            && i64::try_from(size_hint / 100).unwrap_or(i64::MAX) >= existing;
        let dropped = bulk_load.then(|| bulk::drop_indexes(tx)).transpose()?;
        let mut chain = Appender::load(tx)?;
        let mut lk = Lookup {
            p,
            conn: tx,
            now,
            users: HashMap::new(),
            ids: HashSet::new(),
            has_substatus_col,
        };
        let mut problems = Vec::new();
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
            // Once anything is wrong nothing will be kept: only check the rest.
            if let Some(prep) = prep
                && problems.is_empty()
            {
                write(p, tx, &mut chain, &actor.name, &prep)?;
                written += 1;
            }
        }
        if !problems.is_empty() {
            // Returning an error rolls the transaction back: nothing is kept.
            return Err(ImportError::Problems {
                file: file.to_string(),
                problems,
            });
        }
        chain.finish(tx)?;
        if let Some(d) = dropped {
            bulk::restore_indexes(tx, d)?;
        }
        Ok(written)
    })
}
