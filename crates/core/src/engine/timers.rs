//! Timers and escalations: when they are due, as pure functions. The sweep
//! (`ops::sweep`) fires what is due; the record keeps `timer_at` so finding
//! due timers is an index scan, not a table scan.

use super::clock::from_unix;
use super::record::Record;
use crate::domain::{Escalation, Pipeline, Timer, TimerWhen};
use chrono::{NaiveDate, TimeZone};

/// When `timer` fires for `r`, or None if a field it needs is missing.
pub fn due_at(p: &Pipeline, timer: &Timer, r: &Record) -> Option<i64> {
    match &timer.when {
        TimerWhen::AfterInStage(d) => Some(r.entered_at + d.0),
        TimerWhen::AtField {
            field,
            plus_days_field,
            offset,
        } => {
            let date =
                NaiveDate::parse_from_str(r.fields.get(&p.field(*field).id)?, "%Y-%m-%d").ok()?;
            let days = match plus_days_field {
                Some(f) => r.fields.get(&p.field(*f).id)?.trim().parse::<i64>().ok()?,
                None => 0,
            };
            // Dates are the clinic's calendar days: midnight in the pipeline's zone.
            let midnight = date.and_hms_opt(0, 0, 0)?;
            let start = p
                .timezone
                .from_local_datetime(&midnight)
                .earliest()?
                .timestamp();
            Some(
                start
                    .checked_add(days.checked_mul(86_400)?)?
                    .checked_add(offset.0)?,
            )
        }
    }
}

/// The earliest timer of the record's current stage and when it is due.
pub fn next(p: &Pipeline, r: &Record) -> Option<(usize, i64)> {
    let stage = p.stage_ix(&r.stage)?;
    p.timers
        .iter()
        .enumerate()
        .filter(|(_, t)| t.stage == stage)
        .filter_map(|(i, t)| due_at(p, t, r).map(|at| (i, at)))
        .min_by_key(|(_, at)| *at)
}

/// Sets `r.timer_at` for its current stay.
pub fn refresh(p: &Pipeline, r: &mut Record) {
    r.timer_at = next(p, r).map(|(_, at)| at);
}

/// The next escalation level of this stay and when it fires: breach plus
/// the level's offset in the stage's working time. None while paused, when
/// every level has fired, or without an SLA.
pub fn next_escalation<'p>(p: &'p Pipeline, r: &Record) -> Option<(usize, &'p Escalation, i64)> {
    let stage = p.stage(p.stage_ix(&r.stage)?);
    let level = usize::try_from(r.escalation).ok()?;
    let esc = stage.escalations.get(level)?;
    let due = r.due_at?;
    let sla = stage.sla.as_ref()?;
    let at = p
        .calendar(sla)
        .add_working(from_unix(due), esc.after.0)
        .timestamp();
    Some((level, esc, at))
}
