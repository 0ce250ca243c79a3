//! Behavioural tests for working-time calendars (SLA clocks).

use carequeue::domain::calendar::{BusinessCalendar, Calendar, CalendarError, SEARCH_HORIZON};
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

const HOUR: i64 = 3600;
const WEEKDAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri"];

fn business(tz: &str, days: &[&str], hours: &[&str], holidays: &[&str]) -> Calendar {
    Calendar::Business(BusinessCalendar::new(tz, days, hours, holidays).expect("valid calendar"))
}

/// Mon–Fri 09:00–17:00 New York, closed on Christmas 2026.
fn ny_office() -> Calendar {
    business(
        "America/New_York",
        WEEKDAYS,
        &["09:00-17:00"],
        &["2026-12-25"],
    )
}

/// A local wall-clock time in `tz`, which must exist and be unambiguous.
fn at(tz: &str, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    let tz: Tz = tz.parse().expect("known tz");
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("unambiguous local time")
        .to_utc()
}

fn ny(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    at("America/New_York", y, mo, d, h, mi)
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("rfc3339").to_utc()
}

#[test]
fn opening_is_working_closing_is_not() {
    let cal = ny_office();
    // 2026-03-03 is a Tuesday.
    assert!(cal.is_working(ny(2026, 3, 3, 9, 0)));
    assert!(cal.is_working(ny(2026, 3, 3, 16, 59)));
    assert!(!cal.is_working(ny(2026, 3, 3, 17, 0)));
    assert!(!cal.is_working(ny(2026, 3, 3, 8, 59)));
    assert!(!cal.is_working(ny(2026, 3, 3, 23, 0)));
}

#[test]
fn clock_started_at_night_runs_from_next_opening() {
    let cal = ny_office();
    let evening = ny(2026, 3, 3, 20, 0);
    assert_eq!(cal.next_working(evening), ny(2026, 3, 4, 9, 0));
    assert_eq!(cal.add_working(evening, HOUR), ny(2026, 3, 4, 10, 0));
    assert_eq!(cal.working_seconds(evening, ny(2026, 3, 4, 9, 0)), 0);
}

#[test]
fn budget_ending_at_closing_returns_closing_time() {
    let cal = ny_office();
    assert_eq!(
        cal.add_working(ny(2026, 3, 3, 16, 0), HOUR),
        ny(2026, 3, 3, 17, 0)
    );
}

#[test]
fn friday_afternoon_plus_four_hours_is_monday_noon() {
    let cal = ny_office();
    // 2026-02-27 is a Friday; no DST change over the weekend.
    assert_eq!(
        cal.add_working(ny(2026, 2, 27, 16, 0), 4 * HOUR),
        ny(2026, 3, 2, 12, 0)
    );
    // Same across the 2026-03-08 spring-forward weekend: Monday noon EDT.
    let monday = cal.add_working(ny(2026, 3, 6, 16, 0), 4 * HOUR);
    assert_eq!(monday, utc("2026-03-09T16:00:00Z"));
    assert_eq!(monday, ny(2026, 3, 9, 12, 0));
}

#[test]
fn weekends_are_skipped_both_ways() {
    let cal = ny_office();
    let saturday = ny(2026, 3, 7, 12, 0);
    assert!(!cal.is_working(saturday));
    assert_eq!(cal.next_working(saturday), ny(2026, 3, 9, 9, 0));
    assert_eq!(
        cal.sub_working(ny(2026, 3, 9, 10, 0), 2 * HOUR),
        ny(2026, 3, 6, 16, 0)
    );
    // One full week is exactly 40 working hours.
    assert_eq!(
        cal.working_seconds(ny(2026, 3, 2, 0, 0), ny(2026, 3, 9, 0, 0)),
        40 * HOUR
    );
}

#[test]
fn holidays_are_not_working_time() {
    let cal = ny_office();
    // Friday 2026-12-25 is a holiday: Thursday 16:00 + 2h lands on Monday 10:00.
    assert!(!cal.is_working(ny(2026, 12, 25, 12, 0)));
    assert_eq!(
        cal.add_working(ny(2026, 12, 24, 16, 0), 2 * HOUR),
        ny(2026, 12, 28, 10, 0)
    );
    assert_eq!(
        cal.working_seconds(ny(2026, 12, 21, 0, 0), ny(2026, 12, 28, 0, 0)),
        32 * HOUR
    );
}

#[test]
fn office_day_on_dst_change_is_still_eight_hours() {
    let sundays = business("America/New_York", &["sun"], &["09:00-17:00"], &[]);
    for (day_start, next_day) in [
        (ny(2026, 3, 8, 0, 0), ny(2026, 3, 9, 0, 0)),
        (ny(2026, 11, 1, 0, 0), ny(2026, 11, 2, 0, 0)),
    ] {
        assert_eq!(sundays.working_seconds(day_start, next_day), 8 * HOUR);
    }
    assert_eq!(
        sundays.add_working(ny(2026, 3, 8, 0, 0), 8 * HOUR),
        utc("2026-03-08T21:00:00Z") // 17:00 EDT
    );
    assert_eq!(
        sundays.add_working(ny(2026, 11, 1, 0, 0), 8 * HOUR),
        utc("2026-11-01T22:00:00Z") // 17:00 EST
    );
}

#[test]
fn round_the_clock_day_follows_dst_length() {
    let all_day = business("America/New_York", &["sun"], &["00:00-24:00"], &[]);
    let spring = all_day.working_seconds(ny(2026, 3, 7, 12, 0), ny(2026, 3, 9, 12, 0));
    let autumn = all_day.working_seconds(ny(2026, 10, 31, 12, 0), ny(2026, 11, 2, 12, 0));
    assert_eq!(spring, 23 * HOUR);
    assert_eq!(autumn, 25 * HOUR);
}

#[test]
fn nonexistent_and_ambiguous_local_times_resolve_sensibly() {
    let night = business("America/New_York", &["sun"], &["01:00-03:00"], &[]);
    // Spring: 02:00–03:00 does not exist, so only 01:00–02:00 EST is real.
    let spring = night.working_seconds(ny(2026, 3, 8, 0, 0), ny(2026, 3, 8, 12, 0));
    assert_eq!(spring, HOUR);
    assert!(!night.is_working(utc("2026-03-08T07:00:00Z"))); // 03:00 EDT
    // Autumn: 01:00 resolves to the earlier (EDT) instant, so both 01:xx
    // hours and 02:00–03:00 EST count.
    let autumn = night.working_seconds(ny(2026, 11, 1, 0, 0), ny(2026, 11, 1, 12, 0));
    assert_eq!(autumn, 3 * HOUR);
    assert!(night.is_working(utc("2026-11-01T05:00:00Z")));

    // A range starting in the gap starts when the gap ends (03:00 EDT).
    let late = business("America/New_York", &["sun"], &["02:30-04:00"], &[]);
    let sunday = ny(2026, 3, 8, 0, 0);
    assert_eq!(late.next_working(sunday), utc("2026-03-08T07:00:00Z"));
    assert_eq!(late.working_seconds(sunday, ny(2026, 3, 9, 0, 0)), HOUR);

    // A range wholly inside the gap is empty that day, normal on others.
    let gap = business("America/New_York", &["sun"], &["02:15-02:45"], &[]);
    assert_eq!(
        gap.working_seconds(ny(2026, 3, 8, 0, 0), ny(2026, 3, 9, 0, 0)),
        0
    );
    assert_eq!(
        gap.add_working(ny(2026, 3, 8, 0, 0), 60),
        ny(2026, 3, 15, 2, 16)
    );
}

#[test]
fn working_seconds_is_antisymmetric_and_additive() {
    let cal = ny_office();
    let (a, b, c) = (
        ny(2026, 3, 4, 11, 30),
        ny(2026, 3, 10, 15, 0),
        ny(2026, 11, 3, 10, 0),
    );
    assert_eq!(cal.working_seconds(a, a), 0);
    assert_eq!(cal.working_seconds(b, a), -cal.working_seconds(a, b));
    assert_eq!(
        cal.working_seconds(a, b) + cal.working_seconds(b, c),
        cal.working_seconds(a, c)
    );
    // Wed 11:30 → next Tue 15:00: 5.5 + 8*3 (Thu, Fri, Mon) + 6 hours.
    assert_eq!(cal.working_seconds(a, b), 35 * HOUR + HOUR / 2);
}

#[test]
fn always_is_plain_arithmetic() {
    let t = utc("2026-03-08T06:59:59Z");
    assert!(Calendar::Always.is_working(t));
    assert_eq!(
        Calendar::Always.add_working(t, 90),
        t + TimeDelta::seconds(90)
    );
    assert_eq!(
        Calendar::Always.sub_working(t, 90),
        t - TimeDelta::seconds(90)
    );
    assert_eq!(
        Calendar::Always.working_seconds(t, t + TimeDelta::days(2)),
        172_800
    );
    assert_eq!(
        Calendar::Always.add_working(t, i64::MAX),
        DateTime::<Utc>::MAX_UTC
    );
}

#[test]
fn zero_budget_returns_start_unchanged() {
    let cal = ny_office();
    let saturday = ny(2026, 3, 7, 12, 0);
    assert_eq!(cal.add_working(saturday, 0), saturday);
    assert_eq!(cal.sub_working(saturday, 0), saturday);
}

#[test]
fn long_budgets_are_exact() {
    let cal = ny_office();
    let start = ny(2026, 1, 5, 9, 0);
    let secs = 120 * 86_400;
    let end = cal.add_working(start, secs);
    assert_eq!(cal.working_seconds(start, end), secs);
    assert_eq!(cal.sub_working(end, secs), start);
}

#[test]
fn calendar_without_working_time_saturates_at_horizon() {
    // Every Monday for 25 years is a holiday, so a Monday-only calendar
    // never works; the search must stop at the horizon instead of spinning.
    let first = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let mondays: Vec<String> = (0..25 * 53)
        .map(|w| (first + TimeDelta::weeks(w)).to_string())
        .collect();
    let refs: Vec<&str> = mondays.iter().map(String::as_str).collect();
    let cal = business("Europe/Berlin", &["monday"], &["08:00-16:00"], &refs);
    let start = at("Europe/Berlin", 2026, 1, 1, 0, 0);
    assert_eq!(cal.add_working(start, HOUR), start + SEARCH_HORIZON);
    assert_eq!(cal.next_working(start), start + SEARCH_HORIZON);
    let late = start + TimeDelta::weeks(25 * 53);
    assert_eq!(cal.sub_working(late, HOUR), late - SEARCH_HORIZON);
}

#[test]
fn construction_accepts_variants_and_reports_errors() {
    let ok = BusinessCalendar::new(
        "Europe/London",
        &["MON", "Tuesday", " wed "],
        &["13:00-17:30", "08:00-12:00", "22:00-24:00"],
        &["2026-12-25", "2026-12-25"],
    );
    assert!(ok.is_ok());

    let err = |tz, days: &[&str], hours: &[&str], hol: &[&str]| {
        BusinessCalendar::new(tz, days, hours, hol).expect_err("must be rejected")
    };
    let h = &["09:00-17:00"][..];
    assert_eq!(
        err("Mars/Olympus", WEEKDAYS, h, &[]),
        CalendarError::UnknownTimezone("Mars/Olympus".into())
    );
    assert_eq!(
        err("UTC", &["mon", "funday"], h, &[]),
        CalendarError::BadDay {
            index: 1,
            value: "funday".into()
        }
    );
    for bad in [
        "17:00-09:00",
        "09:00-09:00",
        "9-5",
        "09:00",
        "24:00-24:00",
        "09:00-25:00",
    ] {
        assert_eq!(
            err("UTC", WEEKDAYS, &["08:00-09:00", bad], &[]),
            CalendarError::BadHours {
                index: 1,
                value: bad.into()
            }
        );
    }
    assert_eq!(
        err("UTC", WEEKDAYS, &["13:00-17:00", "09:00-13:30"], &[]),
        CalendarError::OverlappingHours { index: 0 }
    );
    assert_eq!(
        err("UTC", WEEKDAYS, &["12:00-24:00", "23:00-23:30"], &[]),
        CalendarError::OverlappingHours { index: 1 }
    );
    assert_eq!(
        err("UTC", WEEKDAYS, h, &["2026-12-25", "25/12/2026"]),
        CalendarError::BadHoliday {
            index: 1,
            value: "25/12/2026".into()
        }
    );
    assert_eq!(err("UTC", &[], h, &[]), CalendarError::NoWorkingTime);
    assert_eq!(err("UTC", WEEKDAYS, &[], &[]), CalendarError::NoWorkingTime);
}

/// Calendars the properties run against: office hours with holidays, split
/// shifts, a 30-minute-DST zone round the clock, night shifts that straddle
/// New York's DST gaps, and 24x7.
fn calendars() -> Vec<Calendar> {
    vec![
        business(
            "America/New_York",
            WEEKDAYS,
            &["09:00-17:00"],
            &["2026-07-03", "2026-12-25", "2027-01-01"],
        ),
        business(
            "Europe/London",
            &["mon", "tue", "wed", "thu", "fri", "sat"],
            &["08:00-12:00", "13:00-17:30"],
            &[],
        ),
        business(
            "Australia/Lord_Howe",
            &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            &["00:00-24:00"],
            &[],
        ),
        business(
            "America/New_York",
            &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            &["01:00-02:30", "22:00-24:00"],
            &[],
        ),
        Calendar::Always,
    ]
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2020..2035, with sub-second parts to catch rounding mistakes.
    (1_577_836_800i64..2_051_222_400, 0u32..1_000_000_000)
        .prop_map(|(s, ns)| DateTime::from_timestamp(s, ns).expect("in range"))
}

const MAX_SECS: i64 = 400 * 86_400;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn add_spends_exactly_the_budget(c in 0usize..5, start in instant(), secs in 0..MAX_SECS) {
        let cal = &calendars()[c];
        let end = cal.add_working(start, secs);
        prop_assert!(end >= start);
        prop_assert_eq!(cal.working_seconds(cal.next_working(start), end), secs);
        prop_assert_eq!(cal.working_seconds(start, end), secs);
    }

    #[test]
    fn sub_inverts_add(c in 0usize..5, start in instant(), secs in 1..MAX_SECS) {
        let cal = &calendars()[c];
        let end = cal.add_working(start, secs);
        prop_assert_eq!(cal.sub_working(end, secs), cal.next_working(start));
        // The last second spent is working time.
        prop_assert!(cal.is_working(end - TimeDelta::nanoseconds(1)));
    }

    #[test]
    fn pausing_does_not_change_the_deadline(
        c in 0usize..5,
        start in instant(),
        n1 in 0..MAX_SECS / 2,
        n2 in 0..MAX_SECS / 2,
    ) {
        let cal = &calendars()[c];
        let split = cal.add_working(cal.add_working(start, n1), n2);
        prop_assert_eq!(split, cal.add_working(start, n1 + n2));
    }
}
