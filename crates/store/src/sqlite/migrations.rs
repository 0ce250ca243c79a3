//! Schema migrations: an append-only list, applied in order and tracked by
//! `PRAGMA user_version`. Never edit a shipped step; add a new one.

use super::{Result, StoreError};
use rusqlite::Connection;

const STEPS: &[&str] = &[
    // 1: records, users, the append-only event log.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        roles TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        patient TEXT NOT NULL,
        stage TEXT NOT NULL,
        substatus TEXT,
        assignee TEXT REFERENCES users(name),
        owner_role TEXT,
        entered_at INTEGER NOT NULL,
        due_at INTEGER,
        warn_at INTEGER,
        paused_since INTEGER,
        paused_left INTEGER,
        sort_due INTEGER NOT NULL,
        escalation INTEGER NOT NULL DEFAULT 0,
        priority INTEGER NOT NULL DEFAULT 0,
        breach_reason TEXT,
        fields TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        timer_at INTEGER,
        notify_role TEXT
    );
    CREATE INDEX records_stage_urgency ON records(stage, sort_due, id);
    CREATE INDEX records_assignee_urgency ON records(assignee, sort_due, id);
    CREATE INDEX records_urgency ON records(sort_due, id);
    CREATE INDEX records_timer ON records(timer_at) WHERE timer_at IS NOT NULL;
    -- The sweep's escalation scan: one tight range per stage and level.
    CREATE INDEX records_escalation ON records(stage, escalation, sort_due) WHERE due_at IS NOT NULL;
    -- Covers the breach panel: breached and at-risk counts by stage and owner.
    CREATE INDEX records_attention ON records(warn_at, stage, sort_due, assignee) WHERE warn_at IS NOT NULL;
    -- Per-stage totals kept current, so the board never recounts the table.
    CREATE TABLE stage_counts (
        stage TEXT PRIMARY KEY,
        total INTEGER NOT NULL DEFAULT 0,
        unassigned INTEGER NOT NULL DEFAULT 0
    );
    CREATE TRIGGER records_count_insert AFTER INSERT ON records BEGIN
        INSERT INTO stage_counts(stage, total, unassigned) VALUES (NEW.stage, 1, NEW.assignee IS NULL)
        ON CONFLICT(stage) DO UPDATE SET total = total + 1, unassigned = unassigned + (NEW.assignee IS NULL);
    END;
    CREATE TRIGGER records_count_update AFTER UPDATE OF stage, assignee ON records BEGIN
        UPDATE stage_counts SET total = total - 1, unassigned = unassigned - (OLD.assignee IS NULL)
        WHERE stage = OLD.stage;
        INSERT INTO stage_counts(stage, total, unassigned) VALUES (NEW.stage, 1, NEW.assignee IS NULL)
        ON CONFLICT(stage) DO UPDATE SET total = total + 1, unassigned = unassigned + (NEW.assignee IS NULL);
    END;
    CREATE TRIGGER records_count_delete AFTER DELETE ON records BEGIN
        UPDATE stage_counts SET total = total - 1, unassigned = unassigned - (OLD.assignee IS NULL)
        WHERE stage = OLD.stage;
    END;
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        record_id INTEGER NOT NULL REFERENCES records(id),
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        event TEXT,
        from_stage TEXT,
        to_stage TEXT,
        reason TEXT,
        note TEXT,
        data TEXT,
        op_id TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX events_record ON events(record_id, id);
    CREATE INDEX events_at ON events(at);
    CREATE UNIQUE INDEX events_op ON events(op_id) WHERE op_id IS NOT NULL;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    "#,
    // 2: the event log, leaner. Hashes are stored as 32 raw bytes rather
    // than 64 hex characters, and each event no longer repeats its
    // predecessor's hash (the chain itself links them; verify recomputes
    // it). `events_at` served no query. Together this halves the size of an
    // event row, which is most of the database, and the time to write or
    // read the log. The hash of every event is unchanged. And an index for
    // the count of a role's own queue.
    r#"
    CREATE TABLE events_v2 (
        id INTEGER PRIMARY KEY,
        record_id INTEGER NOT NULL REFERENCES records(id),
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        event TEXT,
        from_stage TEXT,
        to_stage TEXT,
        reason TEXT,
        note TEXT,
        data TEXT,
        op_id TEXT,
        hash BLOB NOT NULL
    );
    INSERT INTO events_v2 (id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, op_id, hash)
        SELECT id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, op_id,
               coalesce(unhex(hash), hash)
        FROM events ORDER BY id;
    DROP TABLE events;
    ALTER TABLE events_v2 RENAME TO events;
    CREATE INDEX events_record ON events(record_id, id);
    CREATE UNIQUE INDEX events_op ON events(op_id) WHERE op_id IS NOT NULL;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    -- A role's own queue (mine or unclaimed, in my stages or notified to my
    -- role) is counted from this index alone, without a row lookup each.
    CREATE INDEX records_owner_queue ON records(assignee, stage, notify_role);
    "#,
    // 3: access that holds. Events may stand without a record (users,
    // roles, the pipeline, the trust mode are logged too), so `record_id`
    // becomes optional; users are linked to an OS login and can be
    // disabled; the database keeps the pipeline texts it has run under; PHI
    // reads go to an access log of their own, append-only and hash-chained
    // like the event log.
    r#"
    CREATE TABLE events_v3 (
        id INTEGER PRIMARY KEY,
        record_id INTEGER REFERENCES records(id),
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        event TEXT,
        from_stage TEXT,
        to_stage TEXT,
        reason TEXT,
        note TEXT,
        data TEXT,
        op_id TEXT,
        hash BLOB NOT NULL
    );
    INSERT INTO events_v3 SELECT id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, op_id, hash
        FROM events ORDER BY id;
    DROP TABLE events;
    ALTER TABLE events_v3 RENAME TO events;
    CREATE INDEX events_record ON events(record_id, id);
    CREATE UNIQUE INDEX events_op ON events(op_id) WHERE op_id IS NOT NULL;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    ALTER TABLE users ADD COLUMN login TEXT;
    ALTER TABLE users ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
    CREATE UNIQUE INDEX users_login ON users(login) WHERE login IS NOT NULL;
    CREATE TABLE pipelines (
        version INTEGER PRIMARY KEY,
        hash TEXT NOT NULL,
        text TEXT NOT NULL,
        event_id INTEGER NOT NULL REFERENCES events(id)
    );
    CREATE TABLE access_log (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        record_id INTEGER,
        detail TEXT,
        hash BLOB NOT NULL
    );
    CREATE INDEX access_record ON access_log(record_id, id) WHERE record_id IS NOT NULL;
    CREATE INDEX access_actor ON access_log(actor, id);
    CREATE TRIGGER access_no_update BEFORE UPDATE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
    CREATE TRIGGER access_no_delete BEFORE DELETE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
    "#,
    // 4: pipelines change. `pipeline apply` re-times open records from the
    // pauses of their current stay: found in this small index (pauses are
    // a few events in a hundred) instead of among all of a record's events.
    r#"
    CREATE INDEX events_pauses ON events(record_id, id, at, kind) WHERE kind IN ('pause', 'resume');
    "#,
    // 5: the console sorts and searches. Each order has a table-wide index
    // and one per stage; patient names get a trigram full-text index with
    // letter case and accents folded (`grunewald` finds Grünewald), kept
    // by triggers. Records are never deleted, and their names change only
    // through an UPDATE OF patient.
    r#"
    CREATE INDEX records_age ON records(entered_at);
    CREATE INDEX records_stage_age ON records(stage, entered_at);
    CREATE INDEX records_patient ON records(patient COLLATE NOCASE);
    CREATE INDEX records_stage_patient ON records(stage, patient COLLATE NOCASE);
    CREATE INDEX records_stage_id ON records(stage);
    CREATE VIRTUAL TABLE records_fts USING fts5(
        patient, content = 'records', content_rowid = 'id',
        tokenize = 'trigram remove_diacritics 1');
    INSERT INTO records_fts(records_fts) VALUES ('rebuild');
    CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN
        INSERT INTO records_fts(rowid, patient) VALUES (new.id, new.patient);
    END;
    CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN
        INSERT INTO records_fts(records_fts, rowid, patient) VALUES ('delete', old.id, old.patient);
    END;
    CREATE TRIGGER records_fts_update AFTER UPDATE OF patient ON records BEGIN
        INSERT INTO records_fts(records_fts, rowid, patient) VALUES ('delete', old.id, old.patient);
        INSERT INTO records_fts(rowid, patient) VALUES (new.id, new.patient);
    END;
    -- Each user's saved console views: preferences, outside the event chain.
    CREATE TABLE user_views (
        user TEXT NOT NULL,
        name TEXT NOT NULL,
        base TEXT NOT NULL,
        stage TEXT,
        filter TEXT NOT NULL,
        sort TEXT NOT NULL,
        owner TEXT NOT NULL,
        columns TEXT NOT NULL,
        saved_at INTEGER NOT NULL,
        PRIMARY KEY (user, name)
    ) WITHOUT ROWID;
    "#,
    // 6: the keypress reads of issue 26. A record handed to a role by an
    // escalation (`owner_role`) is found on an index of its own, which
    // also holds what a queue's count and the board test (stage, owner,
    // clock), so a role's My Queue no longer reads every unassigned record
    // of its stages to find the few handed to it, nor those few to count them. The stage-and-patient index
    // carries the clock's times (after the id, so it still serves the
    // patient order): a short name word under a stage and any SLA state is
    // counted, paged and counted for the board from the index alone.
    r#"
    CREATE INDEX records_owner_role ON records(owner_role, sort_due, id,
        stage, assignee, warn_at, due_at, paused_since, paused_left) WHERE owner_role IS NOT NULL;
    DROP INDEX records_stage_patient;
    CREATE INDEX records_stage_patient ON records(stage, patient COLLATE NOCASE, id,
        warn_at, sort_due, due_at, paused_since, paused_left);
    "#,
    // 7: webhook delivery. Per target a cursor into the event feed and a
    // message per event it wants (its body is made again from the log on
    // each attempt), and the lease that lets one deliverer send. The last
    // error is a status or an error class, never a response body.
    r#"
    CREATE TABLE delivery_cursors (
        target TEXT PRIMARY KEY,
        seq INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE deliveries (
        target TEXT NOT NULL,
        seq INTEGER NOT NULL REFERENCES events(id),
        record_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        first_failed_at INTEGER,
        last_error TEXT CHECK (length(last_error) <= 80),
        delivered_at INTEGER,
        PRIMARY KEY (target, seq)
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_due ON deliveries(next_at, seq) WHERE status = 'pending';
    CREATE INDEX deliveries_open ON deliveries(target, record_id, seq) WHERE status <> 'delivered';
    CREATE TABLE delivery_lease (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        holder TEXT NOT NULL,
        expires INTEGER NOT NULL
    );
    "#,
    // 8: early SLA warnings (issue 24): the working time into the stay of
    // the last warning fired, and when the next is due, on an index the
    // sweep reads.
    r#"
    ALTER TABLE records ADD COLUMN warned INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE records ADD COLUMN warning_at INTEGER;
    CREATE INDEX records_warning ON records(warning_at, id) WHERE warning_at IS NOT NULL;
    "#,
    // 9: stays kept current (issue 25): one row per visit of a record to a
    // stage, rewritten in the transaction of every event about the record
    // (the trigger marks it; the commit settles it). Built under the
    // pipeline `meta.stays_key` names; none yet, so the first writer
    // builds them (see `sqlite::stays`).
    r#"
    CREATE TABLE stays (
        record_id INTEGER NOT NULL,
        visit INTEGER NOT NULL,
        stage TEXT,
        entered_at INTEGER NOT NULL,
        left_at INTEGER,
        working INTEGER,
        paused INTEGER NOT NULL,
        paused_since INTEGER,
        owner_acted INTEGER,
        paused_after_action INTEGER NOT NULL,
        assigned INTEGER NOT NULL,
        re_entry INTEGER NOT NULL,
        ever_active INTEGER NOT NULL,
        ack TEXT,
        exit_kind TEXT,
        exit_from TEXT,
        exit_to TEXT,
        exit_reason TEXT,
        events INTEGER NOT NULL,
        PRIMARY KEY (record_id, visit)
    ) WITHOUT ROWID;
    CREATE TABLE stays_dirty (record_id INTEGER PRIMARY KEY);
    CREATE TRIGGER events_stays AFTER INSERT ON events WHEN NEW.record_id IS NOT NULL BEGIN
        INSERT OR IGNORE INTO stays_dirty(record_id) VALUES (NEW.record_id);
    END;
    "#,
];

/// The schema step this carequeue writes.
pub fn known() -> i64 {
    STEPS.len() as i64
}

/// The first step at which a database holds its pipeline; every step
/// after it only adds, so it is applied by any writable open.
pub const HOLDS_PIPELINE: i64 = 3;

pub fn apply(conn: &mut Connection) -> Result<()> {
    let known = known();
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    if found == known {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Another process may have migrated while we waited for the lock.
    let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, step) in STEPS.iter().enumerate().skip(found.max(0) as usize) {
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
#[path = "migrations_tests.rs"]
mod tests;
