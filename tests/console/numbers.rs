//! Numbers that must not mislead: time over an SLA in calendar time (with
//! the working time beside it), due times that tell past from future, and
//! board counts under the owner filter the queue applies.

use crate::harness as console;

use carequeue::domain::duration::Secs;
use carequeue::engine::sla::{self, SlaState};
use console::{Console, demo_db, now};

/// A record days over its SLA under a business calendar reads in calendar
/// days, not in "days" of 24 working hours.
#[test]
fn time_over_reads_in_calendar_days_with_working_hours_beside() {
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "kim", 160, 50);
    let p = c.app.pipeline.clone();
    let screen = c.screen(160, 50);
    let mut checked = 0;
    let mut long_over = false;
    for r in &c.app.page.rows {
        let v = sla::view(&p, r, now());
        let (SlaState::Breached, Some(left), Some(due)) = (v.state, v.seconds_left, v.due_at)
        else {
            continue;
        };
        let calendar = now().timestamp() - due;
        if calendar < 2 * 86_400 || (calendar + left).abs() < 3600 {
            continue; // not days over, or a 24x7 calendar
        }
        let row = screen
            .lines()
            .find(|l| l.starts_with(&format!("│ {:<7}", r.id)))
            .unwrap_or_else(|| panic!("row {}:\n{screen}", r.id));
        let days = calendar / 86_400;
        assert!(
            row.contains(&format!("+{days}d")),
            "{days} days over: {row}"
        );
        let working = if -left >= 86_400 {
            format!("({}h working)", -left / 3600)
        } else {
            format!("({} working)", Secs(-left).compact())
        };
        assert!(row.contains(&working), "{working}: {row}");
        assert!(
            !row.contains(&format!("+{}", Secs(-left).compact())),
            "{row}"
        );
        checked += 1;
        long_over |= calendar >= 30 * 86_400;
    }
    assert!(
        checked >= 2 && long_over,
        "premise: records days over:\n{screen}"
    );
}

/// DUE tells past from future: a record due days ago shows its date (never
/// a weekday, which would read as the coming one), one due in the coming
/// days its weekday, and yesterday says so.
#[test]
fn due_times_in_the_past_read_as_dates_and_the_coming_week_as_weekdays() {
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "kim", 160, 50);
    let p = c.app.pipeline.clone();
    let zone = p.timezone;
    let today = now().with_timezone(&zone).date_naive();
    let (mut past, mut coming) = (0, 0);
    for view in 0..c.app.views.len() {
        c.app.view = view;
        c.press(char::from_digit(view as u32 + 1, 10).unwrap_or('1'));
        let screen = c.screen(160, 50);
        for r in &c.app.page.rows {
            let v = sla::view(&p, r, now());
            let (Some(due), false) = (v.due_at, v.state == SlaState::Paused) else {
                continue;
            };
            let Some(row) = screen
                .lines()
                .find(|l| l.starts_with(&format!("│ {:<7}", r.id)) && l.contains(&r.patient))
            else {
                continue;
            };
            let at = chrono::DateTime::from_timestamp(due, 0)
                .expect("due")
                .with_timezone(&zone);
            let days = (at.date_naive() - today).num_days();
            let weekday = at.format("%a %H:%M").to_string();
            if days < -1 {
                assert!(row.contains(&at.format("%m-%d %H:%M").to_string()), "{row}");
                assert!(!row.contains(&weekday), "a past weekday: {row}");
                past += 1;
            } else if days == -1 {
                assert!(
                    row.contains(&format!("yesterday {}", at.format("%H:%M"))),
                    "{row}"
                );
                past += 1;
            } else if (2..=6).contains(&days) {
                assert!(row.contains(&weekday), "{row}");
                coming += 1;
            }
        }
    }
    assert!(
        past >= 3 && coming >= 3,
        "premise: past {past}, coming {coming}"
    );
}

/// The stage boxes count what the queue holds under the owner filter:
/// `All stages` agrees with the queue title's total, and so does each
/// stage's box with the queue narrowed to it.
#[test]
fn board_counts_follow_the_owner_filter() {
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "maria", 120, 40);
    c.press('1');
    let all = c.app.page.total;
    c.press('o');
    assert_eq!(c.app.owner.label(), "mine");
    let mine = c.app.page.total;
    assert!(
        mine > 0 && mine < all,
        "premise: maria holds some: {mine} of {all}"
    );
    let screen = c.screen(120, 40);
    let counts: Vec<&str> = screen
        .lines()
        .nth(4)
        .unwrap_or_default()
        .split('│')
        .collect();
    let first = |cell: &str| {
        cell.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(first(counts[1]), mine.to_string(), "All stages:\n{screen}");
    assert!(screen.contains(&format!("1/{mine}")), "{screen}");
    // Each stage's box, against the queue narrowed to that stage.
    let boxes: Vec<String> = counts.iter().skip(1).step_by(2).map(|c| first(c)).collect();
    let stages = c.app.current().stages.len();
    for (i, count) in boxes.iter().enumerate().skip(1).take(stages) {
        c.press('l');
        let total = c.app.page.total.to_string();
        assert_eq!(*count, total, "stage {i}:\n{screen}");
    }
}
