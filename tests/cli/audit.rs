//! The stage audit against a hand-built history whose every number is
//! worked out by hand below (tests/fixtures/audit_pipeline.toml, 24x7, UTC).
//!
//! Clock: T = 2026-03-02T00:00Z; `now` for the audit is T+10h. Users: amy
//! and bob (staff), lee (lead, supervises). Stays, in seconds:
//!
//! R1: create 00:00, amy claims 00:10, start 01:00, activate 04:00, finish 05:00.
//!     new 3600 | review 10800 | active 3600 | done (open)
//! R2: create 00:00, bob claims 00:05, `waiting` (pauses) 00:30–02:30 by bob,
//!     bob starts 03:00 (same owner role, so bob keeps it); lee acks the
//!     review breach at 08:00 with `backlog`.
//!     new: wall 10800, paused 7200 → 3600 | review 03:00–10:00 open: 25200
//!     (≥ 4h: breach, acked backlog). Bob's last action 03:00: idle 7h > warn
//!     3h → no owner action.
//! R3: create 00:00, lee acks at 02:10 (`patient_wait`), amy starts 02:30,
//!     back 03:00, start 06:00 with breach reason backlog (never claimed).
//!     new#1 9000 (≥ 2h: breach, patient_wait) | review#1 1800 |
//!     new#2 10800 (breach, backlog from the transition; a re-entry) |
//!     review#2 06:00–10:00 open: 14400 (= max: breach, unacknowledged; a
//!     re-entry; unassigned → no owner action)
//! R4: create 00:00, lee acks 02:30 (`backlog`), close 03:00 reason dup →
//!     new 10800 (breach, backlog); exit before Active Care from `new`.
//! R5: create 01:00, start 01:30, close 02:00 reason dup → new 1800,
//!     review 1800; exit before Active Care from `review`.
//! R6: create 09:00, amy claims 09:10 → new 09:00–10:00 open: 3600; amy's
//!     last action 50 min ago < warn 1h → has owner action.

use crate::common;
use crate::common::{Cq, fixture};
use serde_json::Value;

pub(crate) const NOW: &str = "2026-03-02T10:00:00Z";

pub(crate) fn t(hhmm: &str) -> String {
    format!("2026-03-02T{hhmm}:00Z")
}

fn build() -> Cq {
    history(Cq::init(fixture("audit_pipeline.toml"), &t("00:00")))
}

/// The history above, written into `cq` (initialised at 00:00 on a
/// pipeline with the fixture's stages, transitions and users' roles).
pub(crate) fn history(cq: Cq) -> Cq {
    for (u, r) in [("amy", "staff"), ("bob", "staff"), ("lee", "lead")] {
        cq.ok("lee", &t("00:00"), &["user", "add", u, "--role", r]);
    }
    let add = |at: &str| cq.add("amy", &t(at), "Patient", &[]);
    let ok = |who: &str, at: &str, args: &[&str]| {
        cq.ok(who, &t(at), args);
    };
    let r1 = add("00:00").to_string();
    let r2 = add("00:00").to_string();
    let r3 = add("00:00").to_string();
    let r4 = add("00:00").to_string();
    ok("amy", "00:10", &["claim", &r1]);
    ok("amy", "01:00", &["move", &r1, "start"]);
    ok("amy", "04:00", &["move", &r1, "activate"]);
    ok("amy", "05:00", &["move", &r1, "finish"]);

    ok("bob", "00:05", &["claim", &r2]);
    ok("bob", "00:30", &["substatus", &r2, "waiting"]);
    ok("bob", "02:30", &["substatus", &r2, "--clear"]);
    ok("bob", "03:00", &["move", &r2, "start"]);
    ok("lee", "08:00", &["ack", &r2, "--reason", "backlog"]);

    ok("lee", "02:10", &["ack", &r3, "--reason", "patient_wait"]);
    ok("amy", "02:30", &["move", &r3, "start"]);
    ok("amy", "03:00", &["move", &r3, "back"]);
    // Leaving a breached, unacknowledged stay takes a breach reason.
    ok(
        "amy",
        "06:00",
        &["move", &r3, "start", "--reason", "backlog"],
    );

    // `close` takes its own reason, so the breach is acknowledged first.
    ok("lee", "02:30", &["ack", &r4, "--reason", "backlog"]);
    ok("amy", "03:00", &["move", &r4, "close", "--reason", "dup"]);

    let r5 = add("01:00").to_string();
    ok("amy", "01:30", &["move", &r5, "start"]);
    ok("amy", "02:00", &["move", &r5, "close", "--reason", "dup"]);

    let r6 = add("09:00").to_string();
    ok("amy", "09:10", &["claim", &r6]);
    cq
}

fn audit(cq: &Cq, extra: &[&str]) -> Value {
    let mut args = vec!["audit", "--json"];
    args.extend_from_slice(extra);
    cq.json("lee", NOW, &args)
}

pub(crate) fn stage<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["stages"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["stage"] == id))
        .unwrap_or_else(|| panic!("stage {id} in {r:#}"))
}

fn pairs(v: &Value, key: &str) -> Vec<(String, u64)> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| {
            (
                x[key].as_str().expect("key").to_string(),
                x["count"].as_u64().expect("count"),
            )
        })
        .collect()
}

fn p(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(a, b)| (a.to_string(), *b)).collect()
}

#[test]
fn audit_numbers_match_the_hand_computed_history() {
    let cq = build();
    let r = audit(&cq, &[]);

    // new: time in stage (pauses excluded), sorted:
    //   [1800, 3600, 3600, 3600, 9000, 10800, 10800], n = 7.
    //   median: h = 6 × 0.5 = 3 → 3600.
    //   p90: h = 5.4 → 10800 + 0.4 × (10800 − 10800) = 10800.
    //   p25: h = 1.5 → 3600; p75: h = 4.5 → 9000 + 0.5 × 1800 = 9900; IQR 6300.
    //   mean 43200 / 7 = 6171.43; Σ(x − mean)² = 89,794,285.7; / 7 =
    //   12,827,755.1; √ = 3581.6 → 3582.
    //   wall (R2 10800 instead of 3600): [1800, 3600, 3600, 9000, 10800 ×3]
    //   → median 9000.
    let new = stage(&r, "new");
    assert_eq!(new["name"], "New");
    assert_eq!(new["entered"], 7);
    assert_eq!(new["current"], 1, "R6");
    assert_eq!(new["median_seconds"], 3600);
    assert_eq!(new["p90_seconds"], 10800);
    assert_eq!(new["stddev_seconds"], 3582);
    assert_eq!(new["iqr_seconds"], 6300);
    assert_eq!(new["median_wall_seconds"], 9000);
    assert_eq!(new["re_entries"], 1, "R3's second visit");
    // ≥ 7200: R3#1 9000 (ack patient_wait), R3#2 10800 (left with breach
    // reason backlog) and R4 10800 (ack backlog). R2's 10800 wall is 3600 active: no breach.
    assert_eq!(new["breaches"], 3);
    assert_eq!(
        pairs(&new["breaches_by_reason"], "reason"),
        p(&[("backlog", 2), ("patient_wait", 1)])
    );
    assert_eq!(new["no_owner_action"], 0, "R6 was claimed 50 minutes ago");
    // Latest per record: 3600 + 3600 + 10800 + 10800 + 1800 + 3600 = 34200 / 6 = 5700.
    // Cumulative: 43200 / 6 = 7200 (R3: 9000 + 10800).
    assert_eq!(new["records"], 6);
    assert_eq!(new["avg_latest_seconds"], 5700);
    assert_eq!(new["avg_cumulative_seconds"], 7200);

    // review: [1800, 1800, 10800, 14400, 25200], n = 5.
    //   median 10800; p90: h = 3.6 → 14400 + 0.6 × 10800 = 20880.
    //   p25: h = 1 → 1800; p75: h = 3 → 14400; IQR 12600.
    //   mean 10800; Σ(x − mean)² = 2 × 9000² + 0 + 3600² + 14400² =
    //   382,320,000; / 5 = 76,464,000; √ = 8744.4 → 8744.
    let review = stage(&r, "review");
    assert_eq!(review["entered"], 5);
    assert_eq!(review["current"], 2, "R2 and R3");
    assert_eq!(review["median_seconds"], 10800);
    assert_eq!(review["p90_seconds"], 20880);
    assert_eq!(review["stddev_seconds"], 8744);
    assert_eq!(review["iqr_seconds"], 12600);
    assert_eq!(review["median_wall_seconds"], 10800);
    assert_eq!(review["re_entries"], 1);
    // ≥ 14400: R2 25200 (acked backlog), R3#2 14400 exactly (unacknowledged).
    assert_eq!(review["breaches"], 2);
    assert_eq!(
        pairs(&review["breaches_by_reason"], "reason"),
        p(&[("backlog", 1), ("unacknowledged", 1)])
    );
    // R3 unassigned; R2's bob idle 7h > 3h (lee's ack is not bob's action).
    assert_eq!(review["no_owner_action"], 2);
    assert_eq!(review["unassigned"], 1);
    assert_eq!(review["idle_owner"], 1);
    // Latest: 10800 + 25200 + 14400 + 1800 = 52200 / 4 = 13050; cumulative 54000 / 4 = 13500.
    assert_eq!(review["avg_latest_seconds"], 13050);
    assert_eq!(review["avg_cumulative_seconds"], 13500);

    let active = stage(&r, "active");
    assert_eq!(active["entered"], 1);
    assert_eq!(active["median_seconds"], 3600);
    assert_eq!(active["stddev_seconds"], 0);
    assert_eq!(active["breaches"], 0);

    let closed = stage(&r, "closed");
    assert_eq!(closed["entered"], 2);
    assert_eq!(closed["current"], 2);
    assert_eq!(
        closed["median_seconds"],
        Value::Null,
        "terminal: no time statistics"
    );
    assert_eq!(stage(&r, "done")["current"], 1);

    // Marks: medians new 3600, review 10800, active 3600; spreads 3582, 8744, 0.
    assert_eq!(r["highest_median"], "review");
    assert_eq!(r["widest_variance"], "review");
    assert_eq!(
        r["rank_by_median"],
        serde_json::json!(["review", "new", "active"])
    );
    assert_eq!(review["highest_median"], true);
    assert_eq!(new["widest_variance"], false);

    // R4 left from new, R5 from review; R1 reached Active Care first.
    assert_eq!(
        pairs(&r["exits_before_active_care"], "stage"),
        p(&[("new", 1), ("review", 1)])
    );
    // backlog 2 + 1, patient_wait 1, unacknowledged 1 (R3's open review stay).
    assert_eq!(
        pairs(&r["breaches_by_reason"], "reason"),
        p(&[("backlog", 3), ("patient_wait", 1), ("unacknowledged", 1)])
    );
}

#[test]
fn a_range_counts_stays_that_entered_in_it() {
    let cq = build();
    // [01:00, 03:00): new: R5 (01:00); review: R1 (01:00), R3#1 (02:30),
    // R5 (01:30); R2 entered review at 03:00, outside. Exits: R5 closed at
    // 02:00 (in), R4 at 03:00 (out: the end is exclusive).
    let r = audit(&cq, &["--since", &t("01:00"), "--until", &t("03:00")]);
    assert_eq!(stage(&r, "new")["entered"], 1);
    assert_eq!(stage(&r, "new")["median_seconds"], 1800);
    let review = stage(&r, "review");
    assert_eq!(review["entered"], 3);
    // [1800, 1800, 10800] → median 1800; R3#1 is R3's first visit: no re-entry.
    assert_eq!(review["median_seconds"], 1800);
    assert_eq!(review["re_entries"], 0);
    assert_eq!(review["current"], 2, "current ignores the range");
    assert_eq!(
        pairs(&r["exits_before_active_care"], "stage"),
        p(&[("review", 1)])
    );
    // A local date (the pipeline's zone is UTC): nothing entered before it.
    let r = audit(&cq, &["--until", "2026-03-02"]);
    assert_eq!(stage(&r, "new")["entered"], 0);
    assert_eq!(stage(&r, "new")["median_seconds"], Value::Null);
    assert_eq!(r["highest_median"], Value::Null);
    let r = audit(&cq, &["--since", "2026-03-02"]);
    assert_eq!(stage(&r, "new")["entered"], 7);
}

/// `audit --json` of `cq`'s database under another pipeline file.
fn audit_under(cq: &Cq, name: &str, pipeline: &str) -> Value {
    let path = cq.dir.path().join(name);
    std::fs::write(&path, pipeline).expect("write pipeline");
    let out = std::process::Command::new(common::BIN)
        .arg("--db")
        .arg(&cq.db)
        .arg("--pipeline")
        .arg(&path)
        .args(["--as", "lee", "--now", NOW, "audit", "--json"])
        .env_remove("CAREQUEUE_DB")
        .env_remove("CAREQUEUE_PIPELINE")
        .env_remove("CAREQUEUE_NOW")
        .env_remove("CAREQUEUE_USER")
        .output()
        .expect("run carequeue");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("audit --json")
}

#[test]
fn changing_an_sla_maximum_re_evaluates_past_breaches() {
    let cq = build();
    let before = audit(&cq, &[]);
    assert_eq!(stage(&before, "new")["breaches"], 3);
    let text = std::fs::read_to_string(fixture("audit_pipeline.toml")).expect("fixture");
    let sla = r#"sla = { max = "2h", warn = "1h" }"#;
    assert!(text.contains(sla));

    // Looser, 3h: only stays ≥ 10800 breach (R3#2, R4, both backlog);
    // R3#1 (9000) and its patient_wait acknowledgement drop out.
    let after = audit_under(
        &cq,
        "looser.toml",
        &text.replace(sla, r#"sla = { max = "3h", warn = "1h" }"#),
    );
    let new = stage(&after, "new");
    assert_eq!(new["breaches"], 2);
    assert_eq!(
        pairs(&new["breaches_by_reason"], "reason"),
        p(&[("backlog", 2)])
    );
    assert_eq!(
        new["median_seconds"],
        stage(&before, "new")["median_seconds"]
    );

    // Stricter, 1h: every stay ≥ 3600 breaches: R1, R2 (3600 active), R6
    // (open, 3600) nobody explained → unacknowledged 3; R3#1 patient_wait;
    // R3#2 and R4 backlog. R5 (1800) does not.
    let after = audit_under(
        &cq,
        "stricter.toml",
        &text.replace(sla, r#"sla = { max = "1h", warn = "30m" }"#),
    );
    let new = stage(&after, "new");
    assert_eq!(new["breaches"], 6);
    assert_eq!(
        pairs(&new["breaches_by_reason"], "reason"),
        p(&[("unacknowledged", 3), ("backlog", 2), ("patient_wait", 1)])
    );
    // The warn threshold moved too: R6 was claimed 50 minutes ago > 30m.
    assert_eq!(new["no_owner_action"], 1);
}

#[test]
fn human_output_marks_and_bad_dates() {
    let cq = build();
    let out = cq.ok("lee", NOW, &["audit"]);
    let line = out
        .lines()
        .find(|l| l.starts_with("review "))
        .unwrap_or_else(|| panic!("review row in\n{out}"));
    assert!(line.contains("highest median for its SLA"), "{line}");
    assert!(line.contains("widest variance"), "{line}");
    assert!(out.contains("Exits before Care: 2"), "{out}");
    assert!(out.contains("Breaches by reason: 5"), "{out}");
    assert!(out.contains("unacknowledged"), "{out}");
    let err = cq.fail("lee", NOW, &["audit", "--since", "yesterday"]);
    assert!(err.contains("--since"), "{err}");
    let err = cq.fail(
        "lee",
        NOW,
        &["audit", "--since", &t("05:00"), "--until", &t("01:00")],
    );
    assert!(err.contains("before"), "{err}");
}

#[test]
fn the_marks_judge_each_stage_against_its_own_sla() {
    let cq = build();
    // As built: new's median is half its 2h SLA, review's 3h of its 4h.
    let r = audit(&cq, &[]);
    assert_eq!(stage(&r, "new")["median_of_sla"], 0.5);
    assert_eq!(stage(&r, "review")["median_of_sla"], 0.75);
    assert_eq!(r["highest_median"], "review");
    // Give review a 30-day SLA: its 3h median is now the smallest share,
    // though still the longest duration, and new (3582s spread of 2h)
    // is the widest spread for its SLA.
    let text = std::fs::read_to_string(fixture("audit_pipeline.toml")).expect("fixture");
    let review_sla = r#"sla = { max = "4h", warn = "3h" }"#;
    assert!(text.contains(review_sla));
    let loose = audit_under(
        &cq,
        "loose_review.toml",
        &text.replace(review_sla, r#"sla = { max = "30d", warn = "20d" }"#),
    );
    assert_eq!(stage(&loose, "review")["median_seconds"], 10800);
    assert_eq!(loose["highest_median"], "new");
    assert_eq!(loose["widest_variance"], "new");
    assert_eq!(
        loose["rank_by_median"],
        serde_json::json!(["new", "review", "active"])
    );
    assert_eq!(stage(&loose, "new")["highest_median"], true);
    assert_eq!(stage(&loose, "review")["highest_median"], false);
}

/// The drill-down terms list exactly the records behind each count of the
/// hand-built history (ids 1–6 are R1–R6).
#[test]
fn drill_down_terms_list_the_records_behind_each_count() {
    let cq = build();
    let ids = |filter: &str| -> Vec<i64> {
        let v = cq.json(
            "lee",
            NOW,
            &["list", "--filter", filter, "--sort", "id", "--json"],
        );
        v.as_array()
            .expect("array")
            .iter()
            .map(|r| r["id"].as_i64().expect("id"))
            .collect()
    };
    // R2's review stay (acked), R3's second new stay (the transition's
    // reason), R4's new stay (acked).
    assert_eq!(ids("reason:backlog"), vec![2, 3, 4]);
    assert_eq!(ids("reason:patient_wait"), vec![3]);
    // R3's open review stay, at its maximum exactly.
    assert_eq!(ids("reason:unacknowledged"), vec![3]);
    assert_eq!(ids("exited:new"), vec![4]);
    assert_eq!(ids("exited:review"), vec![5]);
    // R2's owner idle past warn; R3 unassigned. R6's owner acted lately.
    assert_eq!(ids("noaction:yes"), vec![2, 3]);
    assert_eq!(ids("noaction:yes reason:patient_wait"), vec![3]);
    // The audit counts what the lists hold.
    let r = audit(&cq, &[]);
    assert_eq!(
        pairs(&r["exits_before_active_care"], "stage"),
        p(&[("new", 1), ("review", 1)])
    );
    assert_eq!(stage(&r, "review")["no_owner_action"], 2);
    // Every such list is logged as an audit before it reads.
    let log = cq.json("lee", NOW, &["access-log", "--json"]);
    let audits = log
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| {
            e["action"] == "audit"
                && e["detail"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("for list --filter"))
        })
        .count();
    assert_eq!(audits, 7, "{log:#}");
}
