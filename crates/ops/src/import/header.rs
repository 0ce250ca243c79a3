//! The CSV header: which columns, checked against the pipeline.

use super::*;
use carequeue_core::domain::{FieldIx, Pipeline};

/// What a column of the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Col {
    Id,
    Patient,
    Stage,
    Owner,
    EnteredAt,
    Substatus,
    Field(FieldIx),
}

pub(super) const MIGRATION: [&str; 4] = ["stage", "owner", "entered_at", "substatus"];

pub(super) fn col_of(p: &Pipeline, name: &str) -> Option<Col> {
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
pub(super) fn show_name(name: &str) -> Option<String> {
    let plain = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ');
    (!name.is_empty() && name.chars().count() <= 64 && name.chars().all(plain))
        .then(|| name.to_string())
}

/// The checked header: one `Col` per column, and the names to report under.
pub(super) struct Header {
    pub(super) cols: Vec<Col>,
    pub(super) names: Vec<String>,
}

/// The most columns a header may have (far more than carequeue knows).
pub const MAX_COLUMNS: usize = 1000;

pub(super) fn check_header(
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
    // Each known column once, and no more: a longer header is refused
    // whole, not column by column.
    if raw.len() > MAX_COLUMNS {
        return Err(vec![problem(
            format!("column {}", MAX_COLUMNS + 1),
            format!(
                "the header has {} columns; carequeue reads at most {MAX_COLUMNS} (it knows {}: {})",
                raw.len(),
                known.len(),
                known.join(", ")
            ),
        )]);
    }
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
