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

fn verify(db: &Path) -> (bool, String) {
    let out = carequeue(db, &["verify"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
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
        text.starts_with("ok: ") && text.contains(" records, chain head "),
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
        text.contains("truncated")
            && text.contains(&format!("{total} events recorded, {} present", total - 3)),
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
        text.trim(),
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
