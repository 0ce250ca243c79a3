//! A database made before databases held their pipeline: every command
//! refuses it and says how to adopt it; `pipeline adopt FILE` (by the file's
//! OS owner) refuses a FILE that would strand a record, and otherwise logs
//! one snapshot event per record so `verify` covers its later history.

use crate::common;
use carequeue::domain::{DEFAULT_PIPELINE, check};
use carequeue::ops;
use carequeue::store::Store;
use chrono::{DateTime, Utc};
use std::path::Path;
use std::process::Output;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T14:00:00Z")
        .expect("instant")
        .with_timezone(&Utc)
}

/// Records and users, but no stored pipeline and no `init` event: the shape
/// of a database from before this change.
fn old_database(db: &Path) {
    let p = check(DEFAULT_PIPELINE).pipeline.expect("pipeline");
    let mut store = Store::create(db).expect("create");
    store
        .upsert_user("ann", &["ops".to_string()], 0)
        .expect("user");
    let ann = ops::actor(&store, "ann").expect("ann");
    for name in ["Old Patient", "Older Patient"] {
        ops::add_record(&p, &mut store, &ann, name, Default::default(), now()).expect("record");
    }
}

fn run(db: &Path, args: &[&str]) -> Output {
    std::process::Command::new(common::BIN)
        .env_remove("CAREQUEUE_USER")
        .env_remove("CAREQUEUE_NOW")
        .env_remove("CAREQUEUE_PIPELINE")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run")
}

#[test]
fn an_old_database_is_refused_until_its_owner_adopts_a_pipeline() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("old.db");
    old_database(&db);
    for args in [
        vec!["list"],
        vec!["verify"],
        vec!["info"],
        vec!["add", "--patient", "X"],
    ] {
        let out = run(&db, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: ") && err.contains("pipeline adopt FILE"),
            "{args:?}: {err}"
        );
    }
    // A pipeline without the records' stages is refused, nothing written.
    let alt = common::fixture("alt_pipeline.toml");
    let out = run(&db, &["pipeline", "adopt", alt.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("form_submitted"),
        "the stranded stage is named: {err}"
    );
    assert!(
        run(&db, &["list"]).status.code() == Some(1),
        "still not adopted"
    );
    // The right one is adopted: a snapshot per record, and it verifies.
    let file = common::default_pipeline();
    let out = run(&db, &["pipeline", "adopt", file.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 record(s) snapshotted"));
    let out = run(&db, &["verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = rusqlite::Connection::open(&db).expect("open");
    let snapshots: i64 = c
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'snapshot'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(snapshots, 2);
    // The owner is its admin now (nobody held an admin role), outside trust mode.
    let out = run(&db, &["info", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["trust_mode"], false);
    let me = ops::identity::os_login().expect("login");
    assert_eq!(v["user"], me.as_str());
    let out = run(&db, &["user", "add", "bo", "--role", "ops"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A second adopt is refused.
    let out = run(&db, &["pipeline", "adopt", file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    // An edit of a record before the adopt is now covered: the snapshot
    // holds the patient's name.
    c.execute("UPDATE records SET patient = 'Someone' WHERE id = 1", [])
        .expect("edit");
    drop(c);
    let out = run(&db, &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("record 1: its patient"));
}
