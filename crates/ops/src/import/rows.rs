//! One row: every cell checked, the record and its events prepared.

use super::header::*;
use super::*;
use crate::{MAX_TEXT, check_patient, supervises};
use carequeue_core::domain::{Pipeline, StageIx, fields::check_value};
use carequeue_core::engine::clock::parse_instant;
use carequeue_core::engine::{Record, User};
use carequeue_store::StoreError;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A valid row, ready to write.
pub(super) struct Prepared {
    pub(super) rec: Record,
    /// The sub-status the `create` event gives it (the stage's initial one).
    pub(super) initial: Option<String>,
}

/// Everything row checks look up more than once.
pub(super) struct Lookup<'a> {
    pub(super) p: &'a Pipeline,
    pub(super) tx: &'a mut dyn Tx,
    pub(super) now: DateTime<Utc>,
    pub(super) users: HashMap<String, Option<User>>,
    pub(super) ids: HashSet<i64>,
    pub(super) has_substatus_col: bool,
}

impl Lookup<'_> {
    fn user(&mut self, name: &str) -> Result<Option<User>, StoreError> {
        if let Some(u) = self.users.get(name) {
            return Ok(u.clone());
        }
        let u = self.tx.member(name)?.map(|m| m.user());
        self.users.insert(name.to_string(), u.clone());
        Ok(u)
    }

    fn id_taken(&mut self, id: i64) -> Result<bool, StoreError> {
        self.tx.exists(id)
    }
}

/// Start of `date` in the pipeline's time zone (the clinic's calendar day).
pub(super) fn local_midnight(p: &Pipeline, date: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    p.timezone
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

pub(super) fn parse_entered(p: &Pipeline, s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    parse_instant(s).or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| local_midnight(p, d))
    })
}

/// The largest record id an import keeps (PostgreSQL's schema bounds ids
/// the same way): SQLite numbers the next record after the largest id, and
/// past 2^63 − 1 it would pick ids at random.
pub const MAX_RECORD_ID: i64 = 1 << 52;

/// Checks one data row; pushes its problems and returns it when it is valid.
pub(super) fn check_row(
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
            // Formula-safe cells: export's `'` before a risky character goes.
            Ok(s) => cells.push(Some(crate::formula::unescape(s))),
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
            Ok(v) if v > MAX_RECORD_ID => push(
                "id",
                format!("must be at most {MAX_RECORD_ID} (2^52), so later ids stay in order"),
            ),
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
    if cells_ok(&header.cols, &cells, Col::Patient) {
        if let Err(e) = check_patient(patient) {
            push("patient", e.to_string());
        } else if let Some(c) = control_in_name(patient) {
            push(
                "patient",
                format!(
                    "holds a control character (U+{:04X}); a name may hold none but tabs and line breaks",
                    c as u32
                ),
            );
        }
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
            Some(t) if t.timestamp() < 0 => push("entered_at", "is before 1970".into()),
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
    if let Some(six) = stage {
        let st = p.stage(six);
        if lk.has_substatus_col {
            if let Some(s) = cell(Col::Substatus)
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                match st.substatus(s) {
                    Some(ss) => substatus = Some(ss.id.clone()),
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
            push(
                &f.id,
                format!("is {} bytes; the limit is {MAX_TEXT} bytes", v.len()),
            );
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
    let initial = st.initial_substatus.clone();
    let version = 1 + i64::from(substatus != initial) + i64::from(assignee.is_some());
    let mut rec = crate::record_at(p, six, patient, fields, substatus, entered);
    rec.id = id;
    rec.assignee = assignee;
    rec.updated_at = lk.now.timestamp();
    rec.version = version;
    Ok(Some(Prepared { rec, initial }))
}

/// The first NUL or other control character of an imported name, if any
/// (tabs and line breaks are kept: CSV carries them in quoted cells).
fn control_in_name(name: &str) -> Option<char> {
    name.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Whether the cell of column `c` decoded (or the column is absent).
pub(super) fn cells_ok(cols: &[Col], cells: &[Option<&str>], c: Col) -> bool {
    cols.iter()
        .position(|x| *x == c)
        .is_none_or(|i| cells[i].is_some())
}
