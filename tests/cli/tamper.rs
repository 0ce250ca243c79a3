//! What `verify` catches of edits made behind carequeue's back, by someone
//! with write access to the file: direct edits of records and users, a
//! transition appended by hand with a valid hash, and a rewrite with every
//! hash and the head recomputed (caught only against a checkpoint kept
//! outside the file: the documented limit).

use crate::common;
use crate::common::{ADMIN, Cq};
use carequeue::log::EventKind;
use carequeue::store::events::NewEvent;
use carequeue::store::sqlite::events::Appender;
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;

const T0: &str = "2026-11-30T14:00:00Z";

/// ann (ops), pat (provider); records walked part way, the last at
/// `in_review` claimed by pat.
fn clinic() -> Cq {
    let cq = Cq::init_default(T0);
    for (n, r) in [("ann", "ops"), ("pat", "provider")] {
        cq.ok(ADMIN, T0, &["user", "add", n, "--role", r]);
    }
    for p in ["Jane Roe", "John Doe"] {
        cq.add("ann", T0, p, &["state=NY"]);
    }
    let s = "2";
    for step in [
        vec!["move", s, "start_review"],
        vec!["claim", s],
        vec!["move", s, "complete_intake"],
        vec!["move", s, "send_to_provider"],
    ] {
        cq.ok("ann", T0, &step);
    }
    cq.ok("pat", T0, &["move", s, "begin_review"]);
    cq.ok("pat", T0, &["claim", s]);
    cq
}

fn verify(cq: &Cq, args: &[&str]) -> (bool, String) {
    let mut full = vec!["verify"];
    full.extend_from_slice(args);
    let out = cq.run(ADMIN, T0, &full);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A copy of the database to tamper with, verified by the same harness.
fn copy(cq: &Cq) -> Cq {
    let other = Cq::new(common::default_pipeline());
    std::fs::copy(&cq.db, &other.db).expect("copy");
    other
}

/// Drops the event log's append-only triggers; returns their SQL, so a
/// careful attacker can put them back afterwards.
fn without_triggers(c: &Connection) -> Vec<String> {
    let sql: Vec<String> = c
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN ('events_no_update', 'events_no_delete')")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("trigger sql");
    assert_eq!(sql.len(), 2);
    c.execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
        .expect("drop triggers");
    sql
}

#[test]
fn direct_edits_of_records_and_users_are_each_named() {
    let cq = clinic();
    assert!(verify(&cq, &[]).0);
    for (what, sql, named) in [
        (
            "a patient's name",
            "UPDATE records SET patient = 'Someone Else' WHERE id = 1",
            "record 1: its patient",
        ),
        (
            "a due time",
            "UPDATE records SET due_at = due_at + 86400 WHERE id = 1",
            "record 1: its due",
        ),
        (
            "an entered-at",
            "UPDATE records SET entered_at = entered_at - 3600 WHERE id = 2",
            "record 2: its entered",
        ),
        (
            "a user's roles",
            "UPDATE users SET roles = 'ops,supervisor' WHERE name = 'ann'",
            "user ann: its roles",
        ),
        (
            "a user's enabled flag",
            "UPDATE users SET enabled = 0 WHERE name = 'pat'",
            "user pat: its enabled",
        ),
    ] {
        let t = copy(&cq);
        let c = Connection::open(&t.db).expect("open");
        assert_eq!(c.execute(sql, []).expect(what), 1, "{what}");
        drop(c);
        let (ok, text) = verify(&t, &[]);
        assert!(!ok, "{what} went unseen: {text}");
        assert!(
            text.starts_with("error: ") && text.contains(named),
            "{what}: {text}"
        );
        assert!(!text.contains("Someone Else"), "no patient data: {text}");
    }
}

#[test]
fn a_transition_appended_by_hand_is_named_with_the_rule_it_breaks() {
    let cq = clinic();
    // ann (ops) "approves" record 2 with a valid hash and a consistent row.
    let c = Connection::open(&cq.db).expect("open");
    let tx = c.unchecked_transaction().expect("tx");
    let mut chain = Appender::load(&tx).expect("chain");
    let at: i64 = tx
        .query_row("SELECT max(at) FROM events", [], |r| r.get(0))
        .expect("at");
    let id = chain
        .append(
            &tx,
            &NewEvent {
                record_id: Some(2),
                at,
                actor: "ann",
                event: Some("approve"),
                from: Some("in_review"),
                to: Some("approved"),
                ..NewEvent::blank(EventKind::Transition)
            },
        )
        .expect("append");
    chain.finish(&tx).expect("head");
    tx.execute(
        "UPDATE records SET stage = 'approved', version = version + 1 WHERE id = 2",
        [],
    )
    .expect("row");
    tx.commit().expect("commit");
    drop(c);
    let (ok, text) = verify(&cq, &[]);
    assert!(!ok, "{text}");
    assert!(
        text.contains(&format!("event {id} (record 2)"))
            && text.contains("`ann` (roles: ops) may not fire `approve`"),
        "{text}"
    );
}

/// Rewrites event `target`'s note and recomputes every later hash and the
/// head with carequeue's own chain code, as a script with file access can.
fn rewrite_with_a_recomputed_chain(db: &Path, target: i64) {
    let c = Connection::open(db).expect("open");
    let triggers = without_triggers(&c);
    let tx = c.unchecked_transaction().expect("tx");
    type Row = (
        Option<i64>,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = tx
        .prepare(
            "SELECT record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, op_id
             FROM events WHERE id >= ?1 ORDER BY id",
        )
        .expect("prepare")
        .query_map([target], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
            ))
        })
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let prev = carequeue::store::sqlite::events::hash_at(&tx, target - 1)
        .expect("read")
        .expect("previous hash");
    tx.execute("DELETE FROM events WHERE id >= ?1", [target])
        .expect("cut");
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'chain_head'",
        [&prev],
    )
    .expect("head");
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'chain_count'",
        [(target - 1).to_string()],
    )
    .expect("count");
    let mut chain = Appender::load(&tx).expect("chain");
    for (i, r) in rows.iter().enumerate() {
        let note = if i == 0 {
            Some("rewritten")
        } else {
            r.8.as_deref()
        };
        chain
            .append(
                &tx,
                &NewEvent {
                    record_id: r.0,
                    at: r.1,
                    actor: &r.2,
                    kind: r.3.parse().expect("a kind"),
                    event: r.4.as_deref(),
                    from: r.5.as_deref(),
                    to: r.6.as_deref(),
                    reason: r.7.as_deref(),
                    note,
                    data: r.9.as_deref(),
                    op_id: r.10.as_deref(),
                },
            )
            .expect("re-append");
    }
    chain.finish(&tx).expect("finish");
    for t in &triggers {
        tx.execute_batch(t).expect("restore a trigger");
    }
    tx.commit().expect("commit");
    let check: Option<String> = c
        .query_row("SELECT note FROM events WHERE id = ?1", [target], |r| {
            r.get(0)
        })
        .optional()
        .expect("read back")
        .flatten();
    assert_eq!(check.as_deref(), Some("rewritten"));
}

#[test]
fn a_rewrite_with_a_recomputed_chain_is_caught_only_by_a_checkpoint() {
    let cq = clinic();
    let file = cq.dir.path().join("checkpoints.jsonl");
    let f = file.to_str().expect("utf-8");
    // A checkpoint after every note: the rewritten one is named exactly.
    let mut notes = Vec::new();
    for n in ["first call", "second call", "third call"] {
        cq.ok("ann", T0, &["note", "1", n]);
        let cp: serde_json::Value =
            serde_json::from_str(&cq.ok(ADMIN, T0, &["checkpoint", "--to", f])).expect("json");
        notes.push(cp["events"].as_i64().expect("events"));
    }
    // Later work, then a sparse checkpoint.
    cq.ok("ann", T0, &["note", "2", "later"]);
    let (ok, text) = verify(&cq, &["--checkpoint", f]);
    assert!(
        ok && text.contains("the logs extend all 3 checkpoint(s)"),
        "{text}"
    );

    let target = notes[1];
    rewrite_with_a_recomputed_chain(&cq.db, target);
    let (ok, text) = verify(&cq, &[]);
    assert!(ok, "verify alone cannot see a recomputed chain: {text}");
    let (ok, text) = verify(&cq, &["--checkpoint", f]);
    assert!(!ok, "{text}");
    assert!(
        text.starts_with("error: ")
            && text.contains(&format!("{f}:2:"))
            && text.contains(&format!("event {target} was rewritten")),
        "{text}"
    );
    // The checkpoint line records both heads and when.
    let line: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&file)
            .expect("read")
            .lines()
            .next()
            .expect("a line"),
    )
    .expect("json");
    for k in ["events", "head", "access_events", "access_head", "at"] {
        assert!(!line[k].is_null(), "{k} in {line}");
    }
}

#[test]
fn the_sweep_appends_a_checkpoint_only_when_a_head_moved() {
    let cq = clinic();
    let file = cq.dir.path().join("auto.jsonl");
    let sweep = |now: &str| {
        let out = std::process::Command::new(common::BIN)
            .env("CAREQUEUE_CHECKPOINTS", &file)
            .args([
                "--db",
                cq.db.to_str().expect("utf-8"),
                "--as",
                ADMIN,
                "--now",
                now,
                "sweep",
            ])
            .output()
            .expect("sweep");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let lines = || {
        std::fs::read_to_string(&file)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    sweep(T0);
    assert_eq!(lines(), 1);
    sweep(T0);
    assert_eq!(lines(), 1, "nothing moved, nothing appended");
    cq.ok("ann", T0, &["note", "1", "moved"]);
    sweep(T0);
    assert_eq!(lines(), 2);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let (ok, text) = verify(&cq, &["--checkpoint", file.to_str().expect("utf-8")]);
    assert!(ok, "{text}");
}
