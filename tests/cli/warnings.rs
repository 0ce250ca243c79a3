//! Early SLA warnings through the real binary: thresholds crossed across a
//! night, a weekend and a pause on a business calendar, each fired once by
//! the sweep at its instant, repeats every 4 working hours after the
//! breach, `verify` replaying them, and a pipeline change re-timing them.

use crate::common::{Cq, fixture};
use serde_json::Value;

/// minimal.toml's stage `new` (Mon-Fri 09:00-17:00 UTC, a pausing
/// sub-status `waiting`) with a 16-working-hour SLA, warnings at 50 % and
/// 80 %, and a repeat every 4 working hours after the breach.
fn warned_pipeline(dir: &std::path::Path, warn_at: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("minimal.toml")).expect("fixture");
    let old = r#"sla = { max = "4h", warn = "3h", calendar = "office" }"#;
    assert!(text.contains(old));
    let new = format!(
        r#"sla = {{ max = "16h", warn = "12h", calendar = "office", warn_at = {warn_at}, repeat = "4h" }}"#
    );
    let path = dir.join("warned.toml");
    std::fs::write(&path, text.replace(old, &new)).expect("write pipeline");
    path
}

fn clinic(dir: &std::path::Path, now: &str) -> Cq {
    let cq = Cq::init(warned_pipeline(dir, r#"["50%", "80%"]"#), now);
    cq.ok("nobody", now, &["user", "add", "sam", "--role", "staff"]);
    cq.ok("nobody", now, &["user", "add", "lead1", "--role", "lead"]);
    cq
}

fn warnings(cq: &Cq, now: &str) -> u64 {
    cq.json("lead1", now, &["sweep", "--json"])["warnings"]
        .as_u64()
        .expect("warnings count")
}

/// The record's `sla_warning` events: (threshold, at).
fn fired(cq: &Cq, now: &str, id: i64) -> Vec<(String, String)> {
    let v = cq.show("lead1", now, id);
    v["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == "sla_warning")
        .map(|e| {
            assert_eq!(e["actor"], "system");
            (
                e["event"].as_str().unwrap_or_default().to_string(),
                e["at"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

// 2026-11-19 is a Thursday.
const THU_13: &str = "2026-11-19T13:00:00Z";

#[test]
fn each_threshold_fires_once_at_its_instant_across_a_night_a_weekend_and_a_pause() {
    let dir = tempfile::tempdir().expect("dir");
    let cq = clinic(dir.path(), THU_13);
    let id = cq.add("sam", THU_13, "Pat Warned", &[]);
    let sid = id.to_string();
    // 4 working hours on Thursday, then Friday from 09:00: paused at 10:00
    // (5 hours used) until 14:00, so 50 % (8 hours) is reached at 17:00
    // sharp, as Friday's working hours end.
    cq.ok(
        "sam",
        "2026-11-20T10:00:00Z",
        &["substatus", &sid, "waiting"],
    );
    assert_eq!(warnings(&cq, "2026-11-20T13:59:00Z"), 0, "paused");
    cq.ok(
        "sam",
        "2026-11-20T14:00:00Z",
        &["substatus", &sid, "--clear"],
    );
    let v = cq.show("lead1", "2026-11-20T14:00:00Z", id);
    assert_eq!(v["next_warning"]["threshold"], "50%");
    assert_eq!(v["next_warning"]["at"], "2026-11-20T17:00:00Z");
    assert_eq!(warnings(&cq, "2026-11-20T16:59:59Z"), 0, "a second early");
    assert_eq!(warnings(&cq, "2026-11-20T17:00:00Z"), 1, "50 % at 17:00");
    assert_eq!(warnings(&cq, "2026-11-20T17:00:00Z"), 0, "once");
    // Over the weekend no working time passes: nothing fires.
    assert_eq!(warnings(&cq, "2026-11-22T12:00:00Z"), 0, "weekend");
    // 80 % is 12.8 hours: 4.8 into Monday, 13:48.
    assert_eq!(warnings(&cq, "2026-11-23T13:47:59Z"), 0);
    assert_eq!(warnings(&cq, "2026-11-23T13:48:00Z"), 1, "80 % on Monday");
    // The breach is Monday 17:00; repeats every 4 working hours after it.
    assert_eq!(
        warnings(&cq, "2026-11-23T17:00:00Z"),
        0,
        "the breach is no warning"
    );
    assert_eq!(warnings(&cq, "2026-11-24T12:59:59Z"), 0);
    assert_eq!(warnings(&cq, "2026-11-24T13:00:00Z"), 1, "breach + 4h");
    assert_eq!(warnings(&cq, "2026-11-24T17:00:00Z"), 1, "breach + 8h");
    assert_eq!(warnings(&cq, "2026-11-24T17:00:00Z"), 0, "once");
    assert_eq!(
        fired(&cq, "2026-11-24T18:00:00Z", id),
        [
            ("50%", "2026-11-20T17:00:00Z"),
            ("80%", "2026-11-23T13:48:00Z"),
            ("breach+4h", "2026-11-24T13:00:00Z"),
            ("breach+8h", "2026-11-24T17:00:00Z"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    cq.ok("lead1", "2026-11-24T18:00:00Z", &["verify"]);
    // The feed carries them, as webhooks would.
    let feed = cq.ok(
        "lead1",
        "2026-11-24T18:00:00Z",
        &["events", "--kind", "sla_warning", "--json"],
    );
    let lines: Vec<Value> = feed
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 4, "{feed}");
    assert!(lines.iter().all(|l| l["record_id"] == id), "{feed}");
}

#[test]
fn a_new_stay_starts_the_warnings_over_and_a_late_sweep_sends_one_repeat() {
    let dir = tempfile::tempdir().expect("dir");
    let cq = clinic(dir.path(), THU_13);
    let id = cq.add("sam", THU_13, "Pat Late", &[]);
    // No sweep ran until Wednesday: 50 % and 80 % fire in turn, each once,
    // and of the repeats since Monday 13:00 only the latest (breach + 12h,
    // Tuesday 17:00) is sent, not three at once.
    assert_eq!(warnings(&cq, "2026-11-25T12:00:00Z"), 3);
    let got: Vec<String> = fired(&cq, "2026-11-25T12:00:00Z", id)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(got, ["50%", "80%", "breach+12h"]);
    assert_eq!(warnings(&cq, "2026-11-25T12:00:00Z"), 0);
    cq.ok("lead1", "2026-11-25T12:00:00Z", &["verify"]);
}

#[test]
fn a_pipeline_change_re_times_the_warnings_of_open_stays() {
    let dir = tempfile::tempdir().expect("dir");
    let cq = clinic(dir.path(), THU_13);
    let id = cq.add("sam", THU_13, "Pat Retimed", &[]);
    assert_eq!(
        warnings(&cq, "2026-11-20T13:00:00Z"),
        1,
        "50 % Friday 13:00"
    );
    // The clinic adds a 25 % threshold (already passed: it never fires
    // late for this stay) and moves 80 % to 90 %.
    let changed = warned_pipeline(dir.path(), r#"["25%", "50%", "90%"]"#);
    cq.ok(
        "nobody",
        "2026-11-20T13:30:00Z",
        &["pipeline", "apply", changed.to_str().expect("path")],
    );
    let v = cq.show("lead1", "2026-11-20T13:30:00Z", id);
    assert_eq!(v["next_warning"]["threshold"], "90%");
    // 14.4 working hours: 4 Thursday, 8 Friday, 2.4 Monday = 11:24.
    assert_eq!(v["next_warning"]["at"], "2026-11-23T11:24:00Z");
    assert_eq!(warnings(&cq, "2026-11-23T11:23:59Z"), 0);
    assert_eq!(warnings(&cq, "2026-11-23T11:24:00Z"), 1);
    cq.ok("nobody", "2026-11-23T11:30:00Z", &["verify"]);
}
