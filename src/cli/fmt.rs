//! Output shapes shared by commands: JSON rows (the scripting contract) and
//! aligned tables for people.

use crate::domain::Pipeline;
use crate::engine::Record;
use crate::engine::clock::from_unix;
use crate::engine::sla::{self, SlaState};
use crate::ops::owner_role;
use crate::text::clean;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

pub fn rfc3339(secs: i64) -> String {
    from_unix(secs).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Local time in the pipeline's zone, for people.
pub fn local(p: &Pipeline, secs: i64) -> String {
    from_unix(secs)
        .with_timezone(&p.timezone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// Countdown text: `3h12m`, `+1h05m` once breached, `paused`, `-`.
pub fn countdown(state: SlaState, left: Option<i64>) -> String {
    let fmt = |s: i64| crate::domain::duration::Secs(s).compact();
    match (state, left) {
        (SlaState::None, _) | (_, None) => "-".into(),
        (SlaState::Paused, Some(l)) if l > 0 => format!("paused ({} left)", fmt(l)),
        (SlaState::Paused, _) => "paused".into(),
        (SlaState::Breached, Some(l)) => format!("+{}", fmt(-l)),
        (_, Some(l)) => fmt(l),
    }
}

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
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let pad = widths[i].saturating_sub(c.chars().count());
                s.push_str(c);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = line(headers.to_vec());
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

pub fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}
