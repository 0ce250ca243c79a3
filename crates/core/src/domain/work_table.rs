//! Working time by lookup. [`Calendar::working_seconds`] walks the local
//! days between two instants, resolving each day's hours in the time zone;
//! that is right for one countdown but slow for the audit, which measures
//! millions of stays. A [`WorkTable`] resolves a window of days once and
//! keeps running totals, so any measurement inside the window is two
//! binary searches, with the same answer.

use super::calendar::Calendar;
use chrono::{DateTime, Utc};

/// The working intervals of a window, with running totals of their length.
#[derive(Debug, Clone)]
pub struct WorkTable {
    /// Instants (unix seconds) the table answers for: `lo..=hi`.
    lo: i64,
    hi: i64,
    /// Working intervals `[start, end)`, sorted and disjoint.
    starts: Vec<i64>,
    ends: Vec<i64>,
    /// `before[i]`: working seconds in the intervals before `i`.
    before: Vec<i64>,
}

impl WorkTable {
    /// Resolves `cal`'s working intervals for instants in `[from, to]`.
    pub fn new(cal: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> WorkTable {
        let spans = cal.intervals(from, to);
        let mut before = Vec::with_capacity(spans.len() + 1);
        let mut total = 0;
        before.push(0);
        for (a, b) in &spans {
            total += b - a;
            before.push(total);
        }
        WorkTable {
            lo: from.timestamp(),
            hi: to.timestamp(),
            starts: spans.iter().map(|s| s.0).collect(),
            ends: spans.iter().map(|s| s.1).collect(),
            before,
        }
    }

    /// Working seconds from the window's start to `t`.
    fn upto(&self, t: i64) -> i64 {
        // Intervals ending at or before `t` count whole; the next one counts
        // the part of it before `t`.
        let i = self.ends.partition_point(|&e| e <= t);
        let whole = self.before[i];
        match self.starts.get(i) {
            Some(&s) if s < t => whole + (t - s),
            _ => whole,
        }
    }

    /// Working seconds in `[a, b)`, or `None` outside the window (the
    /// caller asks the calendar instead).
    pub fn seconds(&self, a: i64, b: i64) -> Option<i64> {
        if a < self.lo || b > self.hi || b < a {
            return None;
        }
        Some(self.upto(b) - self.upto(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{BusinessCalendar, Calendar};
    use proptest::prelude::*;

    fn clinic() -> Calendar {
        Calendar::Business(
            BusinessCalendar::new(
                "America/New_York",
                &["mon", "tue", "wed", "thu", "fri"],
                &["08:00-12:00", "13:00-18:00"],
                &["2026-11-26", "2026-12-25"],
            )
            .expect("a valid calendar"),
        )
    }

    /// Night shifts across midnight, in a zone whose DST changes at 01:00.
    fn nights() -> Calendar {
        Calendar::Business(
            BusinessCalendar::new(
                "Europe/London",
                &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                &["00:00-02:00", "22:00-24:00"],
                &["2026-12-25"],
            )
            .expect("a valid calendar"),
        )
    }

    fn at(ts: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(ts, 0).expect("in range")
    }

    /// 2026-01-01 .. 2027-06-01: across both DST changes and the holidays.
    const LO: i64 = 1_767_225_600;
    const HI: i64 = 1_811_808_000;

    #[test]
    fn outside_the_window_is_left_to_the_calendar() {
        let t = WorkTable::new(&clinic(), at(LO), at(HI));
        assert_eq!(t.seconds(LO - 1, LO + 10), None);
        assert_eq!(t.seconds(LO, HI + 1), None);
        assert_eq!(t.seconds(LO + 10, LO), None);
        assert_eq!(t.seconds(LO, LO), Some(0));
    }

    proptest! {
        #[test]
        fn agrees_with_the_calendar(a in LO..HI, len in 0i64..90 * 86_400) {
            let cal = clinic();
            let t = WorkTable::new(&cal, at(LO), at(HI));
            let b = (a + len).min(HI);
            prop_assert_eq!(t.seconds(a, b), Some(cal.working_seconds(at(a), at(b))));
        }

        #[test]
        fn agrees_across_midnight_and_dst(a in LO..HI, len in 0i64..20 * 86_400) {
            let cal = nights();
            let t = WorkTable::new(&cal, at(LO), at(HI));
            let b = (a + len).min(HI);
            prop_assert_eq!(t.seconds(a, b), Some(cal.working_seconds(at(a), at(b))));
        }
    }
}
