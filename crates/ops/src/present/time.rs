//! Times for people: RFC 3339 for scripts, local time in the pipeline's zone,
//! SLA countdowns, ages and the wall-clock due time.

use carequeue_core::domain::Pipeline;
use carequeue_core::domain::duration::Secs;
use carequeue_core::engine::clock::from_unix;
use carequeue_core::engine::sla::{SlaState, SlaView};
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

/// Countdown text: `3h12m` of working time left, `paused`, `-`; once
/// breached, the calendar time over and, where the stage's calendar makes
/// it differ, the working time: `+133d (744h working)`.
pub fn countdown(v: &SlaView, now: DateTime<Utc>) -> String {
    let fmt = |s: i64| Secs(s).compact();
    match (v.state, v.seconds_left) {
        (SlaState::None, _) | (_, None) => "-".into(),
        (SlaState::Paused, Some(l)) if l > 0 => format!("paused ({} left)", fmt(l)),
        (SlaState::Paused, _) => "paused".into(),
        (SlaState::Breached, Some(l)) => {
            let calendar = v.due_at.map_or(-l, |d| now.timestamp() - d);
            overdue(calendar, -l)
        }
        (_, Some(l)) => fmt(l),
    }
}

/// [`countdown`] for a narrow table: time over in calendar time alone
/// (`+133d`).
pub fn countdown_brief(v: &SlaView, now: DateTime<Utc>) -> String {
    match (v.state, v.seconds_left, v.due_at) {
        (SlaState::Breached, Some(_), Some(d)) => {
            format!("+{}", calendar_span((now.timestamp() - d).max(0)))
        }
        _ => countdown(v, now),
    }
}

/// Time over an SLA: `+133d (744h working)`; the calendar time alone
/// where the working time reads the same (a 24x7 calendar).
pub fn overdue(calendar: i64, working: i64) -> String {
    let cal = calendar_span(calendar.max(0));
    let work = working_span(working.max(0));
    // Within a minute: the same time, told once.
    if (calendar - working).abs() < 60 {
        format!("+{cal}")
    } else {
        format!("+{cal} ({work} working)")
    }
}

/// Calendar time: `133d` from ten days on, else `4d02h`, `3h12m`.
fn calendar_span(s: i64) -> String {
    if s >= 10 * 86_400 {
        format!("{}d", s / 86_400)
    } else {
        Secs(s).compact()
    }
}

/// Working time never in days (a working "day" of 24 working hours reads
/// as a calendar day): `744h`, `3h12m`.
fn working_span(s: i64) -> String {
    if s >= 86_400 {
        format!("{}h", s / 3600)
    } else {
        Secs(s).compact()
    }
}

/// How long since `since`: `3h12m`, `4d02h`.
pub fn age(since: i64, now: DateTime<Utc>) -> String {
    Secs((now.timestamp() - since).max(0)).compact()
}

/// A due instant on the wall clock of the pipeline's zone, past and
/// future told apart: `14:30` (today), `yesterday 17:00`, `tomorrow 09:00`,
/// a weekday (`Thu 14:30`) only for the coming six days, and the date
/// (`11-20 21:31`) for anything earlier or later.
pub fn wall_due(p: &Pipeline, due: i64, now: DateTime<Utc>) -> String {
    let at = from_unix(due).with_timezone(&p.timezone);
    let today = now.with_timezone(&p.timezone).date_naive();
    let time = at.format("%H:%M");
    match (at.date_naive() - today).num_days() {
        0 => time.to_string(),
        -1 => format!("yesterday {time}"),
        1 => format!("tomorrow {time}"),
        2..=6 => at.format("%a %H:%M").to_string(),
        _ => at.format("%m-%d %H:%M").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carequeue_core::domain::{DEFAULT_PIPELINE, check};

    #[test]
    fn countdowns_and_due_times_read_as_people_expect() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T15:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let v = |state, left: i64, due_at: Option<i64>| SlaView {
            state,
            due_at,
            seconds_left: Some(left),
        };
        let t = now.timestamp();
        // 24x7: calendar and working time are one.
        let over = v(SlaState::Breached, -3900, Some(t - 3900));
        assert_eq!(countdown(&over, now), "+1h05m");
        assert_eq!(
            countdown(&v(SlaState::Paused, 600, None), now),
            "paused (10m left)"
        );
        assert_eq!(countdown(&v(SlaState::None, 5, None), now), "-");
        let p = check(DEFAULT_PIPELINE).pipeline.expect("pipeline");
        // New York: 10:00 on Thursday; due an hour later, and a month later.
        assert_eq!(wall_due(&p, now.timestamp() + 3600, now), "11:00");
        assert_eq!(
            wall_due(&p, now.timestamp() + 30 * 86_400, now),
            "12-26 10:00"
        );
    }

    /// Due 133 calendar days ago under a business calendar: 744 working
    /// hours over, which `Secs::compact` would print as `31d00h`.
    #[test]
    fn time_over_is_calendar_time_with_the_working_time_beside_it() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T15:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let v = SlaView {
            state: SlaState::Breached,
            due_at: Some(now.timestamp() - 133 * 86_400),
            seconds_left: Some(-744 * 3600),
        };
        assert_eq!(countdown(&v, now), "+133d (744h working)");
        assert_eq!(countdown_brief(&v, now), "+133d");
        assert_eq!(overdue(3 * 3600, 3900), "+3h00m (1h05m working)");
        assert_eq!(
            overdue(5 * 86_400 + 3600, 40 * 3600),
            "+5d01h (40h working)"
        );
        assert_eq!(overdue(40 * 86_400, 40 * 86_400), "+40d");
    }

    /// A Friday last week and a Friday next week never read alike; nor do
    /// yesterday and tomorrow.
    #[test]
    fn past_and_future_due_times_read_apart() {
        let p = check(DEFAULT_PIPELINE).pipeline.expect("pipeline");
        // Thursday 2026-11-26, 10:00 in New York.
        let now = DateTime::parse_from_rfc3339("2026-11-26T15:00:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let day = 86_400;
        let t = now.timestamp();
        let last_friday = wall_due(&p, t - 6 * day + 3600, now);
        let next_friday = wall_due(&p, t + day + 3600, now);
        let friday_after = wall_due(&p, t + 8 * day + 3600, now);
        assert_eq!(last_friday, "11-20 11:00");
        assert_eq!(next_friday, "tomorrow 11:00");
        assert_eq!(wall_due(&p, t + 2 * day, now), "Sat 10:00");
        assert_eq!(friday_after, "12-04 11:00");
        assert_eq!(wall_due(&p, t - day, now), "yesterday 10:00");
        assert_eq!(wall_due(&p, t - 3600, now), "09:00");
    }
}
