//! `export --format fhir` of the demo, validated by an independent FHIR
//! implementation (Python `fhir.resources`, R4B models, with the Task
//! status and intent code sets checked), and its mapping checked here
//! against the records themselves.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const NOW: &str = "2026-11-26T15:00:00Z";

fn carequeue(db: &Path, user: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_carequeue"))
        .arg("--db")
        .arg(db)
        .args([
            "--pipeline",
            concat!(env!("CARGO_MANIFEST_DIR"), "/pipeline.toml"),
            "--now",
            NOW,
            "--as",
            user,
        ])
        .args(args)
        .output()
        .expect("run carequeue")
}

/// Where `.ci/run` installs the validator (`target/py`), on the path.
fn python_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/py")
}

/// Whether Python and `fhir.resources` are here; CI (`CQ_REQUIRE_ROOT=1`,
/// whose `.ci/run` installs them) may not skip.
fn validator_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import fhir.resources.R4B.task"])
        .env("PYTHONPATH", python_path())
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CQ_REQUIRE_ROOT").as_deref() != Ok("1"),
            "python3 with fhir.resources (pip install --target target/py fhir.resources) is needed, and CQ_REQUIRE_ROOT=1 forbids skipping"
        );
        eprintln!("note: the FHIR validation skipped: no python3 with fhir.resources");
    }
    ok
}

#[test]
fn the_demo_exports_as_fhir_that_an_independent_validator_accepts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    let out = carequeue(&db, "kim", &["demo", "--no-tui", "--records", "160"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = carequeue(&db, "kim", &["export", "--format", "fhir"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one resource a line"))
        .collect();

    // The mapping, against the records as `list` shows them.
    let records: Vec<Value> =
        serde_json::from_slice(&carequeue(&db, "kim", &["list", "--json", "--sort", "id"]).stdout)
            .expect("list");
    let tasks: Vec<&Value> = lines
        .iter()
        .filter(|l| l["resourceType"] == "Task")
        .collect();
    assert_eq!(tasks.len(), records.len());
    let p = carequeue_core::domain::check(carequeue_core::domain::DEFAULT_PIPELINE)
        .pipeline
        .expect("pipeline");
    for r in &records {
        let id = r["id"].as_i64().expect("id").to_string();
        let t = tasks
            .iter()
            .find(|t| t["id"] == id.as_str())
            .unwrap_or_else(|| panic!("a Task for record {id}"));
        assert_eq!(t["businessStatus"]["coding"][0]["code"], r["stage"]);
        assert_eq!(t["for"]["display"], r["patient"]);
        assert_eq!(t["identifier"][0]["value"], id.as_str());
        let stage = p.stage(
            p.stage_ix(r["stage"].as_str().expect("stage"))
                .expect("known"),
        );
        let status = t["status"].as_str().expect("status");
        match (stage.terminal, stage.disposition.as_deref()) {
            (true, Some("completed")) => assert_eq!(status, "completed"),
            (true, _) => assert_eq!(status, "cancelled"),
            (false, _) if r["sla"] == "paused" => assert_eq!(status, "on-hold", "{r}"),
            (false, _) if !r["owner"].is_null() => assert_eq!(status, "in-progress"),
            (false, _) => assert!(["requested", "ready"].contains(&status), "{status}"),
        }
        if let Some(due) = r["due_at"].as_str() {
            assert_eq!(t["restriction"]["period"]["end"], due, "{id}");
        }
    }
    let statuses: std::collections::BTreeSet<&str> =
        tasks.iter().filter_map(|t| t["status"].as_str()).collect();
    assert!(
        statuses.len() >= 4,
        "the demo spans the statuses: {statuses:?}"
    );
    // Each Task is followed by the Provenance of its events.
    let provenance = lines
        .iter()
        .filter(|l| l["resourceType"] == "Provenance")
        .count();
    let shown: Value = serde_json::from_slice(
        &carequeue(
            &db,
            "kim",
            &["show", &records[0]["id"].to_string(), "--json"],
        )
        .stdout,
    )
    .expect("show");
    let first = records[0]["id"].to_string();
    let of_first = lines
        .iter()
        .filter(|l| l["target"][0]["reference"] == format!("Task/{first}").as_str())
        .count();
    assert_eq!(of_first, shown["history"].as_array().map_or(0, Vec::len));
    assert!(provenance > tasks.len());

    if !validator_available() {
        return;
    }
    let mut child = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/fhir_validate.py"
        ))
        .env("PYTHONPATH", python_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(text.as_bytes())
            .expect("feed the validator");
    }
    let done = child.wait_with_output().expect("the validator");
    assert!(
        done.status.success(),
        "the validator refused the export: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    let summary: Value = serde_json::from_slice(&done.stdout).expect("its summary");
    assert_eq!(summary["tasks"], tasks.len());
    assert_eq!(summary["provenance"], provenance);
}

/// The validator is no pushover: a Task with a status outside the code
/// set, or a Provenance pointing at no Task, is refused.
#[test]
fn the_validator_refuses_a_bad_status_and_a_dangling_provenance() {
    if !validator_available() {
        return;
    }
    let run = |input: &str| {
        let mut child = Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/fhir_validate.py"
            ))
            .env("PYTHONPATH", python_path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(input.as_bytes()).expect("write");
        }
        child.wait_with_output().expect("wait")
    };
    let bad_status = r#"{"resourceType":"Task","id":"1","status":"pending","intent":"order"}"#;
    let out = run(bad_status);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Task.status"));
    let dangling = r#"{"resourceType":"Provenance","id":"event-1","target":[{"reference":"Task/9"}],"recorded":"2026-11-26T15:00:00Z","agent":[{"who":{"display":"kim"}}]}"#;
    let out = run(dangling);
    assert!(!out.status.success());
    let good = r#"{"resourceType":"Task","id":"9","status":"ready","intent":"order"}"#;
    assert!(run(&format!("{good}\n{dangling}\n")).status.success());
}
