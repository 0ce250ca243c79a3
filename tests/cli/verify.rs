//! `carequeue verify`: the hash chain, its recorded head and length, and the
//! replay of every record, against real SQLite files tampered with by hand.

use rusqlite::Connection;
use std::path::{Path, PathBuf};
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

fn demo(dir: &Path) -> PathBuf {
    let db = dir.join("demo.db");
    let out = carequeue(&db, &["demo", "--no-tui", "--records", "80", "--seed", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

/// Whether verify passed, and what it said: its `error:` line first,
/// then every problem it listed.
fn verify(db: &Path) -> (bool, String) {
    let out = carequeue(db, &["verify"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    (out.status.success(), text)
}

/// Removes the append-only triggers, as an attacker with file access could.
fn without_triggers(db: &Path) -> Connection {
    let c = Connection::open(db).expect("open");
    c.execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
        .expect("drop triggers");
    c
}

#[test]
fn a_fresh_demo_and_later_operations_verify() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let (ok, text) = verify(&db);
    assert!(ok, "{text}");
    assert!(
        text.starts_with("ok: ")
            && text.contains(" records, ")
            && text.contains(" users, chain head "),
        "{text}"
    );
    assert!(carequeue(&db, &["sweep"]).status.success());
    assert!(
        carequeue(&db, &["--as", "maria", "note", "1", "called the patient"])
            .status
            .success()
    );
    let (ok, text) = verify(&db);
    assert!(ok, "{text}");
}

#[test]
fn the_event_log_refuses_update_and_delete() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let c = Connection::open(&db).expect("open");
    let upd = c.execute("UPDATE events SET note = 'x' WHERE id = 1", []);
    assert!(upd.is_err_and(|e| e.to_string().contains("append-only")));
    let del = c.execute("DELETE FROM events WHERE id = 1", []);
    assert!(del.is_err_and(|e| e.to_string().contains("append-only")));
}

#[test]
fn an_edited_event_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let c = without_triggers(&db);
    let (id, record): (i64, i64) =
        c.query_row("SELECT id, record_id FROM events WHERE kind = 'transition' ORDER BY id LIMIT 1 OFFSET 5", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("an event");
    c.execute("UPDATE events SET reason = 'forged' WHERE id = ?1", [id])
        .expect("edit");
    drop(c);
    let (ok, text) = verify(&db);
    assert!(!ok);
    assert!(text.starts_with("error: "), "{text}");
    assert!(
        text.contains(&format!("event {id} (record {record})")) && text.contains("altered"),
        "{text}"
    );
}

#[test]
fn deleting_the_last_events_is_reported_as_truncation() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let c = without_triggers(&db);
    let total: i64 = c
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("count");
    c.execute("DELETE FROM events WHERE id > ?1", [total - 3])
        .expect("cut the tail");
    drop(c);
    let (ok, text) = verify(&db);
    assert!(!ok);
    assert!(
        text.starts_with("error: ")
            && text.contains(&format!(
                "truncated: {total} events recorded, {} present",
                total - 3
            )),
        "{text}"
    );
}

#[test]
fn a_removed_event_in_the_middle_breaks_the_chain() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let c = without_triggers(&db);
    c.execute("DELETE FROM events WHERE id = 40", [])
        .expect("delete");
    drop(c);
    let (ok, text) = verify(&db);
    assert!(!ok);
    assert!(
        text.contains("event 41 ") && text.contains("link"),
        "{text}"
    );
}

#[test]
fn a_record_changed_behind_the_log_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let c = Connection::open(&db).expect("open");
    let id: i64 = c
        .query_row(
            "SELECT id FROM records WHERE stage = 'in_review' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("a record");
    c.execute("UPDATE records SET stage = 'approved' WHERE id = ?1", [id])
        .expect("edit");
    drop(c);
    let (ok, text) = verify(&db);
    assert!(!ok);
    assert_eq!(
        text.lines().next().unwrap_or_default(),
        format!("error: record {id}: its stage does not match the replay of its events")
    );
}

#[test]
fn messages_never_carry_patient_data() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let c = Connection::open(&db).expect("open");
    let (id, patient): (i64, String) = c
        .query_row("SELECT id, patient FROM records LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("record");
    c.execute(
        "UPDATE records SET assignee = NULL, version = version + 5 WHERE id = ?1",
        [id],
    )
    .expect("edit");
    drop(c);
    let (ok, text) = verify(&db);
    assert!(!ok);
    assert!(!text.contains(&patient), "{text}");
}

fn at(db: &Path, now: &str, user: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_carequeue"))
        .arg("--db")
        .arg(db)
        .args([
            "--pipeline",
            concat!(env!("CARGO_MANIFEST_DIR"), "/pipeline.toml"),
            "--now",
            now,
            "--as",
            user,
        ])
        .args(args)
        .output()
        .expect("run carequeue");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn state(db: &Path, id: i64) -> (String, Option<String>, Option<String>, i64) {
    let c = Connection::open(db).expect("open");
    c.query_row(
        "SELECT stage, assignee, owner_role, version FROM records WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .expect("record")
}

/// A database built from `init` with every kind of event the CLI writes:
/// create, transition, override, claim, assign, release, pause, resume,
/// substatus, note, ack and escalations (notify and reassign), and moves
/// that keep or drop the assignee as the owning role changes.
#[test]
fn every_kind_of_cli_operation_verifies() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("ops.db");
    let t0 = "2026-11-30T14:00:00Z";
    let later = "2026-12-02T20:00:00Z";
    let much_later = "2026-12-04T20:00:00Z";
    // Trust mode: the test dates its writes with --now.
    assert!(carequeue(&db, &["init", "--trust"]).status.success());
    for (name, roles) in [
        ("olivia", vec!["ops"]),
        ("omar", vec!["ops"]),
        ("pat", vec!["provider"]),
        ("sam", vec!["ops", "supervisor"]),
    ] {
        let mut args = vec!["user", "add", name];
        for r in roles {
            args.extend(["--role", r]);
        }
        assert!(carequeue(&db, &args).status.success());
    }
    let a = |now: &str, user: &str, args: &[&str]| at(&db, now, user, args);
    for patient in ["Jane Roe", "John Doe", "Ann Poe"] {
        a(
            t0,
            "olivia",
            &["add", "--patient", patient, "--field", "state=NY"],
        );
    }
    // Record 1: the whole intake, by hand.
    a(t0, "olivia", &["move", "1", "start_review"]);
    a(t0, "olivia", &["claim", "1"]);
    a(t0, "olivia", &["substatus", "1", "awaiting_patient"]);
    a(t0, "olivia", &["substatus", "1", "--clear"]);
    a(t0, "olivia", &["substatus", "1", "missing_history"]);
    a(t0, "olivia", &["assign", "1", "omar"]);
    a(t0, "omar", &["release", "1"]);
    a(t0, "omar", &["note", "1", "called the patient"]);
    // The guards (no sub-status, an assignee) lifted by a supervisor.
    a(
        t0,
        "sam",
        &[
            "move",
            "1",
            "complete_intake",
            "--override",
            "chart complete",
        ],
    );
    a(t0, "sam", &["claim", "1"]);
    a(t0, "sam", &["move", "1", "send_to_provider"]);
    let (stage, assignee, _, version) = state(&db, 1);
    assert_eq!((stage.as_str(), assignee), ("pending_provider", None));
    a(t0, "pat", &["move", "1", "begin_review"]);
    // Record 2: claimed, breached, escalated, acknowledged, moved on.
    a(t0, "olivia", &["move", "2", "start_review"]);
    a(t0, "olivia", &["claim", "2"]);
    let (ok, text) = verify(&db);
    assert!(ok && text.starts_with("ok: "), "{text}");
    a(later, "olivia", &["sweep"]);
    a(later, "olivia", &["ack", "2", "--reason", "staffing"]);
    a(later, "olivia", &["move", "2", "complete_intake"]);
    // Record 3 waits in the entry stage until reassigned to supervisors.
    a(much_later, "olivia", &["sweep"]);
    let (_, _, owner, _) = state(&db, 3);
    assert_eq!(owner.as_deref(), Some("supervisor"));
    a(much_later, "sam", &["claim", "3"]);
    a(
        much_later,
        "sam",
        &["move", "3", "start_review", "--reason", "staffing"],
    );
    let (stage, assignee, owner, _) = state(&db, 3);
    assert_eq!(
        (stage.as_str(), assignee.as_deref(), owner),
        ("intake_review", Some("sam"), None)
    );
    let (ok, text) = verify(&db);
    assert!(ok, "{text}");
    let c = Connection::open(&db).expect("open");
    let kinds: Vec<String> = c
        .prepare("SELECT DISTINCT kind FROM events ORDER BY kind")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("kinds");
    let expected = "ack assign claim create escalation init note override pause pipeline release resume substatus transition user";
    for k in expected.split(' ') {
        assert!(kinds.iter().any(|x| x == k), "no `{k}` event in {kinds:?}");
    }
    let events: i64 = c
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("count");
    // The four users added and the account that ran `init`.
    assert!(
        text.starts_with(&format!(
            "ok: {events} events, 3 records, 5 users, chain head "
        )),
        "{text}"
    );
    assert!(version > 1);
}

#[test]
fn an_edited_note_is_named_by_event_id() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    // At least one note, whatever the demo generated.
    assert!(
        carequeue(&db, &["--as", "maria", "note", "2", "left a voicemail"])
            .status
            .success()
    );
    let c = without_triggers(&db);
    let (id, record): (i64, i64) = c
        .query_row(
            "SELECT id, record_id FROM events WHERE kind = 'note' ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a note");
    c.execute(
        "UPDATE events SET note = 'nothing to see' WHERE id = ?1",
        [id],
    )
    .expect("edit");
    drop(c);
    let (ok, text) = verify(&db);
    assert!(!ok);
    assert_eq!(
        text.lines().next().unwrap_or_default(),
        format!(
            "error: event {id} (record {record}): hash does not match its content (the event was altered) (and 2 more problem(s), below)"
        )
    );
}

#[test]
fn an_edited_chain_head_is_reported() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let c = Connection::open(&db).expect("open");
    c.execute(
        "UPDATE meta SET value = '0123456789abcdef' WHERE key = 'chain_head'",
        [],
    )
    .expect("edit");
    drop(c);
    let (ok, text) = verify(&db);
    assert!(!ok);
    assert!(text.starts_with("error: chain head mismatch"), "{text}");
}

#[test]
fn a_dangling_reference_fails_the_foreign_key_check() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let c = Connection::open(&db).expect("open");
    c.execute_batch("PRAGMA foreign_keys = OFF")
        .expect("pragma");
    c.execute(
        "UPDATE records SET assignee = 'nobody' WHERE id = (SELECT min(id) FROM records)",
        [],
    )
    .expect("edit");
    drop(c);
    let (ok, text) = verify(&db);
    assert!(!ok);
    assert!(
        text.starts_with("error: foreign key check failed") && text.contains("records"),
        "{text}"
    );
}

#[test]
fn kept_stage_counts_that_drift_from_the_records_are_reported() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path());
    let c = Connection::open(&db).expect("open");
    let stage: String = c
        .query_row(
            "SELECT stage FROM stage_counts WHERE total > 0 LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("a stage");
    c.execute(
        "UPDATE stage_counts SET unassigned = unassigned + 1 WHERE stage = ?1",
        [&stage],
    )
    .expect("edit");
    drop(c);
    let (ok, text) = verify(&db);
    assert!(!ok);
    assert!(
        text.starts_with(&format!("error: stage {stage}: the kept counts say")),
        "{text}"
    );
}

/// A demo large enough for the bulk path (indexes and counts rebuilt after
/// the load) verifies, counts included, and has nothing left due.
#[test]
fn a_bulk_loaded_demo_verifies_and_has_nothing_due() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("bulk.db");
    let out = carequeue(
        &db,
        &["demo", "--no-tui", "--records", "5000", "--seed", "4"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, text) = verify(&db);
    assert!(ok, "{text}");
    assert!(text.contains("5000 records"), "{text}");
    let out = carequeue(&db, &["--as", "kim", "sweep", "--json"]);
    let swept: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sweep json");
    assert_eq!(
        (
            swept["timers"].as_i64(),
            swept["escalations"].as_i64(),
            swept["warnings"].as_i64()
        ),
        (Some(0), Some(0), Some(0))
    );
    let c = Connection::open(&db).expect("open");
    let indexes: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND sql IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("indexes");
    assert_eq!(
        indexes, 16,
        "every records index is rebuilt (the two filterable fields', step 6's owner_role and step 7's warnings included)"
    );
    let found: i64 = c
        .query_row(
            "SELECT count(*) FROM records_fts WHERE records_fts MATCH '\"grunewald\"'",
            [],
            |r| r.get(0),
        )
        .expect("name search");
    let named: i64 = c
        .query_row(
            "SELECT count(*) FROM records WHERE patient LIKE '%Grünewald%'",
            [],
            |r| r.get(0),
        )
        .expect("names");
    assert!(named > 0);
    assert_eq!(
        found, named,
        "the name index holds every bulk-loaded record"
    );
}
