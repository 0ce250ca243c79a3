use super::*;
use crate::domain::check;
use crate::engine::{replay, sla};
use chrono::{DateTime, Utc};

const MINIMAL: &str = include_str!("../../../../tests/fixtures/minimal.toml");
const SLA: &str = r#"sla = { max = "4h", warn = "3h", calendar = "office" }"#;

/// The minimal pipeline with stage `new` on `sla` (office hours, Mon-Fri
/// 09:00-17:00 UTC).
fn pipeline(sla: &str) -> Pipeline {
    assert!(MINIMAL.contains(SLA));
    check(&MINIMAL.replace(SLA, sla))
        .pipeline
        .expect("valid pipeline")
}

fn warned() -> Pipeline {
    pipeline(
        r#"sla = { max = "16h", warn = "12h", calendar = "office", warn_at = ["80%", "50%"], repeat = "4h" }"#,
    )
}

fn t(s: &str) -> i64 {
    s.parse::<DateTime<Utc>>().expect("instant").timestamp()
}

fn at(x: i64) -> DateTime<Utc> {
    from_unix(x)
}

/// A record entering `new` at `entered`.
fn entering(p: &Pipeline, entered: i64) -> Record {
    let mut r = replay::empty(1);
    r.stage = "new".into();
    r.entered_at = entered;
    let stage = p.stage_ix("new").expect("stage");
    let c = sla::on_enter(p, stage, at(entered), false);
    (r.due_at, r.warn_at) = (c.due_at, c.warn_at);
    refresh(p, &mut r);
    r
}

/// `r` on clock `c`, its next warning timed again (as a pause or resume).
fn clocked(p: &Pipeline, r: &mut Record, c: sla::ClockState) {
    (r.due_at, r.warn_at, r.paused_since, r.paused_left) =
        (c.due_at, c.warn_at, c.paused_since, c.paused_left);
    refresh(p, r);
}

/// Every warning the stay fires, in order, with its instant, up to `n`.
fn sequence(p: &Pipeline, mut r: Record, n: usize) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    while out.len() < n {
        let Some(w) = next(p, &r) else { break };
        assert_eq!(
            r.warning_at,
            Some(w.at),
            "warning_at is the next one's instant"
        );
        out.push((w.label.clone(), w.at));
        r = fired(p, &r, &w);
    }
    out
}

#[test]
fn thresholds_cross_a_night_and_a_weekend_in_working_time() {
    let p = warned();
    // Thursday 13:00: 4h that day, 8h on Friday, then the weekend.
    let r = entering(&p, t("2026-03-05T13:00:00Z"));
    assert_eq!(r.due_at, Some(t("2026-03-09T13:00:00Z")));
    assert_eq!(
        sequence(&p, r, 4),
        [
            ("50%".to_string(), t("2026-03-06T13:00:00Z")),
            // 12.8 working hours: 4 + 8 + 0.8 on Monday morning.
            ("80%".to_string(), t("2026-03-09T09:48:00Z")),
            // Repeats every 4 working hours after the breach (Monday 13:00).
            ("breach+4h".to_string(), t("2026-03-09T17:00:00Z")),
            ("breach+8h".to_string(), t("2026-03-10T13:00:00Z")),
        ]
    );
}

#[test]
fn a_warning_is_due_at_its_instant_and_not_a_second_before() {
    let p = warned();
    let r = entering(&p, t("2026-03-05T13:00:00Z"));
    let half = t("2026-03-06T13:00:00Z");
    assert_eq!(due_by(&p, &r, half - 1), None);
    let w = due_by(&p, &r, half).expect("due");
    assert_eq!((w.label.as_str(), w.after), ("50%", 8 * 3600));
    // Fired, it is not due again: the next is 80%.
    let r = fired(&p, &r, &w);
    assert_eq!(due_by(&p, &r, half), None);
    assert_eq!(r.warned, 8 * 3600);
}

#[test]
fn a_pause_stops_warnings_and_a_threshold_reached_at_closing_is_reached_then() {
    let p = warned();
    let stage = p.stage_ix("new").expect("stage");
    let mut r = entering(&p, t("2026-03-05T13:00:00Z"));
    // Paused Friday 10:00 after 5 working hours; no warning while paused.
    let c = sla::pause(
        &p,
        stage,
        sla::ClockState::of(&r),
        at(t("2026-03-06T10:00:00Z")),
    );
    clocked(&p, &mut r, c);
    assert_eq!(r.warning_at, None);
    assert_eq!(due_by(&p, &r, t("2026-03-20T10:00:00Z")), None);
    // Resumed at 14:00: 3 more working hours make 8 (50%) at 17:00 sharp,
    // as Friday's working hours end, not at Monday's opening.
    let c = sla::resume(
        &p,
        stage,
        sla::ClockState::of(&r),
        at(t("2026-03-06T14:00:00Z")),
    );
    clocked(&p, &mut r, c);
    let seq = sequence(&p, r, 3);
    assert_eq!(seq[0], ("50%".to_string(), t("2026-03-06T17:00:00Z")));
    // 12.8h: 4.8 working hours into Monday.
    assert_eq!(seq[1], ("80%".to_string(), t("2026-03-09T13:48:00Z")));
    // Due Monday 17:00; 4 working hours on is Tuesday 13:00.
    assert_eq!(seq[2], ("breach+4h".to_string(), t("2026-03-10T13:00:00Z")));
}

#[test]
fn repeats_missed_while_no_sweep_ran_fire_once_as_the_latest() {
    let p = warned();
    let mut r = entering(&p, t("2026-03-05T13:00:00Z"));
    r.warned = 12 * 3600 + 48 * 60; // 80% fired; due Monday 13:00.
    refresh(&p, &mut r);
    // Wednesday 12:00 is 4 + 8 + 3 = 15 working hours past the breach:
    // the third repeat (12h) is the latest due.
    let w = due_by(&p, &r, t("2026-03-11T12:00:00Z")).expect("due");
    assert_eq!((w.label.as_str(), w.repeat), ("breach+12h", Some(3)));
    // 12 working hours past Monday 13:00: Tuesday as it closes.
    assert_eq!(w.at, t("2026-03-10T17:00:00Z"));
    let r = fired(&p, &r, &w);
    assert_eq!(due_by(&p, &r, t("2026-03-11T12:00:00Z")), None);
    assert_eq!(r.warning_at, Some(t("2026-03-11T13:00:00Z")));
}

#[test]
fn a_stage_without_thresholds_or_an_sla_never_warns() {
    let p = pipeline(SLA);
    let r = entering(&p, t("2026-03-05T13:00:00Z"));
    assert_eq!((next(&p, &r), r.warning_at), (None, None));
    let mut done = r.clone();
    done.stage = "done".into();
    assert_eq!(next(&p, &done), None);
}

#[test]
fn defaults_apply_where_a_stage_gives_none_of_its_own() {
    let text = MINIMAL.replacen(
        "[[calendars]]",
        "[sla_defaults]\nwarn_at = [\"50%\"]\nrepeat = \"2h\"\n\n[[calendars]]",
        1,
    );
    let p = check(&text).pipeline.expect("valid");
    let new = p
        .stage(p.stage_ix("new").expect("new"))
        .sla
        .clone()
        .expect("sla");
    assert_eq!(new.warnings.len(), 1);
    assert_eq!(new.warnings[0].after.0, 2 * 3600);
    assert_eq!(new.repeat.map(|r| r.0), Some(7200));
    // A stage's own list wins, and `repeat = "0m"` turns repeats off.
    let own = text.replace(
        SLA,
        r#"sla = { max = "4h", calendar = "office", warn_at = ["1h"], repeat = "0m" }"#,
    );
    let p = check(&own).pipeline.expect("valid");
    let new = p
        .stage(p.stage_ix("new").expect("new"))
        .sla
        .clone()
        .expect("sla");
    assert_eq!(new.warnings[0].label, "1h");
    assert_eq!(new.repeat, None);
}

#[test]
fn thresholds_outside_the_stay_or_given_twice_are_refused_at_their_place() {
    for (warn_at, says) in [
        (r#"["100%"]"#, "malformed warning `100%`"),
        (r#"["0%"]"#, "malformed warning `0%`"),
        (
            r#"["4h"]"#,
            "is not between the stay's start and the SLA max",
        ),
        (r#"["50%", "2h"]"#, "is given twice"),
        (r#"["soon"]"#, "soon"),
    ] {
        let text = MINIMAL.replace(
            SLA,
            &format!(r#"sla = {{ max = "4h", calendar = "office", warn_at = {warn_at} }}"#),
        );
        let checked = check(&text);
        assert!(checked.pipeline.is_none(), "{warn_at} accepted");
        let all: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        assert!(all.iter().any(|m| m.contains(says)), "{warn_at}: {all:?}");
    }
}
