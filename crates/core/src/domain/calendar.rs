//! Working-time calendars for SLA clocks.
//!
//! An SLA such as "first response within 4 working hours" only advances while
//! the care team is on shift. A [`Calendar`] answers the questions the SLA
//! engine needs: is an instant working time, when does a budget of working
//! seconds run out, and how much working time lies between two instants.
//!
//! All inputs and outputs are UTC instants, but a [`BusinessCalendar`] is
//! defined in local wall-clock terms (working weekdays, daily hours, holiday
//! dates) in one IANA time zone. Each local date is turned into concrete UTC
//! intervals on demand, so DST transitions are handled by the time-zone
//! database rather than by fixed offsets: 09:00–17:00 is eight real hours on
//! a day whose clocks change at 02:00. Local times that do not exist (inside a
//! spring-forward gap) resolve to the first instant after the gap; ambiguous
//! local times (inside a fall-back overlap) resolve to the earliest instant.
//!
//! The algorithms walk local dates, not seconds, so a 120-day budget costs a
//! few hundred cheap iterations. Every search is bounded by [`SEARCH_HORIZON`]
//! so a calendar that never works (e.g. every working day is a holiday)
//! cannot loop forever.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta,
    TimeZone, Utc, Weekday, WeekdaySet,
};
use chrono_tz::Tz;

use super::offsets::Offsets;

/// How far (in calendar time) a search may run before giving up.
///
/// Twenty years is far beyond any realistic SLA, so hitting it means the
/// calendar has (almost) no working time; the operation then saturates at the
/// horizon instead of spinning.
pub const SEARCH_HORIZON: TimeDelta = TimeDelta::days(20 * 366);

/// A working-time calendar.
#[derive(Debug, Clone, PartialEq)]
pub enum Calendar {
    /// Every instant is working time (24x7 service); plain arithmetic.
    Always,
    /// Working time defined by local days, hours and holidays.
    Business(BusinessCalendar),
}

/// Working days, daily hours and holidays in one time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    tz: Tz,
    /// Resolved offsets of recent dates (a cache; never changes an answer).
    offsets: Offsets,
    days: WeekdaySet,
    /// Sorted, non-overlapping local intervals `[start, end)` within a day.
    /// An `end` of 00:00 stands for 24:00 (end of day): validation requires
    /// `start < end`, so 00:00 can never be a genuine end and the encoding
    /// is unambiguous.
    hours: Vec<(NaiveTime, NaiveTime)>,
    holidays: BTreeSet<NaiveDate>,
}

/// Why a [`BusinessCalendar`] definition was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CalendarError {
    #[error("unknown time zone {0:?}")]
    UnknownTimezone(String),
    #[error("working day #{index} {value:?} is not a weekday (mon..sun)")]
    BadDay { index: usize, value: String },
    #[error("working hours #{index} {value:?} must look like \"09:00-17:00\" with start < end")]
    BadHours { index: usize, value: String },
    #[error("working hours #{index} overlap another interval")]
    OverlappingHours { index: usize },
    #[error("holiday #{index} {value:?} is not a YYYY-MM-DD date")]
    BadHoliday { index: usize, value: String },
    #[error("calendar has no working time (no days or no hours)")]
    NoWorkingTime,
}

/// One concrete working interval `[start, end)` in UTC.
type Span = (DateTime<Utc>, DateTime<Utc>);

impl BusinessCalendar {
    /// Builds a calendar from configuration strings.
    ///
    /// `days` are weekday names ("mon" or "monday", any case), `hours` are
    /// local `HH:MM-HH:MM` ranges (`24:00` allowed as an end), `holidays` are
    /// local `YYYY-MM-DD` dates. Error indices refer to the input slices.
    pub fn new(
        tz: &str,
        days: &[&str],
        hours: &[&str],
        holidays: &[&str],
    ) -> Result<Self, CalendarError> {
        let tz: Tz = tz
            .trim()
            .parse()
            .map_err(|_| CalendarError::UnknownTimezone(tz.to_string()))?;

        let day_set = days
            .iter()
            .enumerate()
            .map(|(index, raw)| {
                // chrono accepts "mon"/"Monday" in any case and nothing else.
                raw.trim()
                    .parse::<Weekday>()
                    .map_err(|_| CalendarError::BadDay {
                        index,
                        value: raw.to_string(),
                    })
            })
            .collect::<Result<WeekdaySet, _>>()?;

        // Keep the input index with each range so errors point at the entry
        // the operator actually wrote, even after sorting.
        let mut ranges = hours
            .iter()
            .enumerate()
            .map(|(index, raw)| {
                parse_hours(raw).map(|range| (index, range)).ok_or_else(|| {
                    CalendarError::BadHours {
                        index,
                        value: raw.to_string(),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        ranges.sort_by_key(|&(_, (start, _))| start);
        for pair in ranges.windows(2) {
            let (_, (_, prev_end)) = pair[0];
            let (index, (start, _)) = pair[1];
            // Touching ranges (12:00-13:00, 13:00-17:00) are fine; only a
            // genuine overlap is an error. A 24:00 end overlaps everything after.
            if prev_end == NaiveTime::MIN || start < prev_end {
                return Err(CalendarError::OverlappingHours { index });
            }
        }

        let holiday_set = holidays
            .iter()
            .enumerate()
            .map(|(index, raw)| {
                NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
                    CalendarError::BadHoliday {
                        index,
                        value: raw.to_string(),
                    }
                })
            })
            .collect::<Result<BTreeSet<_>, _>>()?;

        if day_set.is_empty() || ranges.is_empty() {
            return Err(CalendarError::NoWorkingTime);
        }
        Ok(Self {
            tz,
            offsets: Offsets::new(tz),
            days: day_set,
            hours: ranges.into_iter().map(|(_, range)| range).collect(),
            holidays: holiday_set,
        })
    }

    /// A local time as an instant (see [`resolve_local`]), from the cache of
    /// dates when it can.
    fn resolve(&self, local: NaiveDateTime) -> DateTime<Utc> {
        self.offsets
            .resolve(local)
            .unwrap_or_else(|| resolve_local(self.tz, local))
    }

    /// Whether `date` (local) is a working day that is not a holiday.
    pub fn is_working_date(&self, date: NaiveDate) -> bool {
        self.days.contains(date.weekday()) && !self.holidays.contains(&date)
    }

    /// Concrete UTC working intervals of one local date, in order.
    fn spans_on(&self, date: NaiveDate) -> impl DoubleEndedIterator<Item = Span> + '_ {
        let working = self.is_working_date(date);
        // Filtering (rather than returning early) keeps a single iterator type.
        self.hours
            .iter()
            .filter(move |_| working)
            .filter_map(move |&(start, end)| {
                let start = self.resolve(date.and_time(start));
                let end_local = if end == NaiveTime::MIN {
                    date.checked_add_days(Days::new(1))?.and_time(end)
                } else {
                    date.and_time(end)
                };
                let end = self.resolve(end_local);
                // A range lying wholly inside a DST gap collapses to nothing.
                (start < end).then_some((start, end))
            })
    }

    /// All working intervals of the local dates `first..=last`, in order.
    ///
    /// Resolution of local times is monotone, so intervals of consecutive
    /// dates never overlap and the whole sequence is sorted. Callers widen
    /// the date range by a day on each side because an instant's local date
    /// and the intervals that can contain it may differ around midnight
    /// transitions.
    fn spans(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> impl DoubleEndedIterator<Item = Span> + '_ {
        let count = u64::try_from((last - first).num_days()).unwrap_or(0);
        (0..=count)
            .filter_map(move |i| first.checked_add_days(Days::new(i)))
            .flat_map(move |date| self.spans_on(date))
    }

    /// Local-date window around `[from, to]`, padded by one day each side.
    fn date_window(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
        let first = from.with_timezone(&self.tz).date_naive();
        let last = to.with_timezone(&self.tz).date_naive();
        (
            first.pred_opt().unwrap_or(first),
            last.succ_opt().unwrap_or(last),
        )
    }

    fn is_working(&self, t: DateTime<Utc>) -> bool {
        let (first, last) = self.date_window(t, t);
        self.spans(first, last).any(|(a, b)| a <= t && t < b)
    }

    fn next_working(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let horizon = t
            .checked_add_signed(SEARCH_HORIZON)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let (first, last) = self.date_window(t, horizon);
        self.spans(first, last)
            .find(|&(_, b)| b > t)
            .map_or(horizon, |(a, _)| a.max(t).min(horizon))
    }

    fn add_working(&self, start: DateTime<Utc>, budget: TimeDelta) -> DateTime<Utc> {
        let horizon = start
            .checked_add_signed(SEARCH_HORIZON)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let (first, last) = self.date_window(start, horizon);
        let mut remaining = budget;
        for (a, b) in self.spans(first, last) {
            if b <= start {
                continue;
            }
            let from = a.max(start);
            let available = b - from;
            // `<=` so a budget that ends exactly at closing time returns the
            // closing instant, not the next opening.
            if remaining <= available {
                return (from + remaining).min(horizon);
            }
            remaining -= available;
        }
        horizon
    }

    fn sub_working(&self, end: DateTime<Utc>, budget: TimeDelta) -> DateTime<Utc> {
        let horizon = end
            .checked_sub_signed(SEARCH_HORIZON)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let (first, last) = self.date_window(horizon, end);
        let mut remaining = budget;
        for (a, b) in self.spans(first, last).rev() {
            if a >= end {
                continue;
            }
            let to = b.min(end);
            let available = to - a;
            // `<=` so the result is the latest instant with exactly `budget`
            // working time before `end` (an opening, never a closing).
            if remaining <= available {
                return (to - remaining).max(horizon);
            }
            remaining -= available;
        }
        horizon
    }

    fn working_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        let (first, last) = self.date_window(from, to);
        self.spans(first, last)
            .map(|(a, b)| (b.min(to) - a.max(from)).max(TimeDelta::zero()))
            .sum()
    }
}

impl Calendar {
    /// What decides its working time, as text: the same for two calendars
    /// that count alike, whatever either has cached.
    pub fn fingerprint(&self) -> String {
        match self {
            Calendar::Always => "24x7".into(),
            Calendar::Business(b) => format!(
                "{} {:?} {:?} {:?}",
                b.tz.name(),
                b.days.iter(Weekday::Mon).collect::<Vec<_>>(),
                b.hours,
                b.holidays
            ),
        }
    }

    /// The working intervals `[start, end)` (unix seconds, sorted) that can
    /// meet instants in `[from, to]`: what a
    /// [`WorkTable`](super::work_table::WorkTable) is built from.
    pub fn intervals(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(i64, i64)> {
        match self {
            Calendar::Always => vec![(from.timestamp(), to.timestamp())],
            Calendar::Business(cal) => {
                let (first, last) = cal.date_window(from, to);
                cal.spans(first, last)
                    .map(|(a, b)| (a.timestamp(), b.timestamp()))
                    .collect()
            }
        }
    }

    /// Whether `t` is working time. Intervals are half-open: opening time is
    /// working, closing time is not.
    pub fn is_working(&self, t: DateTime<Utc>) -> bool {
        match self {
            Calendar::Always => true,
            Calendar::Business(cal) => cal.is_working(t),
        }
    }

    /// The first working instant at or after `t`: where an SLA clock started
    /// at `t` actually begins to run. Saturates at `t +` [`SEARCH_HORIZON`].
    pub fn next_working(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Calendar::Always => t,
            Calendar::Business(cal) => cal.next_working(t),
        }
    }

    /// start + `secs` seconds of working time (secs >= 0). If start is
    /// outside working time, the clock starts at the next working instant.
    /// Result is the exact instant the secs-th working second ends. For
    /// secs == 0 return start unchanged.
    ///
    /// Negative `secs` delegate to [`Calendar::sub_working`]. Saturates at
    /// `start +` [`SEARCH_HORIZON`] if the budget cannot be spent in time.
    pub fn add_working(&self, start: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
        if secs < 0 {
            return self.sub_working(start, secs.saturating_neg());
        }
        if secs == 0 {
            return start;
        }
        // Budgets beyond TimeDelta's range saturate; the horizon caps them anyway.
        let budget = TimeDelta::try_seconds(secs).unwrap_or(TimeDelta::MAX);
        match self {
            Calendar::Always => start
                .checked_add_signed(budget)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            Calendar::Business(cal) => cal.add_working(start, budget),
        }
    }

    /// start - `secs` of working time (inverse of add_working for instants
    /// inside working time).
    ///
    /// Returns the latest instant `s` with `working_seconds(s, end) == secs`.
    /// Negative `secs` delegate to [`Calendar::add_working`]. Saturates at
    /// `end -` [`SEARCH_HORIZON`].
    pub fn sub_working(&self, end: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
        if secs < 0 {
            return self.add_working(end, secs.saturating_neg());
        }
        if secs == 0 {
            return end;
        }
        let budget = TimeDelta::try_seconds(secs).unwrap_or(TimeDelta::MAX);
        match self {
            Calendar::Always => end
                .checked_sub_signed(budget)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            Calendar::Business(cal) => cal.sub_working(end, budget),
        }
    }

    /// working seconds in [from, to); negative (−working(to,from)) if to < from.
    ///
    /// Sub-second remainders are truncated toward zero. Cost is linear in
    /// the number of local days spanned.
    pub fn working_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to < from {
            return -self.working_seconds(to, from);
        }
        match self {
            Calendar::Always => (to - from).num_seconds(),
            Calendar::Business(cal) => cal.working_between(from, to).num_seconds(),
        }
    }
}

/// Parses "HH:MM-HH:MM" into `(start, end)`, encoding an end of 24:00 as
/// 00:00 (see the `hours` field of [`BusinessCalendar`]).
fn parse_hours(raw: &str) -> Option<(NaiveTime, NaiveTime)> {
    let (start, end) = raw.split_once('-')?;
    let start = NaiveTime::parse_from_str(start.trim(), "%H:%M").ok()?;
    if end.trim() == "24:00" {
        return Some((start, NaiveTime::MIN));
    }
    let end = NaiveTime::parse_from_str(end.trim(), "%H:%M").ok()?;
    // With a real end time the range must be non-empty and forward.
    (start < end).then_some((start, end))
}

/// Maps a local wall-clock time to an instant: ambiguous → earliest,
/// nonexistent → the first instant after the DST gap.
fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.to_utc(),
        LocalResult::Ambiguous(a, b) => a.min(b).to_utc(),
        LocalResult::None => first_instant_at_or_after(tz, local),
    }
}

/// The earliest instant whose local wall time is at or after `local`.
///
/// Used for times inside a DST gap, where that instant is the transition
/// itself. UTC offsets are below 24h, so the answer lies within ±25h of
/// `local` read as UTC; a binary search over whole seconds (tz transitions
/// happen on whole seconds) finds it in ~18 steps with no tz-internals.
fn first_instant_at_or_after(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let guess = local.and_utc().timestamp();
    let window = 25 * 3600;
    let wall = |ts: i64| {
        DateTime::from_timestamp(ts, 0).map(|t| tz.from_utc_datetime(&t.naive_utc()).naive_local())
    };
    let (mut lo, mut hi) = (guess.saturating_sub(window), guess.saturating_add(window));
    // Invariant: wall(lo) < local <= wall(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match wall(mid) {
            Some(w) if w >= local => hi = mid,
            Some(_) => lo = mid,
            // Outside chrono's range: nothing sensible to search; stop here.
            None => break,
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or_else(|| local.and_utc())
}
