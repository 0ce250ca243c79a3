//! `carequeue check`: every pipeline check has an invalid fixture under
//! tests/fixtures/invalid/, named `<CODE>_<what>.toml`, whose offending line
//! carries a `# <- CODE` marker. The real binary must report that code on
//! that line (and exit 1 for errors, 0 for warnings).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `carequeue` from an empty directory, so no ./pipeline.toml is picked up.
fn carequeue(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_carequeue"))
        .args(args)
        .current_dir(dir.path())
        .env_remove("CAREQUEUE_PIPELINE")
        .env_remove("CAREQUEUE_DB")
        .output()
        .expect("run carequeue")
}

fn check(path: &Path, json: bool) -> Output {
    let p = path.to_str().expect("utf-8 path");
    if json {
        carequeue(&["--pipeline", p, "check", "--json"])
    } else {
        carequeue(&["--pipeline", p, "check"])
    }
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("tests/fixtures/invalid"))
        .expect("fixtures dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

fn code_of(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).expect("name");
    name.split('_').next().expect("code prefix").to_string()
}

/// The 1-based line carrying `# <- CODE`.
fn marked_line(path: &Path, code: &str) -> usize {
    let text = std::fs::read_to_string(path).expect("fixture");
    let marker = format!("# <- {code}");
    text.lines()
        .position(|l| l.contains(&marker))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{} has no `{marker}` marker", path.display()))
}

#[test]
fn every_fixture_reports_its_code_on_the_marked_line() {
    let all = fixtures();
    assert!(
        all.len() >= 30,
        "expected a fixture per check, found {}",
        all.len()
    );
    for path in all {
        let code = code_of(&path);
        let line = marked_line(&path, &code);
        let out = check(&path, false);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let p = path.to_str().expect("utf-8");
        let prefix = format!("{p}:{line}:");
        let hit = stdout
            .lines()
            .any(|l| l.starts_with(&prefix) && l.contains(&format!("[{code}]")));
        assert!(
            hit,
            "{p}: expected [{code}] at line {line}; got:\n{stdout}{stderr}"
        );
        if code.starts_with('E') {
            assert_eq!(out.status.code(), Some(1), "{p}: errors exit 1");
            assert!(
                stderr.starts_with("error: "),
                "{p}: stderr should start with error:, got {stderr}"
            );
            assert!(
                stdout
                    .lines()
                    .any(|l| l.starts_with(&prefix) && l.contains(": error[")),
                "{p}"
            );
        } else {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{p}: warnings alone exit 0\n{stdout}{stderr}"
            );
            assert!(stdout.contains(&format!("warning[{code}]")), "{p}");
        }

        // `--json`: the same diagnostics, and nothing but this fixture's code
        // (each fixture is otherwise valid: one mistake, one kind of problem).
        let out = check(&path, true);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{p}: --json is not JSON ({e})"));
        assert_eq!(v["file"], p, "{p}");
        assert_eq!(v["ok"], !code.starts_with('E'), "{p}");
        let diags = v["diagnostics"].as_array().expect("diagnostics array");
        assert!(!diags.is_empty(), "{p}");
        for d in diags {
            assert_eq!(
                d["code"],
                code.as_str(),
                "{p}: only [{code}] expected, got {d}"
            );
            let text = format!(
                "{}:{}:{}: {}[{}]: {}",
                d["file"].as_str().expect("file"),
                d["line"],
                d["column"],
                d["severity"].as_str().expect("severity"),
                d["code"].as_str().expect("code"),
                d["message"].as_str().expect("message"),
            );
            assert!(
                stdout.lines().any(|l| l == text),
                "{p}: JSON diagnostic not in the text output: {text}\n{stdout}"
            );
        }
        assert!(
            diags.iter().any(|d| d["line"] == line),
            "{p}: no JSON diagnostic on line {line}"
        );
        let errors = diags.iter().filter(|d| d["severity"] == "error").count();
        assert_eq!(v["errors"], errors, "{p}");
        assert_eq!(v["warnings"], diags.len() - errors, "{p}");
    }
}

#[test]
fn every_code_has_a_fixture() {
    let codes =
        std::fs::read_to_string(root().join("crates/core/src/domain/codes.rs")).expect("codes.rs");
    let have: Vec<String> = fixtures().iter().map(|p| code_of(p)).collect();
    for line in codes.lines().filter(|l| l.starts_with("pub const")) {
        let code = line.split('"').nth(1).expect("a quoted code");
        assert!(
            have.iter().any(|c| c == code),
            "no fixture for {code} ({line})"
        );
    }
}

#[test]
fn the_shipped_pipeline_and_the_minimal_base_check_clean() {
    for p in [
        "pipeline.toml",
        "tests/fixtures/minimal.toml",
        "tests/fixtures/alt_pipeline.toml",
    ] {
        let out = check(&root().join(p), false);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{p}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(": ok: "), "{p}: {stdout}");
        assert!(!stdout.contains("error["), "{p}: {stdout}");
    }
}

#[test]
fn all_problems_are_reported_not_only_the_first() {
    let base = std::fs::read_to_string(root().join("tests/fixtures/minimal.toml")).expect("base");
    let broken = base
        .replacen(
            "roles = [\"staff\"]\nrequires",
            "roles = [\"nobody\"]\nrequires",
            1,
        )
        .replacen(
            "max = \"30d\", warn = \"20d\"",
            "max = \"30 days\", warn = \"20d\"",
            1,
        )
        .replacen("phase = \"care\"\nowner", "phase = \"nowhere\"\nowner", 1);
    let dir = tempfile::tempdir().expect("dir");
    let f = dir.path().join("p.toml");
    std::fs::write(&f, broken).expect("write");
    let out = check(&f, false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for code in ["E011", "E030", "E012"] {
        assert!(
            stdout.contains(&format!("[{code}]")),
            "missing {code}:\n{stdout}"
        );
    }
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 error(s)"));
}

/// A loop of timers is refused only when no time passes on it (E070):
/// one timer of it with a time in stage is a loop a clinic may mean.
#[test]
fn only_timer_loops_with_no_time_between_are_refused() {
    let fixture = root().join("tests/fixtures/invalid/E070_timer_loop.toml");
    let looped = std::fs::read_to_string(&fixture).expect("fixture");
    let codes = |text: &str| -> Vec<String> {
        let dir = tempfile::tempdir().expect("dir");
        let f = dir.path().join("p.toml");
        std::fs::write(&f, text).expect("write");
        let v: serde_json::Value = serde_json::from_slice(&check(&f, true).stdout).expect("JSON");
        v["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| d["code"].as_str().expect("code").to_string())
            .collect()
    };
    assert_eq!(codes(&looped), ["E070"], "the fixture's loop");
    let timed = looped.replacen("after = \"0h\"", "after = \"1m\"", 1);
    assert_ne!(timed, looped);
    assert!(codes(&timed).is_empty(), "a minute on the loop");
    // One stage whose zero timer leads back to itself.
    let own = looped
        .replacen(
            "event = \"reopen\"\nfrom = [\"active\"]",
            "event = \"reopen\"\nfrom = [\"active\", \"new\"]",
            1,
        )
        .replacen(
            "event = \"start\"\nafter = \"0m\" # <- E070",
            "event = \"reopen\"\nafter = \"0m\"",
            1,
        )
        .replacen("after = \"0h\"", "after = \"1h\"", 1);
    assert_eq!(codes(&own), ["E070"], "a zero timer back to its own stage");
}

/// Problems in the same stage and the same timer: one failing part must not
/// hide the others.
#[test]
fn every_problem_of_one_stage_is_reported() {
    let base = std::fs::read_to_string(root().join("tests/fixtures/minimal.toml")).expect("base");
    let active = "phase = \"care\"\nowner = \"staff\"\nsla = { max = \"30d\", warn = \"20d\" }\nbreach_reasons = [\"backlog\"]";
    assert!(
        base.contains(active),
        "minimal.toml changed; update this test"
    );
    let broken = base
        .replacen(
            active,
            "phase = \"care\"\nowner = \"nurse\"\n\
             sla = { max = \"30 days\", warn = \"-1d\", calendar = \"weekend\" }\n\
             breach_reasons = [\"backlogg\"]\n\
             escalations = [{ after = \"-2h\", notify = \"boss\" }]",
            1,
        )
        .replacen(
            "at = { field = \"start_date\", plus_days_field = \"supply\", offset = \"1d\" }",
            "at = { field = \"supply\", offset = \"1day\" }\nreason = \"nope\"",
            1,
        );
    let dir = tempfile::tempdir().expect("dir");
    let f = dir.path().join("p.toml");
    std::fs::write(&f, broken).expect("write");
    let out = check(&f, true);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        [
            "E011", // owner `nurse`
            "E030", // max `30 days`
            "E030", // warn `-1d`
            "E014", // calendar `weekend`
            "E015", // breach reason `backlogg`
            "E030", // escalation after `-2h`
            "E045", // escalation to `boss`
            "E056", // timer field `supply` is not a date
            "E030", // timer offset `1day`
            "E015", // timer reason `nope`
        ],
        "{v:#}"
    );
}

#[test]
fn json_output_carries_the_same_diagnostics() {
    let path = root().join("tests/fixtures/invalid/E040_dead_end.toml");
    let out = check(&path, true);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["ok"], false);
    let diags = v["diagnostics"].as_array().expect("diagnostics");
    let d = diags
        .iter()
        .find(|d| d["code"] == "E040")
        .expect("E040 present");
    assert_eq!(d["line"], marked_line(&path, "E040"));
    assert_eq!(d["severity"], "error");
    assert!(d["column"].as_u64().is_some_and(|c| c >= 1));
    assert!(d["message"].as_str().is_some_and(|m| m.contains("limbo")));
}

#[test]
fn syntax_errors_name_line_and_column() {
    let path = root().join("tests/fixtures/invalid/E001_syntax.toml");
    let out = check(&path, false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = marked_line(&path, "E001");
    let hit = stdout
        .lines()
        .find(|l| l.contains("[E001]"))
        .expect("an E001 line");
    let parts: Vec<&str> = hit.splitn(4, ':').collect();
    assert_eq!(parts[1], line.to_string(), "{hit}");
    assert!(
        parts[2].parse::<usize>().is_ok_and(|c| c > 1),
        "a column: {hit}"
    );
}

#[test]
fn without_a_pipeline_file_the_built_in_one_is_checked() {
    let out = carequeue(&["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("<built-in pipeline.toml>: ok"), "{stdout}");
}

#[test]
fn an_invalid_pipeline_stops_every_other_command() {
    let path = root().join("tests/fixtures/invalid/E040_dead_end.toml");
    let out = carequeue(&["--pipeline", path.to_str().expect("utf-8"), "list"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[E040]"), "the problem is shown: {stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("error: ") && l.contains("carequeue check")),
        "{stderr}"
    );
}
