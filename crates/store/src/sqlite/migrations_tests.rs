//! The migrations' own tests: each step taken by a database an earlier
//! carequeue left, its records and chain intact.

use super::*;
use crate::events::{EventRow, GENESIS};
use crate::sqlite::{meta_get, meta_set};

fn event(id: i64, prev: &str, note: Option<&str>) -> EventRow {
    let mut e = EventRow {
        id,
        record_id: Some(1),
        at: 1_700_000_000 + id,
        actor: "sam".into(),
        kind: if id == 1 {
            crate::events::EventKind::Create
        } else {
            crate::events::EventKind::Note
        }
        .into(),
        event: None,
        from: None,
        to: (id == 1).then(|| "new".into()),
        reason: None,
        note: note.map(str::to_string),
        data: None,
        hash: String::new(),
    };
    e.hash = e.expected_hash(prev);
    e
}

/// A database written by step 1 (hex hashes, `prev_hash`, `events_at`)
/// keeps every event and its chain through step 2.
#[test]
fn step_two_keeps_the_chain_of_a_step_one_log() -> Result<()> {
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(STEPS[0])?;
    conn.pragma_update(None, "user_version", 1)?;
    conn.execute_batch(
        "INSERT INTO users VALUES ('sam', 'ops', 0);
         INSERT INTO records (id, patient, stage, entered_at, sort_due, created_at, updated_at)
             VALUES (1, 'x', 'new', 0, 0, 0, 0);",
    )?;
    let mut prev = GENESIS.to_string();
    let mut written = Vec::new();
    for (id, note) in [(1, None), (2, Some("called")), (3, Some(""))] {
        let e = event(id, &prev, note);
        conn.execute(
            "INSERT INTO events (id, record_id, at, actor, kind, to_stage, note, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![
                e.id,
                e.record_id,
                e.at,
                e.actor,
                e.kind.as_str(),
                e.to,
                e.note,
                prev,
                e.hash
            ],
        )?;
        prev = e.hash.clone();
        written.push(e);
    }
    meta_set(&conn, "chain_head", &prev)?;
    meta_set(&conn, "chain_count", "3")?;

    apply(&mut conn)?;

    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    assert_eq!(version, STEPS.len() as i64);
    let mut st = conn.prepare(&format!(
        "SELECT {} FROM events ORDER BY id",
        crate::sqlite::events::COLUMNS
    ))?;
    let read: Vec<EventRow> = st
        .query_map([], crate::sqlite::events::row)?
        .collect::<rusqlite::Result<_>>()?;
    assert_eq!(read, written, "every event and its hash survive");
    let blobs: i64 = conn.query_row(
        "SELECT count(*) FROM events WHERE typeof(hash) = 'blob' AND length(hash) = 32",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(blobs, 3, "hashes are stored as 32 raw bytes");
    assert_eq!(
        meta_get(&conn, "chain_head")?.as_deref(),
        Some(prev.as_str())
    );
    let left: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE tbl_name = 'events' AND type IN ('index', 'trigger') ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    assert_eq!(
        left,
        [
            "events_no_delete",
            "events_no_update",
            "events_op",
            "events_pauses",
            "events_record",
            "events_stays"
        ]
    );
    let refused = conn.execute("DELETE FROM events WHERE id = 3", []);
    assert!(refused.is_err(), "the log stays append-only");
    Ok(())
}

#[test]
fn a_database_that_holds_its_pipeline_takes_later_steps_on_open() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("step3.db");
    {
        let store = crate::Store::create(&path)?;
        // As an earlier round left it: step 3, without the objects of
        // steps 4 to 9.
        store.conn().execute_batch(
            "DROP TRIGGER events_stays; DROP TABLE stays_dirty; DROP TABLE stays;
             DROP INDEX records_warning;
             ALTER TABLE records DROP COLUMN warning_at;
             ALTER TABLE records DROP COLUMN warned;
             DROP TABLE delivery_cursors; DROP TABLE deliveries; DROP TABLE delivery_lease;
             DROP INDEX records_owner_role;
             DROP INDEX events_pauses;
             DROP INDEX records_age; DROP INDEX records_stage_age;
             DROP INDEX records_patient; DROP INDEX records_stage_patient;
             DROP INDEX records_stage_id;
             DROP TRIGGER records_fts_insert; DROP TRIGGER records_fts_delete;
             DROP TRIGGER records_fts_update; DROP TABLE records_fts;
             DROP TABLE user_views;
             PRAGMA user_version = 3;",
        )?;
    }
    let store = crate::Store::open(&path)?;
    let version: i64 = store
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))?;
    assert_eq!(version, known());
    let index: i64 = store.conn().query_row(
        "SELECT count(*) FROM sqlite_master WHERE name = 'events_pauses'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(index, 1);
    let objects: i64 = store.conn().query_row(
        "SELECT count(*) FROM sqlite_master WHERE name IN ('records_fts', 'records_patient', 'records_fts_insert')",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(objects, 3, "step 5 is taken too");
    Ok(())
}

/// A database an earlier round left at step 5 takes step 6 on open:
/// the index of the records handed to a role, and the stage-and-patient
/// index with the warn and due times; its records and counts unchanged,
/// and the queries that need the new indexes served by them.
#[test]
fn a_step_five_database_takes_the_keypress_indexes_on_open() -> Result<()> {
    use crate::filter::{ListFilter, OwnerFilter, SlaFilter};
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("step5.db");
    {
        let store = crate::Store::create(&path)?;
        store.conn().execute_batch(
            "DROP TRIGGER events_stays; DROP TABLE stays_dirty; DROP TABLE stays;
             DROP INDEX records_warning;
             ALTER TABLE records DROP COLUMN warning_at;
             ALTER TABLE records DROP COLUMN warned;
             DROP TABLE delivery_cursors; DROP TABLE deliveries; DROP TABLE delivery_lease;
             DROP INDEX records_owner_role;
             DROP INDEX records_stage_patient;
             CREATE INDEX records_stage_patient ON records(stage, patient COLLATE NOCASE);
             PRAGMA user_version = 5;
             INSERT INTO records (id, patient, stage, owner_role, entered_at, warn_at, sort_due, created_at, updated_at)
             VALUES (1, 'Ann Nguyen', 'a', 'supervisor', 0, 10, 20, 0, 0),
                    (2, 'Bo Nash', 'a', NULL, 0, 10, 20, 0, 0),
                    (3, 'Cy Nguyen', 'b', 'provider', 0, 500, 900, 0, 0);",
        )?;
    }
    let store = crate::Store::open(&path)?;
    let version: i64 = store
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))?;
    assert_eq!(version, known());
    let sql = |name: &str| -> Result<String> {
        Ok(store.conn().query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
            [name],
            |r| r.get(0),
        )?)
    };
    assert!(
        sql("records_owner_role")?
            .contains("paused_since, paused_left) WHERE owner_role IS NOT NULL"),
        "{}",
        sql("records_owner_role")?
    );
    assert!(
        sql("records_stage_patient")?
            .contains("warn_at, sort_due, due_at, paused_since, paused_left)"),
        "{}",
        sql("records_stage_patient")?
    );
    let handed = ListFilter {
        stages: Some(vec!["a".into(), "b".into()]),
        owner: OwnerFilter::UserOrUnassigned("kim".into()),
        roles: vec!["supervisor".into()],
        limit: Some(200),
        ..Default::default()
    };
    let (q, args) = handed.select_sql(100);
    let plan = store.query_plan(&q, &args)?.join(" | ");
    assert!(plan.contains("records_owner_role"), "{plan}");
    let rows = store.list(&handed, 100)?;
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [1]);
    assert_eq!(store.count(&handed, 100)?, 1);
    let short = ListFilter {
        stages: Some(vec!["a".into(), "b".into()]),
        sla: SlaFilter::Attention,
        text: Some("n".into()),
        limit: Some(200),
        ..Default::default()
    };
    let (q, args) = short.count_sql(100);
    let plan = store.query_plan(&q, &args)?.join(" | ");
    assert!(
        plan.contains("COVERING INDEX records_stage_patient"),
        "{plan}"
    );
    assert_eq!(store.count(&short, 100)?, 0, "no name starts with n");
    let short = ListFilter {
        text: Some("b".into()),
        ..short
    };
    assert_eq!(store.count(&short, 100)?, 1);
    Ok(())
}

/// A database an earlier round left at step 6 takes step 7 on open: the
/// delivery tables, empty; its events queued for a target from there,
/// one deliverer at a time, a record's later message held behind its
/// earlier one until that is delivered.
#[test]
fn a_step_six_database_takes_the_delivery_tables_on_open() -> Result<()> {
    use crate::outbox::{Lease, Outbox, Outcome, Status};
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("step6.db");
    {
        let store = crate::Store::create(&path)?;
        store.conn().execute_batch(
            "DROP TRIGGER events_stays; DROP TABLE stays_dirty; DROP TABLE stays;
             DROP INDEX records_warning;
             ALTER TABLE records DROP COLUMN warning_at;
             ALTER TABLE records DROP COLUMN warned;
             DROP TABLE delivery_cursors; DROP TABLE deliveries; DROP TABLE delivery_lease;
             PRAGMA user_version = 6;
             INSERT INTO records (id, patient, stage, entered_at, sort_due, created_at, updated_at)
             VALUES (1, 'x', 'a', 0, 0, 0, 0), (2, 'y', 'a', 0, 0, 0, 0);
             INSERT INTO events (id, record_id, at, actor, kind, hash) VALUES
               (1, 1, 0, 'sam', 'create', x'00'), (2, 2, 0, 'sam', 'create', x'00'),
               (3, 1, 0, 'sam', 'note', x'00'), (4, NULL, 0, 'sam', 'user', x'00');",
        )?;
    }
    let mut store = crate::Store::open(&path)?;
    let version: i64 = store
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))?;
    assert_eq!(version, known());
    assert_eq!(store.delivery_cursor("ehr")?, None);
    // One deliverer at a time; an expired lease is taken over.
    assert_eq!(
        store.take_lease("a", 100, 30)?,
        Lease::Mine { expires: 130 }
    );
    assert_eq!(
        store.take_lease("b", 110, 30)?,
        Lease::Theirs {
            holder: "a".into(),
            expires: 130
        }
    );
    assert!(store.enqueue("b", "ehr", None, 3, &[1], 110).is_err());
    assert_eq!(
        store.take_lease("b", 131, 30)?,
        Lease::Mine { expires: 161 }
    );
    assert!(
        store.enqueue("b", "ehr", None, 4, &[4], 131).is_err(),
        "an event of no record is never queued"
    );
    store.enqueue("b", "ehr", None, 3, &[1, 2, 3], 131)?;
    assert_eq!(store.delivery_cursor("ehr")?, Some(3));
    assert!(
        store.enqueue("b", "ehr", None, 4, &[], 131).is_err(),
        "a cursor that moved meanwhile refuses"
    );
    let ehr = vec![String::from("ehr")];
    assert!(
        store.due(131, &[String::from("gone")], 10)?.is_empty(),
        "only the named targets' messages"
    );
    let due: Vec<i64> = store.due(131, &ehr, 10)?.iter().map(|d| d.seq).collect();
    assert_eq!(due, [1, 2], "record 1's note waits behind its create");
    store.settle(
        "b",
        "ehr",
        1,
        &Outcome::Failed {
            error: "HTTP 500 <html>".into(),
            next_at: 200,
        },
        131,
    )?;
    // Several at once: all or none (a deliverer that lost the lease, or
    // a message settled already, records nothing of the batch).
    let batch = |seq: i64| vec![(String::from("ehr"), seq, Outcome::Delivered, 131)];
    assert!(
        store.settle_all("a", &batch(2), 131).is_err(),
        "not the holder"
    );
    let mut both = batch(2);
    both.extend(batch(99));
    assert!(
        store.settle_all("b", &both, 131).is_err(),
        "no message 99 is queued"
    );
    assert_eq!(
        store
            .due(131, &ehr, 10)?
            .iter()
            .map(|d| d.seq)
            .collect::<Vec<_>>(),
        [2]
    );
    store.settle_all("b", &batch(2), 131)?;
    assert!(
        store
            .settle("b", "ehr", 2, &Outcome::Delivered, 131)
            .is_err(),
        "only a pending message is settled"
    );
    assert!(store.due(150, &ehr, 10)?.is_empty());
    let failed = store.deliveries(&crate::outbox::DeliveryFilter {
        failed: true,
        target: None,
        limit: 10,
    })?;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_error.as_deref(), Some("HTTP 500 html"));
    assert_eq!(failed[0].first_failed_at, Some(131));
    store.settle(
        "b",
        "ehr",
        1,
        &Outcome::Dead {
            error: "HTTP 410".into(),
        },
        131,
    )?;
    assert!(
        store.due(300, &ehr, 10)?.is_empty(),
        "a dead message holds its record's next"
    );
    assert_eq!(store.troubles()?[0].dead, 1);
    assert_eq!(store.requeue("ehr", None, 300)?, 1);
    let d = &store.due(300, &ehr, 10)?[0];
    assert_eq!((d.seq, d.status, d.attempts), (1, Status::Pending, 2));
    assert!(store.troubles()?.is_empty());
    Ok(())
}

#[test]
fn a_step_seven_database_takes_the_warning_columns_on_open() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("step7.db");
    {
        let store = crate::Store::create(&path)?;
        store.conn().execute_batch(
            "DROP TRIGGER events_stays; DROP TABLE stays_dirty; DROP TABLE stays;
             DROP INDEX records_warning;
             ALTER TABLE records DROP COLUMN warning_at;
             ALTER TABLE records DROP COLUMN warned;
             PRAGMA user_version = 7;
             INSERT INTO records (id, patient, stage, entered_at, due_at, warn_at, sort_due, created_at, updated_at)
             VALUES (1, 'Ann Nguyen', 'a', 0, 20, 10, 20, 0, 0);",
        )?;
    }
    let store = crate::Store::open(&path)?;
    let version: i64 = store
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))?;
    assert_eq!(version, known());
    // The record reads back with no warning fired and none due (its
    // pipeline, from before warnings, had none), and the sweep's index is
    // there and used.
    let r = crate::sqlite::records::load(store.conn(), 1)?;
    assert_eq!((r.warned, r.warning_at), (0, None));
    let plan: String = store.conn().query_row(
        &format!(
            "EXPLAIN QUERY PLAN {}",
            *crate::sqlite::due::WARNINGS_DUE_SQL
        ),
        rusqlite::params![100, i64::MIN, i64::MIN, 10],
        |r| r.get(3),
    )?;
    assert!(plan.contains("records_warning"), "{plan}");
    Ok(())
}
