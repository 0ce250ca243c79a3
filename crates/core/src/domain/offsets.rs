//! The UTC offset of each local date, remembered. Resolving a local time in
//! a time zone is a search of the zone's transitions; a calendar resolves
//! the opening and closing of every working day it walks, and an SLA clock
//! walks many days. Nearly every date has one offset all day, so a small
//! cache of dates turns most resolutions into a subtraction. Dates with a
//! transition are never cached: they take the zone's own path.

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;
use std::sync::atomic::{AtomicU64, Ordering};

const SLOTS: usize = 256;
const EMPTY: u64 = u64::MAX;
/// The date has a transition (or an offset this cache cannot hold).
const MIXED: i32 = i32::MIN;

/// A direct-mapped cache, date -> offset, shared by every thread using the
/// calendar (each slot is one atomic word: date and offset together).
pub struct Offsets {
    tz: Tz,
    slots: Box<[AtomicU64]>,
}

impl Offsets {
    pub fn new(tz: Tz) -> Offsets {
        Offsets {
            tz,
            slots: (0..SLOTS).map(|_| AtomicU64::new(EMPTY)).collect(),
        }
    }

    /// `local` as an instant, if its date keeps one offset all day.
    pub fn resolve(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let off = self.offset(local.date())?;
        DateTime::from_timestamp(local.and_utc().timestamp() - i64::from(off), 0)
    }

    fn offset(&self, date: NaiveDate) -> Option<i32> {
        let day = date.num_days_from_ce();
        let slot = &self.slots[day as usize % SLOTS];
        let v = slot.load(Ordering::Relaxed);
        let off = if v != EMPTY && (v >> 32) as u32 == day as u32 {
            v as u32 as i32
        } else {
            let off = self.uniform(date).unwrap_or(MIXED);
            slot.store(
                u64::from(day as u32) << 32 | u64::from(off as u32),
                Ordering::Relaxed,
            );
            off
        };
        (off != MIXED).then_some(off)
    }

    /// The date's offset, if local midnight, noon and the last second all
    /// exist once and share it (no zone changes twice within a day).
    fn uniform(&self, date: NaiveDate) -> Option<i32> {
        let at = |t: NaiveTime| match self.tz.offset_from_local_datetime(&date.and_time(t)) {
            LocalResult::Single(o) => Some(o.fix().local_minus_utc()),
            _ => None,
        };
        let first = at(NaiveTime::MIN)?;
        let noon = NaiveTime::from_hms_opt(12, 0, 0)?;
        let last = NaiveTime::from_hms_opt(23, 59, 59)?;
        (at(noon)? == first && at(last)? == first && first != MIXED).then_some(first)
    }
}

impl Clone for Offsets {
    fn clone(&self) -> Offsets {
        Offsets::new(self.tz)
    }
}

impl PartialEq for Offsets {
    fn eq(&self, other: &Offsets) -> bool {
        self.tz == other.tz
    }
}

impl std::fmt::Debug for Offsets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Offsets({})", self.tz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the cache stands in for: the zone's own resolution, where a
    /// local time exists exactly once.
    fn direct(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.to_utc()),
            _ => None,
        }
    }

    proptest! {
        #[test]
        fn cached_resolution_is_the_zones(
            zone in prop::sample::select(vec!["America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"]),
            days in 0i64..3_000,
            secs in 0u32..86_400,
            again in any::<bool>(),
        ) {
            let tz: Tz = zone.parse().expect("zone");
            let offsets = Offsets::new(tz);
            let date = NaiveDate::from_ymd_opt(2020, 1, 1).expect("date") + chrono::Days::new(days as u64);
            let local = date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).expect("time"));
            if again {
                let _ = offsets.resolve(date.and_time(NaiveTime::MIN));
            }
            if let Some(t) = offsets.resolve(local) {
                prop_assert_eq!(Some(t), direct(tz, local));
            }
        }
    }

    #[test]
    fn transition_days_are_left_to_the_zone() {
        let tz: Tz = "America/New_York".parse().expect("zone");
        let offsets = Offsets::new(tz);
        let spring = NaiveDate::from_ymd_opt(2026, 3, 8).expect("date");
        assert_eq!(
            offsets.resolve(spring.and_hms_opt(12, 0, 0).expect("t")),
            None
        );
        let day = NaiveDate::from_ymd_opt(2026, 3, 9).expect("date");
        let t = offsets.resolve(day.and_hms_opt(9, 0, 0).expect("t"));
        assert_eq!(
            t.map(|t| t.to_rfc3339()),
            Some("2026-03-09T13:00:00+00:00".into())
        );
    }
}
