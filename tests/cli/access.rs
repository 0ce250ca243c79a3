//! Access that holds, through the real binary: the database's own pipeline
//! decides (a forged `--pipeline` or a stray `./pipeline.toml` grants
//! nothing), `--now` dates no write outside trust mode, claims and the
//! assignee guard are respected, both reasons of a breached move travel in
//! one command, and reads are in the access log.

use crate::common;
use crate::common::{ADMIN, Cq};
use rusqlite::Connection;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const T0: &str = "2026-11-30T14:00:00Z";
const LATER: &str = "2026-12-02T20:00:00Z";

/// The default pipeline with `ops` allowed to approve treatment.
fn forged() -> String {
    let text = std::fs::read_to_string(common::default_pipeline()).expect("pipeline");
    let at = text.find("event = \"approve\"").expect("approve");
    let (head, tail) = text.split_at(at);
    format!(
        "{head}{}",
        tail.replacen(
            "roles = [\"provider\"]",
            "roles = [\"provider\", \"ops\"]",
            1
        )
    )
}

/// The binary with exactly `args`, in `cwd`, with a clean environment.
fn raw(cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(common::BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("CAREQUEUE_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(cwd).args(args).output().expect("run")
}

fn events(db: &Path) -> i64 {
    let c = Connection::open(db).expect("open");
    c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("count")
}

/// ann and omar (ops), pat and pia (provider), sam (supervisor); one
/// record walked to `in_review`, claimed by pat.
fn clinic() -> (Cq, i64) {
    let cq = Cq::init_default(T0);
    for (n, r) in [
        ("ann", "ops"),
        ("omar", "ops"),
        ("pat", "provider"),
        ("pia", "provider"),
        ("sam", "supervisor"),
    ] {
        cq.ok(ADMIN, T0, &["user", "add", n, "--role", r]);
    }
    let id = cq.add("ann", T0, "Jane Roe", &["state=NY"]);
    let s = id.to_string();
    for step in [
        vec!["move", &s, "start_review"],
        vec!["claim", &s],
        vec!["move", &s, "complete_intake"],
        vec!["move", &s, "send_to_provider"],
    ] {
        cq.ok("ann", T0, &step);
    }
    cq.ok("pat", T0, &["move", &s, "begin_review"]);
    cq.ok("pat", T0, &["claim", &s]);
    (cq, id)
}

#[test]
fn a_forged_pipeline_grants_nothing_and_a_what_if_read_writes_nothing() {
    let (cq, id) = clinic();
    let s = id.to_string();
    let file = cq.dir.path().join("forged.toml");
    std::fs::write(&file, forged()).expect("write");
    let db = cq.db.to_str().expect("utf-8");
    let f = file.to_str().expect("utf-8");
    let before = events(&cq.db);
    // ann with the forged file as --pipeline.
    let forged_as_ann = |args: &[&str]| {
        let mut full = vec!["--db", db, "--pipeline", f, "--as", "ann", "--now", T0];
        full.extend_from_slice(args);
        raw(cq.dir.path(), &full)
    };
    // With --pipeline: a labelled what-if read; writes refused.
    let out = forged_as_ann(&["list"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("what-if") && err.contains("forged.toml"),
        "{err}"
    );
    let out = forged_as_ann(&["move", &s, "approve"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: `move` refused") && err.contains("pipeline apply"),
        "{err}"
    );
    assert_eq!(events(&cq.db), before, "a what-if never writes an event");
    // A stray ./pipeline.toml is not read: the stored pipeline decides.
    std::fs::write(cq.dir.path().join("pipeline.toml"), forged()).expect("write");
    let out = raw(
        cq.dir.path(),
        &[
            "--db", db, "--as", "ann", "--now", T0, "move", &s, "approve",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("may not fire it") && err.contains("provider"),
        "{err}"
    );
    let out = raw(
        cq.dir.path(),
        &["--db", db, "--as", "ann", "pipeline", "--json"],
    );
    let p: Value = serde_json::from_slice(&out.stdout).expect("json");
    let approve = p["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .find(|t| t["event"] == "approve")
        .expect("approve")
        .clone();
    assert_eq!(
        approve["roles"],
        serde_json::json!(["provider"]),
        "{approve}"
    );
    // The same pipeline by hash is accepted silently, writes included.
    let out = raw(
        cq.dir.path(),
        &[
            "--db",
            db,
            "--pipeline",
            common::default_pipeline().to_str().expect("utf-8"),
            "--as",
            "pat",
            "--now",
            T0,
            "move",
            &s,
            "approve",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "no what-if label");
    assert_eq!(cq.show("pat", T0, id)["stage"], "approved");
    cq.ok(ADMIN, T0, &["verify"]);
}

#[test]
fn now_dates_no_write_outside_trust_mode() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("real.db");
    let d = db.to_str().expect("utf-8");
    let out = raw(dir.path(), &["--db", d, "init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let me = carequeue::ops::identity::os_login().expect("my login");
    let out = raw(dir.path(), &["--db", d, "add", "--patient", "Real Clock"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = events(&db);
    for args in [
        vec![
            "--now",
            "2020-01-01T00:00:00Z",
            "add",
            "--patient",
            "Backdated",
        ],
        vec!["--now", "2030-01-01T00:00:00Z", "sweep"],
        vec!["--now", "2020-01-01T00:00:00Z", "note", "1", "backdated"],
        vec!["--now", "2020-01-01T00:00:00Z", "move", "1", "start_review"],
    ] {
        let mut full = vec!["--db", d];
        full.extend(args.iter().copied());
        let out = raw(dir.path(), &full);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: ") && err.contains("--now"), "{err}");
    }
    assert_eq!(events(&db), before, "nothing was written");
    // Reads may look at another time; --as may only name yourself.
    let out = raw(
        dir.path(),
        &["--db", d, "--now", "2030-01-01T00:00:00Z", "list"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = raw(dir.path(), &["--db", d, "--as", &me, "list"]);
    assert!(out.status.success());
    let out = raw(dir.path(), &["--db", d, "--as", "system", "note", "1", "x"]);
    assert_eq!(out.status.code(), Some(1));
    let out = raw(dir.path(), &["--db", d, "info"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("trust mode      off"),
        "{text}"
    );
    let out = raw(dir.path(), &["--db", d, "info", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["trust_mode"], false);
    assert_eq!(v["user"], me.as_str());
}

#[test]
fn a_colleagues_claim_needs_a_supervisor_and_the_assignee_guard_means_the_assignee() {
    let (cq, id) = clinic();
    let s = id.to_string();
    // pia is a provider too, but pat holds the record.
    for args in [
        vec!["claim", &s],
        vec!["assign", &s, "pia"],
        vec!["release", &s],
    ] {
        let err = cq.fail("pia", T0, &args);
        assert!(
            err.contains("`pat`") && err.contains("supervis"),
            "{args:?}: {err}"
        );
    }
    let err = cq.fail("pia", T0, &["move", &s, "approve"]);
    assert!(err.contains("assignee") && err.contains("pat"), "{err}");
    assert_eq!(cq.show("pat", T0, id)["owner"], "pat");
    // A supervisor may reassign, and override the guard with a reason.
    cq.ok("sam", T0, &["assign", &s, "pia"]);
    assert_eq!(cq.show("pia", T0, id)["owner"], "pia");
    let err = cq.fail("pat", T0, &["move", &s, "approve"]);
    assert!(err.contains("pia"), "{err}");
    cq.ok("pia", T0, &["move", &s, "approve"]);
    cq.ok(ADMIN, T0, &["verify"]);
}

#[test]
fn a_breached_move_needing_both_reasons_takes_one_command() {
    let cq = Cq::init_default(T0);
    cq.ok(ADMIN, T0, &["user", "add", "ann", "--role", "ops"]);
    let id = cq.add("ann", T0, "Late Larry", &[]);
    let s = id.to_string();
    // Two days later form_submitted (4 clinic hours) is long breached.
    let err = cq.fail(
        "ann",
        LATER,
        &["move", &s, "withdraw", "--reason", "duplicate"],
    );
    assert!(
        err.contains("--breach-reason") || err.contains("breach"),
        "{err}"
    );
    let err = cq.fail(
        "ann",
        LATER,
        &[
            "move",
            &s,
            "withdraw",
            "--reason",
            "duplicate",
            "--breach-reason",
            "nonsense",
        ],
    );
    assert!(err.contains("nonsense"), "{err}");
    assert_eq!(
        cq.show("ann", LATER, id)["stage"],
        "form_submitted",
        "all or nothing"
    );
    cq.ok(
        "ann",
        LATER,
        &[
            "move",
            &s,
            "withdraw",
            "--reason",
            "duplicate",
            "--breach-reason",
            "staffing",
        ],
    );
    let v = cq.show("ann", LATER, id);
    assert_eq!(v["stage"], "withdrawn");
    let h = v["history"].as_array().expect("history");
    let tail: Vec<(&str, &str)> = h[h.len() - 2..]
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or(""),
                e["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(tail, [("ack", "staffing"), ("transition", "duplicate")]);
    cq.ok(ADMIN, LATER, &["verify"]);
}

#[test]
fn reads_are_in_the_access_log_which_refuses_update_and_delete() {
    let (cq, id) = clinic();
    let s = id.to_string();
    cq.show("pat", T0, id);
    cq.list("ann", T0, &["--stage", "in_review"]);
    cq.ok("sam", T0, &["export"]);
    // Neither ann nor pat may read the log; sam (supervisor) may.
    let err = cq.fail("ann", T0, &["access-log"]);
    assert!(err.contains("access log"), "{err}");
    let log = cq.json("sam", T0, &["access-log", "--json"]);
    let rows = log.as_array().expect("rows");
    let find = |user: &str, action: &str| -> &Value {
        rows.iter()
            .find(|a| a["user"] == user && a["action"] == action)
            .unwrap_or_else(|| panic!("no {action} by {user}: {log}"))
    };
    assert_eq!(find("pat", "show")["record"], id);
    // --now never dates a log entry: the entry is at the real time, and
    // the what-if time is in its detail.
    let show = find("pat", "show");
    let at = chrono::DateTime::parse_from_rfc3339(show["at"].as_str().expect("at"))
        .expect("an RFC 3339 time");
    let off = (chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_seconds();
    assert!((0..120).contains(&off), "logged at the real time: {show}");
    assert_eq!(show["detail"], format!("as of {T0}"), "{show}");
    let list = find("ann", "list");
    let detail = list["detail"].as_str().expect("filter and count");
    assert!(
        detail.contains("in_review") && detail.contains("1"),
        "{detail}"
    );
    assert!(
        !detail.contains("Jane"),
        "no patient data in the log: {detail}"
    );
    find("sam", "export");
    find("ann", "access-log-refused");
    // Filters: by user and by record.
    let only = cq.json(
        "sam",
        T0,
        &["access-log", "--user", "pat", "--record", &s, "--json"],
    );
    let only = only.as_array().expect("rows");
    assert!(!only.is_empty() && only.iter().all(|a| a["user"] == "pat" && a["record"] == id));
    // Reads never bump a record's version.
    let v1 = cq.show("pat", T0, id)["version"].clone();
    cq.show("pat", T0, id);
    assert_eq!(cq.show("pat", T0, id)["version"], v1);
    // The table is append-only.
    let c = Connection::open(&cq.db).expect("open");
    let upd = c.execute("UPDATE access_log SET actor = 'x' WHERE id = 1", []);
    assert!(upd.is_err_and(|e| e.to_string().contains("append-only")));
    let del = c.execute("DELETE FROM access_log WHERE id = 1", []);
    assert!(del.is_err_and(|e| e.to_string().contains("append-only")));
    drop(c);
    cq.ok(ADMIN, T0, &["verify"]);
}

#[test]
fn new_user_names_are_plain_and_case_folded_and_nobody_is_system() {
    let cq = Cq::init_default(T0);
    for (name, why) in [
        ("\u{0455}ystem", "a Cyrillic look-alike"),
        ("ann\u{200b}", "a zero-width space"),
        ("system", "the timers' actor"),
        ("SYSTEM", "the timers' actor, upper case"),
        ("a b", "a space"),
        ("", "nothing"),
    ] {
        let out = cq.run_exact(ADMIN, T0, &["user", "add", name, "--role", "ops"]);
        assert_eq!(out.status.code(), Some(1), "{why} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{why}: {err}");
    }
    cq.ok(ADMIN, T0, &["user", "add", "Kim.Lee", "--role", "ops"]);
    let users = cq.json(ADMIN, T0, &["user", "list", "--json"]);
    let names: Vec<&str> = users
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert!(names.contains(&"kim.lee"), "case-folded: {names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n.contains("ystem") || n.starts_with("ann")),
        "{names:?}"
    );
    // However it is typed, the folded name is found.
    cq.ok("Kim.Lee", T0, &["list"]);
    let err = cq.fail("system", T0, &["list"]);
    assert!(err.contains("system"), "{err}");
}

#[test]
fn a_name_that_folds_to_an_existing_user_is_refused_not_relinked() {
    let cq = Cq::init_default(T0);
    cq.ok(
        ADMIN,
        T0,
        &[
            "user",
            "add",
            "kim",
            "--role",
            "ops",
            "--role",
            "supervisor",
        ],
    );
    let team = || cq.json(ADMIN, T0, &["user", "list", "--json"]);
    let before = team();
    for name in ["kim ", " kim", "Kim", "KIM\t"] {
        let err = cq.fail(
            ADMIN,
            T0,
            &["user", "add", name, "--role", "ops", "--login", "kim3"],
        );
        assert!(
            err.contains("user `kim` already exists") && err.contains("is not its exact name"),
            "{name:?}: {err}"
        );
        assert_eq!(team(), before, "{name:?}: kim is as she was");
    }
    // Trimmed and folded, a new name is still taken as given.
    cq.ok(ADMIN, T0, &["user", "add", " Lee ", "--role", "ops"]);
    let names: Vec<String> = team()
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|u| u["name"].as_str().map(str::to_string))
        .collect();
    assert!(names.contains(&"lee".to_string()), "{names:?}");
    // The exact name still adds roles to the user it names.
    cq.ok(ADMIN, T0, &["user", "add", "lee", "--role", "provider"]);
}

/// `access-log --record N` finds the reads that named record N; a list
/// that showed it among others logs its filter and count only, and the
/// help says so where the option is described.
#[test]
fn access_log_by_record_finds_its_reads_and_says_lists_are_not_among_them() {
    let cq = Cq::init_default(T0);
    let id = cq.add(ADMIN, T0, "Listed Once", &[]).to_string();
    cq.ok(ADMIN, T0, &["list"]);
    cq.ok(ADMIN, T0, &["show", &id]);
    let all = cq.json(ADMIN, T0, &["access-log", "--json"]);
    let actions = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("rows")
            .iter()
            .filter_map(|r| r["action"].as_str().map(str::to_string))
            .collect()
    };
    assert!(actions(&all).contains(&"list".to_string()), "{all}");
    let by_record = cq.json(ADMIN, T0, &["access-log", "--record", &id, "--json"]);
    assert_eq!(actions(&by_record), ["show"], "{by_record}");
    for flag in ["-h", "--help"] {
        let help = cq.ok(ADMIN, T0, &["access-log", flag]);
        let line = help
            .lines()
            .skip_while(|l| !l.contains("--record"))
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(line.contains("not lists that showed it"), "{flag}: {help}");
    }
}

/// A what-if pipeline that makes ops an exporting admin who supervises and
/// may approve: what it computes for display is shown, but who may do
/// what still comes from the database's own pipeline.
fn evil() -> String {
    forged()
        .replacen(
            "export_roles = [\"supervisor\"]",
            "export_roles = [\"supervisor\", \"ops\"]",
            1,
        )
        .replacen(
            "id = \"ops\"",
            "id = \"ops\"\nadmin = true\nsupervises = true",
            1,
        )
}

#[test]
fn a_what_if_pipeline_grants_no_export_access_log_admin_supervision_or_event() {
    let (cq, id) = clinic();
    let s = id.to_string();
    let file = cq.dir.path().join("evil.toml");
    let text = evil();
    // The premise: the file itself grants all of it, and is valid.
    assert!(text.contains("export_roles = [\"supervisor\", \"ops\"]"));
    assert!(text.contains("admin = true\nsupervises = true"));
    std::fs::write(&file, &text).expect("write");
    let check = raw(
        cq.dir.path(),
        &["--pipeline", file.to_str().expect("utf-8"), "check"],
    );
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let db = cq.db.to_str().expect("utf-8");
    let f = file.to_str().expect("utf-8");
    let as_ann = |args: &[&str]| {
        let mut full = vec!["--db", db, "--pipeline", f, "--as", "ann", "--now", T0];
        full.extend_from_slice(args);
        raw(cq.dir.path(), &full)
    };
    let before = events(&cq.db);
    for (args, why) in [
        (
            vec!["export"],
            "export of patient data needs one of the roles supervisor",
        ),
        (
            vec!["access-log"],
            "the access log is for admins and supervising roles",
        ),
        (
            vec!["user", "add", "eve", "--role", "supervisor"],
            "refused",
        ),
        (vec!["assign", &s, "omar"], "refused"),
        (vec!["ack", &s, "--reason", "staffing"], "refused"),
    ] {
        let out = as_ann(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed something");
    }
    assert_eq!(events(&cq.db), before, "nothing was written");
    // The what-if's display is shown, but the events ann may fire are the
    // stored pipeline's: not `approve`.
    let out = as_ann(&["show", &s, "--json"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("what-if"));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let allowed: Vec<&str> = v["allowed_events"]
        .as_array()
        .expect("allowed")
        .iter()
        .filter_map(|a| a["event"].as_str())
        .collect();
    assert!(!allowed.contains(&"approve"), "{allowed:?}");
    // The refusals themselves are in the log, read by the supervisor.
    let log = cq.json("sam", T0, &["access-log", "--json"]);
    let actions: Vec<(&str, &str)> = log
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|a| Some((a["user"].as_str()?, a["action"].as_str()?)))
        .collect();
    assert!(actions.contains(&("ann", "export-refused")), "{actions:?}");
    assert!(
        actions.contains(&("ann", "access-log-refused")),
        "{actions:?}"
    );
}

#[test]
fn now_never_dates_an_access_entry_even_far_in_the_past() {
    let (cq, id) = clinic();
    cq.show("pat", "2020-01-01T00:00:00Z", id);
    // An admin's `--since` of yesterday finds it: it is dated now, not
    // 2020. (Yesterday, not today: `--since` is a date in the pipeline's
    // zone, whose today may not have begun when UTC's has.)
    let recent = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let log = cq.json("sam", T0, &["access-log", "--json", "--since", &recent]);
    let row = log
        .as_array()
        .expect("rows")
        .iter()
        .find(|a| a["user"] == "pat" && a["action"] == "show" && a["record"] == id)
        .unwrap_or_else(|| panic!("the 2020 read is not among today's entries: {log}"))
        .clone();
    assert_eq!(row["detail"], "as of 2020-01-01T00:00:00Z", "{row}");
}
