//! `carequeue demo`: a realistic, deterministic demo database that never
//! replaces a database holding real work.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "2026-11-26T15:00:00Z";

fn carequeue(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carequeue"))
        .arg("--db")
        .arg(db)
        .args([
            "--pipeline",
            concat!(env!("CARGO_MANIFEST_DIR"), "/pipeline.toml"),
            "--now",
            NOW,
        ])
        .args(args)
        .env_remove("CAREQUEUE_USER")
        .output()
        .expect("run carequeue")
}

fn list(db: &Path) -> Vec<Value> {
    list_as(db, "kim")
}

fn list_as(db: &Path, user: &str) -> Vec<Value> {
    let out = carequeue(db, &["--as", user, "list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("json")
        .as_array()
        .cloned()
        .expect("rows")
}

#[test]
fn a_database_with_real_work_is_never_overwritten() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("clinic.db");
    assert!(carequeue(&db, &["init", "--trust"]).status.success());
    assert!(
        carequeue(&db, &["user", "add", "ana", "--role", "ops"])
            .status
            .success()
    );
    assert!(
        carequeue(&db, &["--as", "ana", "add", "--patient", "Real Patient"])
            .status
            .success()
    );
    let out = carequeue(&db, &["demo", "--no-tui"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("not a demo database"),
        "{err}"
    );
    let rows = list_as(&db, "ana");
    assert_eq!(rows.len(), 1, "the real record is still there");
    assert_eq!(rows[0]["patient"], "Real Patient");
}

#[test]
fn a_demo_is_deterministic_for_a_seed_and_can_be_rebuilt() {
    let dir = tempfile::tempdir().expect("dir");
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    for db in [&a, &b] {
        let out = carequeue(
            db,
            &["demo", "--no-tui", "--records", "120", "--seed", "42"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(list(&a), list(&b), "same seed, same records");
    // A demo database may be rebuilt in place, with another seed.
    let out = carequeue(
        &a,
        &["demo", "--no-tui", "--records", "120", "--seed", "43"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(list(&a), list(&b), "another seed, other records");
    assert!(carequeue(&a, &["verify"]).status.success());
}

#[test]
fn the_default_demo_covers_every_stage_with_breaches_risk_and_open_work() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("demo.db");
    let out = carequeue(&db, &["demo", "--no-tui"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = list(&db);
    assert_eq!(rows.len(), 400);
    let pipeline: Value =
        serde_json::from_slice(&carequeue(&db, &["pipeline", "--json"]).stdout).expect("json");
    for phase in pipeline["phases"].as_array().expect("phases") {
        for stage in phase["stages"].as_array().expect("stages") {
            assert!(
                rows.iter().any(|r| r["stage"] == stage["id"]),
                "no demo record in {}",
                stage["id"]
            );
        }
    }
    let count = |f: &dyn Fn(&Value) -> bool| rows.iter().filter(|r| f(r)).count();
    let breached = count(&|r| r["sla"] == "breached");
    assert!(
        (20..=80).contains(&breached),
        "about a tenth breached: {breached}"
    );
    assert!(count(&|r| r["sla"] == "warn") >= 10, "some at risk");
    // Work that people move on is not left breached for months (a
    // simulated move the engine refused once left records stranded).
    let stranded = count(&|r| {
        ["intake", "clinical", "fulfillment"].contains(&r["phase"].as_str().unwrap_or(""))
            && r["seconds_left"].as_i64().is_some_and(|s| s < -30 * 86_400)
    });
    assert_eq!(stranded, 0, "records breached by over 30 days");
    assert!(
        count(&|r| r["owner"].is_null() && r["owner_role"].is_string()) >= 10,
        "some unassigned"
    );
    assert!(
        count(&|r| r["substatus"].is_string()) >= 10,
        "some with open sub-statuses"
    );
    let users: Value =
        serde_json::from_slice(&carequeue(&db, &["user", "list", "--json"]).stdout).expect("json");
    let holds = |role: &str| {
        users
            .as_array()
            .expect("users")
            .iter()
            .filter(|u| {
                u["roles"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|x| x == role))
            })
            .count()
    };
    assert!(
        holds("ops") >= 2
            && holds("provider") >= 2
            && holds("pharmacy") >= 1
            && holds("supervisor") >= 1
    );
    // Histories follow the pipeline's own transitions and pass verify.
    let out = carequeue(&db, &["verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // As if the sweep had been running: escalations are in the histories
    // and nothing is left due, so a console opened now has no backlog.
    let out = carequeue(&db, &["--as", "kim", "sweep", "--json"]);
    let swept: Value = serde_json::from_slice(&out.stdout).expect("sweep json");
    assert_eq!(swept["timers"], 0, "{swept}");
    assert_eq!(swept["escalations"], 0, "{swept}");
    let escalated = rows
        .iter()
        .filter(|r| r["sla"] == "breached")
        .filter(|r| {
            let id = r["id"].to_string();
            let out = carequeue(&db, &["--as", "kim", "show", &id, "--json"]);
            let shown: Value = serde_json::from_slice(&out.stdout).expect("show json");
            shown["escalation_level"].as_i64().is_some_and(|l| l > 0)
                && shown["history"]
                    .as_array()
                    .is_some_and(|h| h.iter().any(|e| e["kind"] == "escalation"))
        })
        .count();
    assert!(
        escalated * 2 >= breached,
        "most breached stays have escalated: {escalated} of {breached}"
    );
}
