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
];

pub fn apply(conn: &mut Connection) -> Result<()> {
    let known = STEPS.len() as i64;
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
