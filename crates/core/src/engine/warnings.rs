//! Early warnings: when a stay's next `sla_warning` is due, as pure
//! functions. A stage's `warn_at` thresholds are working time into the
//! stay (a share of the SLA maximum, or a time); its `repeat` warns again
//! every so much working time after the breach. The record keeps the
//! working time of the last warning it fired (`warned`), so each fires
//! once per stay even when the pipeline changes, and when the next is due
//! (`warning_at`), so finding due warnings is an index scan.

use super::clock::from_unix;
use super::record::Record;
use crate::domain::{Pipeline, Sla};

/// One warning of a stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Working seconds into the stay at which it is reached (past the SLA
    /// maximum for a repeat).
    pub after: i64,
    /// The threshold as written (`50%`, `2h`), or `breach+4h` for a repeat.
    pub label: String,
    /// The instant the stay's working time reaches it.
    pub at: i64,
    /// For a repeat, which one (1 for the first after the breach).
    pub repeat: Option<i64>,
}

/// The next warning of `r`'s stay that has not fired, and when it is due.
/// None while the clock is paused, without an SLA, or when none is left.
pub fn next(p: &Pipeline, r: &Record) -> Option<Warning> {
    let (sla, due) = running(p, r)?;
    let cal = p.calendar(sla);
    if let Some(t) = sla.warnings.iter().find(|t| t.after.0 > r.warned) {
        // The first instant at which the working time left to the due time
        // is down to `left`: counted forward, so a threshold reached as a
        // working interval ends is reached then, not at the next opening.
        let left = sla.max.0 - t.after.0;
        let before = cal.sub_working(from_unix(due), left + 1);
        return Some(Warning {
            after: t.after.0,
            label: t.label.clone(),
            at: cal.add_working(before, 1).timestamp(),
            repeat: None,
        });
    }
    let every = sla.repeat?.0;
    let n = if r.warned < sla.max.0 {
        1
    } else {
        (r.warned - sla.max.0) / every + 1
    };
    Some(repeat(sla, due, every, n, p))
}

/// The warning `next` gives, if it is due by `now`; for a repeat, the
/// latest one due (repeats missed while no sweep ran are not sent late,
/// one after another).
pub fn due_by(p: &Pipeline, r: &Record, now: i64) -> Option<Warning> {
    let w = next(p, r)?;
    if w.at > now {
        return None;
    }
    let (Some(n), Some((sla, due))) = (w.repeat, running(p, r)) else {
        return Some(w);
    };
    let every = sla.repeat?.0;
    let worked = p
        .calendar(sla)
        .working_seconds(from_unix(due), from_unix(now));
    Some(repeat(sla, due, every, n.max(worked / every), p))
}

/// Sets `r.warning_at` for its stay as it stands.
pub fn refresh(p: &Pipeline, r: &mut Record) {
    r.warning_at = next(p, r).map(|w| w.at);
}

/// `r` after warning `w` fired.
pub fn fired(p: &Pipeline, r: &Record, w: &Warning) -> Record {
    let mut next = r.clone();
    next.warned = w.after;
    refresh(p, &mut next);
    next
}

/// The stage's SLA and the due time of a running clock.
fn running<'p>(p: &'p Pipeline, r: &Record) -> Option<(&'p Sla, i64)> {
    let stage = p.stage(p.stage_ix(&r.stage)?);
    if stage.terminal {
        return None;
    }
    Some((stage.sla.as_ref()?, r.due_at?))
}

fn repeat(sla: &Sla, due: i64, every: i64, n: i64, p: &Pipeline) -> Warning {
    let past = n.saturating_mul(every);
    Warning {
        after: sla.max.0.saturating_add(past),
        label: format!("breach+{}", short(past)),
        at: p
            .calendar(sla)
            .add_working(from_unix(due), past)
            .timestamp(),
        repeat: Some(n),
    }
}

/// `4h`, `1d2h`, `1h30m`: a duration as people write it, no zero parts.
fn short(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let mut out = String::new();
    for (n, unit) in [(d, "d"), (h, "h"), (m, "m")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() {
        out = format!("{secs}s");
    }
    out
}

#[cfg(test)]
#[path = "warnings_tests.rs"]
mod tests;
