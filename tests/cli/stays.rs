//! The stays table the audit reads (issue 25). Every write keeps it
//! current, so the audit answers from it; a pipeline change of calendars or
//! pause rules makes it stale, and until it is rebuilt the audit reads the
//! log and says so, with the same numbers a fresh database gives; an SLA
//! maximum changed keeps it current (breaches are judged at query time);
//! `verify` names a row edited outside carequeue. The history is the hand-
//! computed one of `audit.rs`.

use crate::audit::{NOW, history, stage, t};
use crate::common::{self, Cq, fixture};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The audit fixture with stage `new` on a calendar open 00:00–09:00 UTC
/// on weekdays (the history runs Monday 00:00–10:00, so only R6's stay in
/// `new`, 09:00–10:00, counts differently: 0 working seconds, not 3600).
fn on_a_calendar(text: &str) -> String {
    let sla = r#"sla = { max = "2h", warn = "1h" }"#;
    assert!(text.contains(sla));
    let text = text.replacen(
        sla,
        r#"sla = { max = "2h", warn = "1h", calendar = "early" }"#,
        1,
    );
    text.replacen(
        "[reasons]",
        "[[calendars]]\nid = \"early\"\ntimezone = \"UTC\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nhours = [\"00:00-09:00\"]\n\n[reasons]",
        1,
    )
}

fn fixture_text() -> String {
    std::fs::read_to_string(fixture("audit_pipeline.toml")).expect("fixture")
}

/// The audit history on a pipeline file of the test's own (in `dir`), so
/// `pipeline apply` can change it in place and later commands are not
/// what-ifs.
fn build(dir: &Path, text: &str) -> Cq {
    let file = dir.join("pipeline.toml");
    std::fs::write(&file, text).expect("write pipeline");
    history(Cq::init(file, &t("00:00")))
}

/// The binary as `user` on `cq` with `env` set.
fn run(cq: &Cq, env: &[(&str, &str)], user: &str, args: &[&str]) -> Output {
    let mut cmd = common::command();
    cmd.current_dir(cq.dir.path())
        .arg("--db")
        .arg(&cq.db)
        .arg("--pipeline")
        .arg(pipeline_of(cq))
        .args(["--as", user, "--now", NOW])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run carequeue")
}

fn pipeline_of(cq: &Cq) -> PathBuf {
    cq.pipeline.clone()
}

#[track_caller]
fn ok(cq: &Cq, env: &[(&str, &str)], args: &[&str]) -> String {
    let out = run(cq, env, "lee", args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn audit(cq: &Cq, env: &[(&str, &str)]) -> Value {
    serde_json::from_str(&ok(cq, env, &["audit", "--json"])).expect("audit --json")
}

/// The figures, without where they were read from.
fn figures(mut v: Value) -> Value {
    v.as_object_mut().expect("object").remove("stays");
    v
}

fn status(cq: &Cq, env: &[(&str, &str)]) -> Value {
    serde_json::from_str(&ok(cq, env, &["stays", "status", "--json"])).expect("status --json")
}

/// Commits never rebuild a stale table themselves (as at scale).
const NO_INLINE: &[(&str, &str)] = &[("CAREQUEUE_STAYS_INLINE", "0")];

#[test]
fn the_audit_answers_from_the_stays_every_write_kept() {
    let dir = tempfile::tempdir().expect("dir");
    let cq = build(dir.path(), &fixture_text());
    let s = status(&cq, &[]);
    assert_eq!(s["state"], "current", "{s}");
    // R1 4 stays, R2 2, R3 4, R4 2, R5 3, R6 1.
    assert_eq!(s["rows"], 16, "{s}");
    let kept = audit(&cq, &[]);
    assert_eq!(kept["stays"], "stays");

    // The same figures from the log: with the table's key gone, and no
    // commit allowed to rebuild it, the audit reads the log.
    let c = rusqlite::Connection::open(&cq.db).expect("open");
    c.execute("DELETE FROM meta WHERE key = 'stays_key'", [])
        .expect("forget the key");
    drop(c);
    let logged = audit(&cq, NO_INLINE);
    assert_eq!(logged["stays"], "rebuilding");
    assert_eq!(figures(logged), figures(kept.clone()));
    assert_eq!(status(&cq, NO_INLINE)["state"], "stale");

    // Any commit of a small database builds it again.
    let again = audit(&cq, &[]);
    assert_eq!(again["stays"], "stays");
    assert_eq!(figures(again), figures(kept));
}

#[test]
fn a_calendar_change_rebuilds_the_stays_and_the_audit_says_so_meanwhile() {
    let dir = tempfile::tempdir().expect("dir");
    let cq = build(dir.path(), &fixture_text());
    let before = audit(&cq, &[]);

    // Apply the calendar; later commands run under the file applied.
    let changed = on_a_calendar(&fixture_text());
    let file = pipeline_of(&cq);
    let next = dir.path().join("next.toml");
    std::fs::write(&next, &changed).expect("write");
    ok(
        &cq,
        NO_INLINE,
        &["pipeline", "apply", next.to_str().expect("path")],
    );
    std::fs::write(&file, &changed).expect("write");

    assert_eq!(status(&cq, NO_INLINE)["state"], "stale");
    let meanwhile = audit(&cq, NO_INLINE);
    assert_eq!(meanwhile["stays"], "rebuilding");
    let human = ok(&cq, NO_INLINE, &["audit"]);
    assert!(
        human.contains("being rebuilt after a pipeline change"),
        "{human}"
    );

    // A fresh database on the new pipeline with the same history.
    let fresh_dir = tempfile::tempdir().expect("dir");
    let fresh = build(fresh_dir.path(), &changed);
    let expected = audit(&fresh, &[]);
    assert_eq!(expected["stays"], "stays");
    assert_eq!(figures(meanwhile), figures(expected.clone()));
    // The calendar counts: R6's hour in `new` is outside it, so the
    // lowest quartile of [0, 1800, 3600, 3600, 9000, 10800, 10800] falls
    // (h = 1.5: 1800 + 0.5 × 1800), from 3600 over the 24x7 stays.
    assert_eq!(stage(&before, "new")["p25_seconds"], 3600);
    assert_eq!(stage(&expected, "new")["p25_seconds"], 2700);

    let out = ok(&cq, NO_INLINE, &["stays", "rebuild"]);
    assert!(out.contains("stays rebuilt from the log"), "{out}");
    assert_eq!(status(&cq, NO_INLINE)["state"], "current");
    let after = audit(&cq, NO_INLINE);
    assert_eq!(after["stays"], "stays");
    assert_eq!(figures(after), figures(expected));
    ok(&cq, &[], &["verify"]);
}

#[test]
fn an_sla_maximum_change_keeps_the_stays_and_re_judges_breaches() {
    let dir = tempfile::tempdir().expect("dir");
    let cq = build(dir.path(), &fixture_text());
    assert_eq!(stage(&audit(&cq, &[]), "new")["breaches"], 3);
    let sla = r#"sla = { max = "2h", warn = "1h" }"#;
    let looser = fixture_text().replacen(sla, r#"sla = { max = "3h", warn = "1h" }"#, 1);
    let next = cq.dir.path().join("looser.toml");
    std::fs::write(&next, &looser).expect("write");
    ok(
        &cq,
        NO_INLINE,
        &["pipeline", "apply", next.to_str().expect("path")],
    );
    std::fs::write(pipeline_of(&cq), &looser).expect("write");

    assert_eq!(status(&cq, NO_INLINE)["state"], "current");
    let r = audit(&cq, NO_INLINE);
    assert_eq!(r["stays"], "stays");
    // Only R3#2 and R4 (both ≥ 3h) breach now.
    assert_eq!(stage(&r, "new")["breaches"], 2);
}

#[test]
fn verify_names_a_stays_row_edited_outside_carequeue_and_a_write_left_unsettled() {
    let dir = tempfile::tempdir().expect("dir");
    let cq = build(dir.path(), &fixture_text());
    ok(&cq, &[], &["verify"]);
    let c = rusqlite::Connection::open(&cq.db).expect("open");
    let edited = c
        .execute(
            "UPDATE stays SET working = working - 600 WHERE record_id = 3 AND visit = 1",
            [],
        )
        .expect("edit");
    assert_eq!(edited, 1);
    let out = run(&cq, &[], "lee", &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("record 3: its stays from visit 1 on do not match a rebuild from its events"),
        "{err}"
    );

    // A writer that appended without settling: the table does not answer
    // (see `stays status`) until the next write settles it.
    ok(&cq, &[], &["stays", "rebuild"]);
    c.execute("INSERT INTO stays_dirty(record_id) VALUES (2)", [])
        .expect("mark");
    c.execute("DELETE FROM stays WHERE record_id = 2 AND visit = 2", [])
        .expect("lose the open stay");
    drop(c);
    let s = status(&cq, NO_INLINE);
    assert_eq!(
        (s["state"].as_str(), s["records_waiting"].as_u64()),
        (Some("settling"), Some(1))
    );
    ok(&cq, &[], &["note", "2", "called back"]);
    assert_eq!(status(&cq, &[])["state"], "current");
    ok(&cq, &[], &["verify"]);
}

#[test]
fn a_step_eight_database_takes_the_stays_and_its_first_write_builds_them() {
    let dir = tempfile::tempdir().expect("dir");
    let cq = build(dir.path(), &fixture_text());
    let kept = audit(&cq, &[]);
    let c = rusqlite::Connection::open(&cq.db).expect("open");
    c.execute_batch(
        "DROP TRIGGER events_stays; DROP TABLE stays_dirty; DROP TABLE stays;
         DELETE FROM meta WHERE key LIKE 'stays%';
         PRAGMA user_version = 8;",
    )
    .expect("back to step 8");
    drop(c);
    // The audit's own logged read is the first write: it takes step 9 and
    // builds the stays (a small database), then reads them.
    let r = audit(&cq, &[]);
    assert_eq!(r["stays"], "stays");
    assert_eq!(figures(r), figures(kept));
    let s = status(&cq, &[]);
    assert_eq!(
        (s["state"].as_str(), s["rows"].as_i64()),
        (Some("current"), Some(16))
    );
    ok(&cq, &[], &["verify"]);
}
