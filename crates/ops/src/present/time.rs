//! Times for people: RFC 3339 for scripts, local time in the pipeline's zone,
//! SLA countdowns, ages and the wall-clock due time.

use carequeue_core::domain::Pipeline;
use carequeue_core::domain::duration::Secs;
use carequeue_core::engine::clock::from_unix;
use carequeue_core::engine::sla::SlaState;
use chrono::{DateTime, SecondsFormat, Utc};

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
    let fmt = |s: i64| Secs(s).compact();
    match (state, left) {
        (SlaState::None, _) | (_, None) => "-".into(),
        (SlaState::Paused, Some(l)) if l > 0 => format!("paused ({} left)", fmt(l)),
        (SlaState::Paused, _) => "paused".into(),
        (SlaState::Breached, Some(l)) => format!("+{}", fmt(-l)),
        (_, Some(l)) => fmt(l),
    }
}

/// How long since `since`: `3h12m`, `4d02h`.
pub fn age(since: i64, now: DateTime<Utc>) -> String {
    Secs((now.timestamp() - since).max(0)).compact()
}

/// A due instant on the wall clock of the pipeline's zone: `Thu 14:30`
/// within the week around `now`, else `11-27 14:30`.
pub fn wall_due(p: &Pipeline, due: i64, now: DateTime<Utc>) -> String {
    let at = from_unix(due).with_timezone(&p.timezone);
    let today = now.with_timezone(&p.timezone).date_naive();
    if (at.date_naive() - today).num_days().abs() < 6 {
        at.format("%a %H:%M").to_string()
    } else {
        at.format("%m-%d %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carequeue_core::domain::{DEFAULT_PIPELINE, check};

    #[test]
    fn countdowns_and_due_times_read_as_people_expect() {
        assert_eq!(countdown(SlaState::Breached, Some(-3900)), "+1h05m");
        assert_eq!(countdown(SlaState::Paused, Some(600)), "paused (10m left)");
        assert_eq!(countdown(SlaState::None, Some(5)), "-");
        let p = check(DEFAULT_PIPELINE).pipeline.expect("pipeline");
        let now = DateTime::parse_from_rfc3339("2026-11-26T15:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        // New York: 10:00 on Thursday; due an hour later, and a month later.
        assert_eq!(wall_due(&p, now.timestamp() + 3600, now), "Thu 11:00");
        assert_eq!(
            wall_due(&p, now.timestamp() + 30 * 86_400, now),
            "12-26 10:00"
        );
    }
}
