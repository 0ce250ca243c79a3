//! Output shapes shared by commands: JSON rows (the scripting contract) and
//! aligned tables for people.

use crate::domain::Pipeline;
use crate::engine::Record;
use crate::engine::sla;
use crate::ops::owner_role;
use crate::present::clean;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

// Times and countdowns live in the presentation module, shared with the console.
pub use crate::present::{countdown, local, rfc3339};

/// One row of `list --json` (SPEC): stable keys.
pub fn record_row(p: &Pipeline, r: &Record, now: DateTime<Utc>) -> Value {
    let v = sla::view(p, r, now);
    let phase = p.stage_ix(&r.stage).map(|s| p.phase_of(s).id.clone());
    json!({
        "id": r.id,
        "patient": r.patient,
        "phase": phase,
        "stage": r.stage,
        "substatus": r.substatus,
        "owner": r.assignee,
        "owner_role": owner_role(p, r),
        "sla": v.state.as_str(),
        "due_at": v.due_at.map(rfc3339),
        "seconds_left": v.seconds_left,
        "entered_at": rfc3339(r.entered_at),
        "version": r.version,
    })
}

/// Prints rows as left-aligned columns, two spaces apart.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut cols = Columns::new(headers);
    for r in rows {
        cols.measure(r);
    }
    let mut out = cols.header();
    for r in rows {
        out.push_str(&cols.line(r));
    }
    out
}

/// A table's column widths, measured over rows handed in one at a time
/// (so a table can be streamed: one pass to measure, one to print). Every
/// cell is neutralised ([`clean`]) here, so no text reaches a terminal raw.
pub struct Columns {
    headers: Vec<String>,
    widths: Vec<usize>,
}

impl Columns {
    pub fn new(headers: &[&str]) -> Columns {
        let headers: Vec<String> = headers.iter().map(|h| clean(h)).collect();
        let widths = headers.iter().map(|h| h.chars().count()).collect();
        Columns { headers, widths }
    }

    pub fn measure(&mut self, row: &[String]) {
        for (i, c) in row.iter().enumerate() {
            if let Some(w) = self.widths.get_mut(i) {
                *w = (*w).max(clean(c).chars().count());
            }
        }
    }

    /// The header line, with its newline.
    pub fn header(&self) -> String {
        self.render(&self.headers)
    }

    /// One row's line, with its newline.
    pub fn line(&self, row: &[String]) -> String {
        let cells: Vec<String> = row.iter().map(|c| clean(c)).collect();
        self.render(&cells)
    }

    fn render(&self, cells: &[String]) -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            s.push_str(c);
            if i + 1 < cells.len() {
                let w = self.widths.get(i).copied().unwrap_or(0);
                let pad = w.saturating_sub(c.chars().count());
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        let mut s = s.trim_end().to_string();
        s.push('\n');
        s
    }
}

pub fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    super::out::outln!("{text}")?;
    Ok(())
}
