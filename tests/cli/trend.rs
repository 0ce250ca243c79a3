//! `trend` against a three-day history worked out by hand
//! (tests/fixtures/audit_pipeline.toml: 24x7, UTC; intake: new → review,
//! care: active → done; closed is an intake exit). Days D1–D3 are
//! 2026-03-02 to 04; `now` is 2026-03-05 00:00.
//!
//! R1: created D1 00:00, start 01:00, activate 04:00 (into care after 4h),
//!     finish D2 05:00 (done, completed).
//! R2: created D1 00:00, closed D2 03:00 (closed; its 27h in new breached).
//! R3: created D2 00:00, start 01:00, activate D3 02:00 (into care after
//!     26h; its 25h in review breached).
//! R4: created D3 00:00, still in new at `now` (24h: breached).

use crate::common::{Cq, fixture};
use serde_json::{Value, json};

const NOW: &str = "2026-03-05T00:00:00Z";

fn t(day: u32, hhmm: &str) -> String {
    format!("2026-03-0{}T{hhmm}:00Z", day + 1)
}

#[test]
fn trend_numbers_match_the_hand_computed_history() {
    let cq = Cq::init(fixture("audit_pipeline.toml"), &t(1, "00:00"));
    for (u, r) in [("amy", "staff"), ("lee", "lead")] {
        cq.ok("lee", &t(1, "00:00"), &["user", "add", u, "--role", r]);
    }
    let ok = |at: String, args: &[&str]| {
        cq.ok("amy", &at, args);
    };
    let r1 = cq.add("amy", &t(1, "00:00"), "One", &[]).to_string();
    let r2 = cq.add("amy", &t(1, "00:00"), "Two", &[]).to_string();
    ok(t(1, "01:00"), &["move", &r1, "start"]);
    ok(t(1, "04:00"), &["move", &r1, "activate"]);
    ok(t(2, "05:00"), &["move", &r1, "finish"]);
    ok(
        t(2, "03:00"),
        &[
            "move",
            &r2,
            "close",
            "--reason",
            "dup",
            "--breach-reason",
            "backlog",
        ],
    );
    let r3 = cq.add("amy", &t(2, "00:00"), "Three", &[]).to_string();
    ok(t(2, "01:00"), &["move", &r3, "start"]);
    ok(
        t(3, "02:00"),
        &["move", &r3, "activate", "--reason", "backlog"],
    );
    let _r4 = cq.add("amy", &t(3, "00:00"), "Four", &[]);

    let r = cq.json(
        "lee",
        NOW,
        &[
            "trend",
            "--since",
            "2026-03-02",
            "--until",
            "2026-03-05",
            "--by",
            "day",
            "--json",
        ],
    );
    let b = r["buckets"].as_array().expect("buckets");
    assert_eq!(b.len(), 3, "{r:#}");
    assert_eq!(b[0]["start"], "2026-03-02T00:00:00Z");
    assert_eq!(b[2]["end"], "2026-03-05T00:00:00Z");
    // Cumulative flow: each record in its stage's phase at each day's end.
    assert_eq!(b[0]["flow"], json!({"intake": 1, "care": 1}));
    assert_eq!(b[1]["flow"], json!({"intake": 2, "care": 1}));
    assert_eq!(b[2]["flow"], json!({"intake": 2, "care": 2}));
    // Throughput.
    let into: Vec<&Value> = b.iter().map(|x| &x["entered_active_care"]).collect();
    assert_eq!(into, [&json!(1), &json!(0), &json!(1)]);
    assert_eq!(b[0]["exits"], json!({}));
    assert_eq!(b[1]["exits"], json!({"completed": 1, "closed": 1}));
    assert_eq!(b[2]["exits"], json!({}));
    // Cycle time to active care.
    assert_eq!(
        b[0]["cycle"],
        json!({"records": 1, "median_seconds": 14400, "p90_seconds": 14400})
    );
    assert_eq!(b[1]["cycle"]["records"], 0);
    assert_eq!(
        b[2]["cycle"],
        json!({"records": 1, "median_seconds": 93600, "p90_seconds": 93600})
    );
    let c = &r["cycle_control"];
    assert_eq!(c["mean_seconds"], 54000);
    // Population deviation 39,600 s: limits 54,000 ± 118,800, the lower at 0.
    assert_eq!(c["upper_seconds"], 172800);
    assert_eq!(c["lower_seconds"], 0);
    let points: Vec<(i64, i64)> = c["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| {
            (
                p["record"].as_i64().expect("r"),
                p["seconds"].as_i64().expect("s"),
            )
        })
        .collect();
    assert_eq!(points, [(1, 14400), (3, 93600)]);
    // Breach rate: of the stays that entered each stage that day.
    let rates = |i: usize| -> Vec<(String, u64, u64)> {
        b[i]["breach_rate"]
            .as_array()
            .expect("rates")
            .iter()
            .map(|s| {
                (
                    s["stage"].as_str().expect("stage").to_string(),
                    s["stays"].as_u64().expect("stays"),
                    s["breaches"].as_u64().expect("breaches"),
                )
            })
            .collect()
    };
    let rs = |v: &[(&str, u64, u64)]| -> Vec<(String, u64, u64)> {
        v.iter().map(|(s, a, b)| (s.to_string(), *a, *b)).collect()
    };
    assert_eq!(
        rates(0),
        rs(&[("new", 2, 1), ("review", 1, 0), ("active", 1, 0)])
    );
    assert_eq!(rates(1), rs(&[("new", 1, 0), ("review", 1, 1)]));
    assert_eq!(rates(2), rs(&[("new", 1, 1), ("active", 1, 0)]));
    assert_eq!(b[0]["breach_rate"][0]["rate"], 0.5);

    // The table says the same; a bad bucket is refused by name.
    let table = cq.ok(
        "lee",
        NOW,
        &[
            "trend",
            "--since",
            "2026-03-02",
            "--until",
            "2026-03-05",
            "--by",
            "day",
        ],
    );
    assert!(table.contains("2026-03-03"), "{table}");
    assert!(table.contains("New 100% (1/1)"), "{table}");
    let out = cq.run("lee", NOW, &["trend", "--by", "fortnight"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--by `fortnight` is not day, week or month")
    );
    let out = cq.run(
        "lee",
        NOW,
        &["trend", "--since", "2020-01-01", "--by", "day"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than 366 buckets"));
    // Logged as an audit read.
    let log = cq.ok("lee", NOW, &["access-log"]);
    assert!(log.contains("trend"), "{log}");
}
