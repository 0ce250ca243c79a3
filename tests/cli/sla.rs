//! The SLA engine through the real binary: business-calendar due times and
//! pauses, idempotent sweeps with each escalation level once, breach reasons
//! required to leave, and the refill cycle driven by timers.

use crate::common::{Cq, default_pipeline, fixture};
use serde_json::Value;

fn record(cq: &Cq, now: &str, id: i64) -> Value {
    cq.show("lead1", now, id)
}

fn history_kinds(v: &Value, kind: &str) -> Vec<Value> {
    v["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

/// minimal.toml: stage `new` has a 4h SLA on a Monday–Friday 09:00–17:00
/// (UTC) calendar, a pausing sub-status `waiting`, and one escalation level
/// an hour after the breach.
fn minimal(now: &str) -> Cq {
    let cq = Cq::init(fixture("minimal.toml"), now);
    cq.ok("nobody", now, &["user", "add", "sam", "--role", "staff"]);
    cq.ok("nobody", now, &["user", "add", "lead1", "--role", "lead"]);
    cq
}

// 2026-11-20 is a Friday.
const FRI_16: &str = "2026-11-20T16:00:00Z";

#[test]
fn friday_16_00_plus_four_working_hours_is_monday_12_00_and_a_pause_moves_it() {
    let cq = minimal(FRI_16);
    let id = cq.add("sam", FRI_16, "Pat One", &[]);
    let v = record(&cq, FRI_16, id);
    assert_eq!(
        v["due_at"], "2026-11-23T12:00:00Z",
        "one hour on Friday, three on Monday"
    );
    assert_eq!(v["seconds_left"], 4 * 3600);
    // Over the weekend the countdown does not move: no working time passes.
    let sat = record(&cq, "2026-11-21T12:00:00Z", id);
    assert_eq!(
        sat["seconds_left"],
        3 * 3600,
        "three working hours left all weekend"
    );

    // Paused Monday 09:00 for two working hours: due two hours later.
    cq.ok(
        "sam",
        "2026-11-23T09:00:00Z",
        &["substatus", &id.to_string(), "waiting"],
    );
    let paused = record(&cq, "2026-11-23T10:00:00Z", id);
    assert_eq!(paused["sla"], "paused");
    assert_eq!(paused["due_at"], Value::Null);
    cq.ok(
        "sam",
        "2026-11-23T11:00:00Z",
        &["substatus", &id.to_string(), "--clear"],
    );
    let v = record(&cq, "2026-11-23T11:00:00Z", id);
    assert_eq!(v["due_at"], "2026-11-23T14:00:00Z");
    assert_eq!(v["sla"], "ok");
    let kinds: Vec<String> = v["history"]
        .as_array()
        .expect("h")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        kinds.contains(&"pause".to_string()) && kinds.contains(&"resume".to_string()),
        "{kinds:?}"
    );
}

#[test]
fn sweeping_twice_changes_nothing_and_each_level_fires_once() {
    let cq = minimal(FRI_16);
    let id = cq.add("sam", FRI_16, "Pat Two", &[]);
    // Breached Monday 12:00; level 1 is due an hour of working time later.
    let before = cq.json("lead1", "2026-11-23T12:30:00Z", &["sweep", "--json"]);
    assert_eq!(before["escalations"], 0, "not yet due");
    let first = cq.json("lead1", "2026-11-23T13:30:00Z", &["sweep", "--json"]);
    assert_eq!(first["escalations"], 1);
    assert_eq!(first["timers"], 0);
    let again = cq.json("lead1", "2026-11-23T13:30:00Z", &["sweep", "--json"]);
    assert_eq!(
        (again["timers"].as_u64(), again["escalations"].as_u64()),
        (Some(0), Some(0)),
        "idempotent"
    );
    for later in ["2026-11-24T09:00:00Z", "2026-11-30T09:00:00Z"] {
        let s = cq.json("lead1", later, &["sweep", "--json"]);
        assert_eq!(s["escalations"], 0, "a level fires once per stay");
    }
    let v = record(&cq, "2026-11-30T09:00:00Z", id);
    let esc = history_kinds(&v, "escalation");
    assert_eq!(esc.len(), 1, "{esc:?}");
    assert_eq!(esc[0]["actor"], "system");
    assert_eq!(esc[0]["to"], "lead");
    assert_eq!(v["escalation_level"], 1);
    cq.ok("lead1", "2026-11-30T09:00:00Z", &["verify"]);
}

#[test]
fn a_breached_stay_needs_a_reason_to_leave() {
    let cq = minimal(FRI_16);
    let id = cq.add("sam", FRI_16, "Pat Three", &[]);
    let late = "2026-11-23T15:00:00Z";
    let err = cq.fail("sam", late, &["move", &id.to_string(), "start"]);
    assert!(
        err.contains("breached") && err.contains("backlog") && err.contains("with --reason,"),
        "names the codes and the flag: {err}"
    );
    // An event with a reason of its own takes that one with --reason: the
    // breach's is given with --breach-reason, and the refusal says so.
    let err = cq.fail(
        "sam",
        late,
        &["move", &id.to_string(), "close", "--reason", "declined"],
    );
    assert!(err.contains("with --breach-reason,"), "{err}");
    let v = record(&cq, late, id);
    assert_eq!(v["stage"], "new", "nothing moved");
    assert!(
        v["allowed_events"]
            .as_array()
            .expect("allowed")
            .iter()
            .any(|a| a["requires"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == "breach_reason")))
    );
    cq.ok(
        "sam",
        late,
        &["move", &id.to_string(), "start", "--reason", "backlog"],
    );
    let v = record(&cq, late, id);
    assert_eq!(v["stage"], "active");
    let last = v["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("event")
        .clone();
    assert_eq!(
        (last["event"].as_str(), last["reason"].as_str()),
        (Some("start"), Some("backlog"))
    );

    // Or acknowledged first, with `ack`, then a plain move.
    let other = cq.add("sam", FRI_16, "Pat Four", &[]);
    let err = cq.fail(
        "sam",
        late,
        &["ack", &other.to_string(), "--reason", "nonsense"],
    );
    assert!(err.contains("backlog"), "{err}");
    cq.ok(
        "sam",
        late,
        &["ack", &other.to_string(), "--reason", "backlog"],
    );
    cq.ok("sam", late, &["move", &other.to_string(), "start"]);
    let v = record(&cq, late, other);
    assert_eq!(history_kinds(&v, "ack")[0]["reason"], "backlog");
}

/// The default pipeline's refill cycle, with the moves a team would make
/// and the timers the sweep fires.
#[test]
fn the_refill_cycle_runs_on_timers_to_re_engagement_and_lost() {
    let t0 = "2026-11-23T15:00:00Z"; // Monday 10:00 in New York
    let cq = Cq::init(default_pipeline(), t0);
    for (u, r) in [
        ("ana", "ops"),
        ("dr", "provider"),
        ("rx", "pharmacy"),
        ("lead1", "supervisor"),
    ] {
        cq.ok("nobody", t0, &["user", "add", u, "--role", r]);
    }
    let id = cq.add("ana", t0, "Refill Patient", &["days_supply=30"]);
    let s = id.to_string();
    for (who, args) in [
        ("ana", vec!["move", &s, "start_review"]),
        ("ana", vec!["claim", &s]),
        ("ana", vec!["move", &s, "complete_intake"]),
        ("ana", vec!["move", &s, "send_to_provider"]),
        ("dr", vec!["move", &s, "begin_review"]),
        ("dr", vec!["claim", &s]),
        ("dr", vec!["move", &s, "approve"]),
        ("rx", vec!["move", &s, "send_rx"]),
        ("rx", vec!["move", &s, "pharmacy_confirm"]),
        ("rx", vec!["move", &s, "ship"]),
        ("rx", vec!["move", &s, "first_fill"]),
        ("ana", vec!["move", &s, "checkin_done"]),
    ] {
        cq.ok(who, t0, &args);
    }
    let v = record(&cq, t0, id);
    assert_eq!(v["stage"], "ongoing");
    assert_eq!(v["fields"]["fill_date"], "2026-11-23");

    // Refill window: fill date + 30 days supply − 7 days lead = 2026-12-16
    // (midnight in New York).
    let s1 = cq.json("lead1", "2026-12-15T12:00:00Z", &["sweep", "--json"]);
    assert_eq!(s1["timers"], 0, "not before the lead time");
    let s2 = cq.json("lead1", "2026-12-16T06:00:00Z", &["sweep", "--json"]);
    assert_eq!(s2["timers"], 1);
    let v = record(&cq, "2026-12-16T06:00:00Z", id);
    assert_eq!(v["stage"], "refill_due");
    let fired = v["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("event")
        .clone();
    assert_eq!(
        (fired["kind"].as_str(), fired["actor"].as_str()),
        (Some("timer"), Some("system"))
    );

    // No refill: the window closes at fill + 30 + 7 days; the record lapses
    // into the owned re-engagement queue.
    let s3 = cq.json("lead1", "2026-12-30T06:00:00Z", &["sweep", "--json"]);
    assert_eq!(s3["timers"], 1);
    let queue = cq.list("lead1", "2026-12-30T06:00:00Z", &["--phase", "reengage"]);
    let row = queue
        .iter()
        .find(|r| r["id"] == id)
        .expect("in the re-engagement queue");
    assert_eq!(
        (row["stage"].as_str(), row["owner_role"].as_str()),
        (Some("lapsed"), Some("ops"))
    );

    // Re-engagement attempts up to the maximum, then the next is refused.
    let t1 = "2026-12-30T15:00:00Z";
    for n in 1..=3 {
        cq.ok(
            "ana",
            t1,
            &["move", &s, "outreach", "--note", &format!("attempt {n}")],
        );
    }
    assert_eq!(record(&cq, t1, id)["fields"]["reengagement_attempts"], "3");
    let err = cq.fail("ana", t1, &["move", &s, "outreach", "--note", "attempt 4"]);
    assert!(
        err.contains("reengagement_attempts") && err.contains("maximum of 3"),
        "{err}"
    );

    // Nobody reached: after ten days the give-up timer closes it as lost.
    let s4 = cq.json("lead1", "2027-01-09T15:00:00Z", &["sweep", "--json"]);
    assert_eq!(s4["timers"], 1);
    let v = record(&cq, "2027-01-09T15:00:00Z", id);
    assert_eq!(v["stage"], "lost");
    let last = v["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("event")
        .clone();
    assert_eq!(
        (last["event"].as_str(), last["reason"].as_str()),
        (Some("give_up"), Some("unreachable"))
    );
    let again = cq.json("lead1", "2027-01-09T15:00:00Z", &["sweep", "--json"]);
    assert_eq!(again["timers"], 0);
    cq.ok("lead1", "2027-01-09T15:00:00Z", &["verify"]);

    // The stay breached (ten days of a five-day SLA) and nobody explained
    // it: the timer's own reason (`unreachable`, also a breach reason of
    // the stage) is no breach reason, so the audit files it unacknowledged.
    let a = cq.json("lead1", "2027-01-09T15:00:00Z", &["audit", "--json"]);
    let stay = a["stages"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["stage"] == "reengagement_attempted"))
        .expect("the stage in the audit");
    let reasons: Vec<(&str, u64)> = stay["breaches_by_reason"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| {
            (
                r["reason"].as_str().unwrap_or("?"),
                r["count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(reasons, [("unacknowledged", 1)], "{stay}");
}

// 2026-11-20 is a Friday: three working hours from 14:00 reach minimal's
// warn threshold (3h of 4h) exactly as the office closes at 17:00.
const FRI_14: &str = "2026-11-20T14:00:00Z";

/// The warn state starts when the working time reaches the threshold, also
/// when that happens exactly as a working interval ends: from Friday 17:00,
/// through the weekend, not from Monday's opening (as counting back from the
/// due time gave). The at-risk filter and `sla:warn` follow.
#[test]
fn a_warn_threshold_reached_at_closing_time_warns_from_then() {
    let cq = minimal(FRI_14);
    let id = cq.add("sam", FRI_14, "Edge Case", &[]);
    let state = |now: &str| record(&cq, now, id)["sla"].clone();
    assert_eq!(state("2026-11-20T16:59:00Z"), "ok");
    assert_eq!(state("2026-11-20T17:00:00Z"), "warn");
    assert_eq!(state("2026-11-21T12:00:00Z"), "warn", "all weekend");
    assert_eq!(
        state("2026-11-23T10:00:00Z"),
        "breached",
        "due Monday 10:00"
    );
    let sat = "2026-11-21T12:00:00Z";
    let at_risk = cq.list("lead1", sat, &["--at-risk"]);
    assert_eq!(
        crate::common::ids(&at_risk),
        [id],
        "at risk over the weekend"
    );
    let warned = cq.list("lead1", sat, &["--filter", "sla:warn"]);
    assert_eq!(crate::common::ids(&warned), [id]);
    cq.ok("lead1", sat, &["verify"]);
}

/// A record whose warn time was stored the old way (counted back from the
/// due time: Monday 09:00 for the case above) still verifies; any other
/// warn time is named.
#[test]
fn verify_accepts_a_warn_time_counted_back_and_names_any_other() {
    let cq = minimal(FRI_14);
    let id = cq.add("sam", FRI_14, "Edge Case", &[]);
    let set_warn = |rfc: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(rfc)
            .expect("time")
            .timestamp();
        let c = rusqlite::Connection::open(&cq.db).expect("open");
        c.execute("UPDATE records SET warn_at = ?1 WHERE id = ?2", (t, id))
            .expect("update");
    };
    set_warn("2026-11-23T09:00:00Z");
    let sat = "2026-11-21T12:00:00Z";
    cq.ok("lead1", sat, &["verify"]);
    assert_eq!(record(&cq, sat, id)["sla"], "warn", "shown as it is");
    set_warn("2026-11-23T09:30:00Z");
    let out = cq.run("lead1", sat, &["verify"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a wrong warn time went unseen");
    assert!(
        err.contains(&format!("record {id}")) && err.contains("warn time"),
        "{err}"
    );
}
