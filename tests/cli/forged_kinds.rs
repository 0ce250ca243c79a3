//! `verify` against an event of each kind forged by hand on SQLite: a
//! script with write access to the file appends it with a correct hash
//! (carequeue's own chain code), so only the rules can name it. Each is
//! named with the rule it breaks; three forged into one log are all named.

use crate::common::forged::{by, forgeries};
use crate::common::{self, ADMIN, Cq};
use carequeue::log::EventKind;
use carequeue::store::events::NewEvent;
use carequeue::store::sqlite::events::Appender;
use rusqlite::Connection;

const T0: &str = "2026-11-30T14:00:00Z";

/// ann (ops), pat and lee (providers); record 1 just created by ann, record 2 at
/// `in_review` held by pat.
fn clinic() -> Cq {
    let cq = Cq::init_default(T0);
    for (n, r) in [("ann", "ops"), ("pat", "provider"), ("lee", "provider")] {
        cq.ok(ADMIN, T0, &["user", "add", n, "--role", r]);
    }
    for p in ["Jane Roe", "John Doe"] {
        cq.add("ann", T0, p, &["state=NY"]);
    }
    for step in [
        vec!["move", "2", "start_review"],
        vec!["claim", "2"],
        vec!["move", "2", "complete_intake"],
        vec!["move", "2", "send_to_provider"],
    ] {
        cq.ok("ann", T0, &step);
    }
    cq.ok("pat", T0, &["move", "2", "begin_review"]);
    cq.ok("pat", T0, &["claim", "2"]);
    cq
}

/// Appends each of `events` with a correct hash, dated `shift` seconds
/// after the log's latest event: their ids.
fn forge(cq: &Cq, events: &[NewEvent], shift: i64) -> Vec<i64> {
    let c = Connection::open(&cq.db).expect("open");
    let tx = c.unchecked_transaction().expect("tx");
    let latest: i64 = tx
        .query_row("SELECT max(at) FROM events", [], |r| r.get(0))
        .expect("at");
    // A create of a record that is not there comes with its row (a copy
    // of record 1's, at the event's stage), as a forger would write it.
    for e in events {
        if let (EventKind::Create, Some(id), Some(stage)) = (e.kind, e.record_id, e.to) {
            tx.execute_batch(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS forged AS SELECT * FROM records WHERE 0;
                 INSERT INTO forged SELECT * FROM records WHERE id = 1;
                 UPDATE forged SET id = {id}, stage = '{stage}';
                 INSERT OR IGNORE INTO records SELECT * FROM forged;
                 DELETE FROM forged;"
            ))
            .expect("the record's row");
        }
    }
    let mut chain = Appender::load(&tx).expect("chain");
    let ids = events
        .iter()
        .map(|e| {
            let e = NewEvent {
                at: latest + shift,
                ..e.clone()
            };
            chain.append(&tx, &e).expect("append")
        })
        .collect();
    chain.finish(&tx).expect("head");
    tx.commit().expect("commit");
    ids
}

fn verify(cq: &Cq) -> (bool, String) {
    let out = cq.run(ADMIN, T0, &["verify"]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn an_event_of_each_kind_forged_with_a_correct_hash_is_named() {
    let base = clinic();
    let (ok, text) = verify(&base);
    assert!(ok, "the clinic verifies: {text}");
    for (what, e, named) in forgeries() {
        let cq = Cq::new(common::default_pipeline());
        std::fs::copy(&base.db, &cq.db).expect("copy");
        let ids = forge(&cq, std::slice::from_ref(&e), 1);
        let (ok, text) = verify(&cq);
        assert!(!ok, "{what} went unseen: {text}");
        assert!(
            text.contains(&format!("event {} (record ", ids[0])) && text.contains(named),
            "{what}: expected event {} named with `{named}`:\n{text}",
            ids[0]
        );
        assert!(!text.contains("Someone Else"), "no patient data: {text}");
    }
}

#[test]
fn a_note_dated_before_the_event_it_follows_is_named() {
    let cq = clinic();
    let ids = forge(
        &cq,
        &[NewEvent {
            note: Some("from the past"),
            ..by("ann", EventKind::Note, 1)
        }],
        -3600,
    );
    let (ok, text) = verify(&cq);
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("event {}", ids[0])), "{text}");
}

#[test]
fn three_forged_events_are_all_named() {
    let cq = clinic();
    let picked: Vec<NewEvent> = forgeries()
        .into_iter()
        .filter(|(what, _, _)| {
            [
                "a provider's decision by ops",
                "an empty note",
                "a note by someone who is no user",
            ]
            .contains(what)
        })
        .map(|(_, e, _)| e)
        .collect();
    assert_eq!(picked.len(), 3);
    let ids = forge(&cq, &picked, 1);
    let (ok, text) = verify(&cq);
    assert!(!ok, "{text}");
    for id in &ids {
        assert!(text.contains(&format!("event {id}")), "event {id}: {text}");
    }
}
