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

/// Export → import into an empty database reproduces the records, their
/// stages, sub-statuses, owners, entry times and fields; importing the
/// same file again adds nothing; a Task without a stage is refused naming
/// its line and element, and nothing is imported.
#[test]
fn an_export_imports_into_an_empty_database_and_twice_adds_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    let out = carequeue(&db, "kim", &["demo", "--no-tui", "--records", "120"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.path().join("tasks.ndjson");
    let out = carequeue(
        &db,
        "kim",
        &[
            "export",
            "--format",
            "fhir",
            "--output",
            &file.display().to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let cq = crate::common::Cq::init_default(NOW);
    let users: Vec<Value> =
        serde_json::from_slice(&carequeue(&db, "kim", &["user", "list", "--json"]).stdout)
            .expect("users");
    for u in &users {
        let name = u["name"].as_str().expect("name");
        let mut args = vec!["user", "add", name];
        for r in u["roles"].as_array().expect("roles") {
            args.extend(["--role", r.as_str().expect("role")]);
        }
        cq.ok("nobody", NOW, &args);
    }
    let path = file.display().to_string();
    let said = cq.ok("kim", NOW, &["import", "--format", "fhir", &path]);
    assert_eq!(said.trim(), "imported 120 records (0 already here)");

    let listed = |db: &Path| -> Vec<Value> {
        let v: Value = serde_json::from_slice(
            &carequeue(db, "kim", &["list", "--json", "--sort", "id"]).stdout,
        )
        .expect("list");
        v.as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                serde_json::json!([
                    r["id"],
                    r["patient"],
                    r["stage"],
                    r["substatus"],
                    r["owner"],
                    r["entered_at"]
                ])
            })
            .collect()
    };
    assert_eq!(listed(&cq.db), listed(&db), "the same records");
    let field = |db: &Path, id: &str| -> Value {
        serde_json::from_slice::<Value>(&carequeue(db, "kim", &["show", id, "--json"]).stdout)
            .expect("show")["fields"]
            .clone()
    };
    assert_eq!(field(&cq.db, "7"), field(&db, "7"));

    let again = cq.ok("kim", NOW, &["import", "--format", "fhir", &path]);
    assert_eq!(again.trim(), "imported 0 records (120 already here)");
    let v = cq.ok("nobody", NOW, &["verify"]);
    assert!(v.starts_with("ok: "), "{v}");

    // A Task without a stage code: its line and element, nothing imported.
    let text = std::fs::read_to_string(&file).expect("read");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let tasks: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(r#""resourceType":"Task""#))
        .map(|(i, _)| i)
        .collect();
    for i in &tasks {
        // New ids, so nothing is passed over as already here.
        let mut v: Value = serde_json::from_str(&lines[*i]).expect("task");
        let id = v["id"].as_str().expect("id").parse::<i64>().expect("n") + 1000;
        v["identifier"][0]["value"] = Value::from(id.to_string());
        lines[*i] = v.to_string();
    }
    let broken = tasks[3];
    let mut v: Value = serde_json::from_str(&lines[broken]).expect("task");
    v["businessStatus"]["coding"][0]["system"] = Value::from("urn:other");
    lines[broken] = v.to_string();
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(&bad, lines.join("\n")).expect("write");
    let out = cq.run(
        "kim",
        NOW,
        &["import", "--format", "fhir", &bad.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(":{}:Task.businessStatus: has no code", broken + 1)),
        "{err}"
    );
    assert!(err.contains("nothing imported"), "{err}");
    assert_eq!(listed(&cq.db).len(), 120, "nothing imported");
}
