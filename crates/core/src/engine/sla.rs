//! The SLA clock of a stay in a stage. The one place that turns a stage's
//! SLA, its calendar and pauses into due times and countdowns.

use super::clock::from_unix;
use super::record::Record;
use crate::domain::calendar::Calendar;
use crate::domain::{Pipeline, Sla, StageIx};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SlaState {
    Ok,
    Warn,
    Breached,
    Paused,
    None,
}

impl SlaState {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::Ok => "ok",
            SlaState::Warn => "warn",
            SlaState::Breached => "breached",
            SlaState::Paused => "paused",
            SlaState::None => "none",
        }
    }
}

/// The clock columns stored with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockState {
    pub due_at: Option<i64>,
    pub warn_at: Option<i64>,
    pub paused_since: Option<i64>,
    pub paused_left: Option<i64>,
}

impl ClockState {
    pub fn of(r: &Record) -> Self {
        ClockState {
            due_at: r.due_at,
            warn_at: r.warn_at,
            paused_since: r.paused_since,
            paused_left: r.paused_left,
        }
    }

    /// Sort key for "most urgent first": running clocks by due time, then
    /// paused, then no SLA. Kept as a column so the order is an index scan.
    pub fn sort_due(&self) -> i64 {
        match (self.due_at, self.paused_since) {
            (Some(d), _) => d,
            (None, Some(_)) => PAUSED_SORT,
            (None, None) => NO_SLA_SORT,
        }
    }
}

pub const PAUSED_SORT: i64 = 4_000_000_000_000;
pub const NO_SLA_SORT: i64 = 5_000_000_000_000;

fn sla_of(p: &Pipeline, stage: StageIx) -> Option<(&Sla, &Calendar)> {
    let sla = p.stage(stage).sla.as_ref()?;
    Some((sla, p.calendar(sla)))
}

/// Clock for a record entering `stage` at `now`, paused from the start when
/// it enters with a pausing sub-status.
pub fn on_enter(p: &Pipeline, stage: StageIx, now: DateTime<Utc>, paused: bool) -> ClockState {
    let Some((sla, cal)) = sla_of(p, stage) else {
        return ClockState::default();
    };
    if paused {
        return ClockState {
            due_at: None,
            warn_at: None,
            paused_since: Some(now.timestamp()),
            paused_left: Some(sla.max.0),
        };
    }
    running(sla, cal, now, sla.max.0)
}

/// A running clock with `left` working seconds to the due time. Both
/// thresholds are the first instant at which the working time reaches
/// them, counted forward from `now`: a warn threshold reached exactly as a
/// working interval ends is reached then, not at the next opening (which
/// counting back from the due time would give).
fn running(sla: &Sla, cal: &Calendar, now: DateTime<Utc>, left: i64) -> ClockState {
    let due = shift(cal, now, left);
    let to_warn = left - (sla.max.0 - sla.warn.0);
    let warn = if to_warn >= 0 {
        shift(cal, now, to_warn)
    } else {
        // Already past the warn threshold (a clock resumed late).
        shift(cal, due, -(sla.max.0 - sla.warn.0))
    };
    ClockState {
        due_at: Some(due.timestamp()),
        warn_at: Some(warn.timestamp()),
        paused_since: None,
        paused_left: None,
    }
}

/// The warn time carequeue stored before it counted the warn threshold
/// forward (see [`running`]): for a running clock due at `due` in `stage`,
/// the next opening after the instant the threshold was reached, where that
/// instant ends a working interval. `verify` accepts it on a record whose
/// clock last started before the change.
pub fn warn_counted_back(p: &Pipeline, stage: StageIx, due: i64) -> Option<i64> {
    let (sla, cal) = sla_of(p, stage)?;
    Some(shift(cal, from_unix(due), -(sla.max.0 - sla.warn.0)).timestamp())
}

fn shift(cal: &Calendar, t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    if secs >= 0 {
        cal.add_working(t, secs)
    } else {
        cal.sub_working(t, -secs)
    }
}

/// Stops the clock (a pausing sub-status was set).
pub fn pause(p: &Pipeline, stage: StageIx, c: ClockState, now: DateTime<Utc>) -> ClockState {
    let (Some(due), Some((_, cal))) = (c.due_at, sla_of(p, stage)) else {
        return c;
    };
    ClockState {
        due_at: None,
        warn_at: None,
        paused_since: Some(now.timestamp()),
        paused_left: Some(cal.working_seconds(now, from_unix(due))),
    }
}

/// Restarts the clock with the working time that was left when it paused.
pub fn resume(p: &Pipeline, stage: StageIx, c: ClockState, now: DateTime<Utc>) -> ClockState {
    let (Some(left), Some((sla, cal))) = (c.paused_left, sla_of(p, stage)) else {
        return c;
    };
    running(sla, cal, now, left)
}

/// What the queue shows: state, due instant and working seconds left
/// (negative once breached).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SlaView {
    pub state: SlaState,
    pub due_at: Option<i64>,
    pub seconds_left: Option<i64>,
}

pub fn view(p: &Pipeline, r: &Record, now: DateTime<Utc>) -> SlaView {
    let Some(stage) = p.stage_ix(&r.stage) else {
        return SlaView {
            state: SlaState::None,
            due_at: None,
            seconds_left: None,
        };
    };
    let Some((sla, cal)) = sla_of(p, stage) else {
        return SlaView {
            state: SlaState::None,
            due_at: None,
            seconds_left: None,
        };
    };
    if r.paused_since.is_some() {
        return SlaView {
            state: SlaState::Paused,
            due_at: None,
            seconds_left: r.paused_left,
        };
    }
    let Some(due) = r.due_at else {
        return SlaView {
            state: SlaState::None,
            due_at: None,
            seconds_left: None,
        };
    };
    let left = cal.working_seconds(now, from_unix(due));
    let t = now.timestamp();
    let state = if t >= due {
        SlaState::Breached
    } else if r.warn_at.is_some_and(|w| t >= w) || left <= sla.max.0 - sla.warn.0 {
        // The working time reached the warn threshold (also on a record
        // whose warn time was stored counted back, see `warn_counted_back`).
        SlaState::Warn
    } else {
        SlaState::Ok
    };
    SlaView {
        state,
        due_at: Some(due),
        seconds_left: Some(left),
    }
}

/// Whether this stay has breached: the clock ran past due, or paused after it.
pub fn breached(r: &Record, now: DateTime<Utc>) -> bool {
    match (r.due_at, r.paused_left) {
        (Some(due), _) => now.timestamp() >= due,
        (None, Some(left)) => r.paused_since.is_some() && left <= 0,
        _ => false,
    }
}
