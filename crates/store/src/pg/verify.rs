//! `verify` on PostgreSQL. In one read-only REPEATABLE READ snapshot:
//! the server-side guards are checked where they live (the logs' append-
//! only triggers, and each event's actor against the login the server
//! recorded for it, so a client that bypasses carequeue is named), then
//! the data is copied into a private in-memory SQLite snapshot and the
//! same checks as on SQLite run there: SQLite's own (the hash chains and
//! their heads, the trust mode), then the caller's checker of the business
//! rules (every record against the replay of its events, each event
//! against the pipeline then in force and its actor's roles). One verifier
//! for both stores, so they cannot come to disagree.

use super::copy::{TABLES, to_sqlite};

use crate::events::hex;
use crate::sqlite::{Store, meta_set};
use crate::verify::{Problem, Problems, Verdict, Verifier};

/// What verify found (the server's own problems among the rest), and the
/// snapshot it checked (for the checkpoints, which are compared against
/// the same rows).
pub struct Verified {
    pub verdict: Verdict,
    pub snapshot: Store,
    /// Events that `migrate` brought from SQLite (their logins are empty).
    pub migrated_events: i64,
}

/// Verifies the database `c` is connected to.
pub fn run(c: &mut postgres::Client, check: Verifier) -> crate::Result<Verified> {
    // A login other than the owner reads the notes and patients it hashes
    // under an access entry of its own, committed first (schema step 3).
    if !super::schema::owns(c)? {
        c.query_one(
            "SELECT carequeue.log_access('verify', NULL, 'the whole log checked')",
            &[],
        )?;
    }
    let mut tx = c
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    tx.batch_execute("SET LOCAL search_path = carequeue, pg_temp")?;
    in_tx(&mut tx, check)
}

/// [`run`] inside the caller's transaction (`migrate` verifies what it
/// copied before it commits).
pub fn in_tx(tx: &mut postgres::Transaction, check: Verifier) -> crate::Result<Verified> {
    let meta: Vec<(String, String)> = tx
        .query("SELECT key, value FROM meta ORDER BY key", &[])?
        .iter()
        .map(|r| Ok((super::col(r, 0)?, super::col(r, 1)?)))
        .collect::<crate::Result<_>>()?;
    let count = |k: &str| -> i64 {
        meta.iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0)
    };
    let (migrated_events, migrated_access) = (count("migrated_events"), count("migrated_access"));
    let mut server = Problems::default();
    triggers(tx, &mut server)?;
    logins(tx, "events", migrated_events, &mut server)?;
    logins(tx, "access_log", migrated_access, &mut server)?;
    let snapshot = load(tx, &meta)?;
    let mut verdict = check(&snapshot)?;
    server.extend(std::mem::take(&mut verdict.problems));
    verdict.problems = server;
    Ok(Verified {
        verdict,
        snapshot,
        migrated_events,
    })
}

/// The triggers that keep both logs append-only, their owner included.
fn triggers(tx: &mut postgres::Transaction, found: &mut Problems) -> crate::Result<()> {
    for (name, table, when) in [
        ("events_append_only", "events", "BEFORE DELETE OR UPDATE"),
        ("events_no_truncate", "events", "BEFORE TRUNCATE"),
        (
            "access_append_only",
            "access_log",
            "BEFORE DELETE OR UPDATE",
        ),
        ("access_no_truncate", "access_log", "BEFORE TRUNCATE"),
    ] {
        let row = tx.query_opt(
            "SELECT t.tgenabled::text, pg_get_triggerdef(t.oid) FROM pg_trigger t
                 JOIN pg_class c ON c.oid = t.tgrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'carequeue' AND c.relname = $1 AND t.tgname = $2",
            &[&table, &name],
        )?;
        let ok = row.is_some_and(|r| {
            let (enabled, def): (String, String) = (
                r.try_get(0).unwrap_or_default(),
                r.try_get(1).unwrap_or_default(),
            );
            enabled != "D" && def.contains(when) && def.contains("append_only()")
        });
        if !ok {
            found.push(Problem::Trigger(name));
        }
    }
    Ok(())
}

/// Each entry after the migrated ones against the login the server
/// recorded for it: that login must be linked to the entry's actor.
fn logins(
    tx: &mut postgres::Transaction,
    table: &str,
    migrated: i64,
    found: &mut Problems,
) -> crate::Result<()> {
    let (record, wrong) = if table == "events" {
        // The sweep's events are the system's, written by the login of an
        // enabled user who ran it.
        (
            "e.record_id",
            "CASE WHEN e.actor = 'system' THEN u.name IS NULL ELSE u.name IS DISTINCT FROM e.actor END",
        )
    } else {
        ("NULL::bigint", "u.name IS DISTINCT FROM e.actor")
    };
    // Every one: one bad entry does not hide the next.
    let rows = tx.query(
        &format!(
            "SELECT e.id, coalesce({record}, 0), e.login, e.actor, u.name FROM {table} e
                 LEFT JOIN users u ON u.login = e.login AND e.login <> ''
                 WHERE (e.id > $1 AND {wrong})
                    OR (e.id <= $1 AND e.login <> '')
                 ORDER BY e.id"
        ),
        &[&migrated],
    )?;
    for r in &rows {
        found.push(login_problem(table, migrated, r)?);
    }
    Ok(())
}

/// What a row of [`logins`] says.
fn login_problem(table: &str, migrated: i64, r: &postgres::Row) -> crate::Result<Problem> {
    let (id, rec, login, actor, user): (i64, i64, String, String, Option<String>) = (
        super::col(r, 0)?,
        super::col(r, 1)?,
        super::col(r, 2)?,
        super::col(r, 3)?,
        super::col(r, 4)?,
    );
    let clean = carequeue_core::text::clean;
    let what = if id <= migrated {
        format!(
            "carries login `{}`, but it is among the events migrated from SQLite, which carry none",
            clean(&login)
        )
    } else if login.is_empty() {
        format!("by `{}` with no login recorded", clean(&actor))
    } else {
        format!(
            "by `{}`, but written by login `{}`, which acts as {}: a client wrote as someone else",
            clean(&actor),
            clean(&login),
            user.map_or("no carequeue user".into(), |u| format!("`{}`", clean(&u)))
        )
    };
    Ok(if table == "events" {
        Problem::Event {
            id,
            record: rec,
            what,
        }
    } else {
        Problem::Access(format!("access entry {id}: {what}"))
    })
}

/// The tables, `meta` and the chains' heads into a fresh in-memory SQLite
/// database, as SQLite keeps them.
fn load(tx: &mut postgres::Transaction, meta: &[(String, String)]) -> crate::Result<Store> {
    let store = Store::scratch()?;
    let conn = store.conn();
    let stx = conn.unchecked_transaction()?;
    // The server's stays and marks are copied as they are: the snapshot
    // marks nothing itself.
    conn.execute_batch("DROP TRIGGER IF EXISTS events_stays")?;
    for t in TABLES {
        to_sqlite(tx, conn, t)?;
    }
    // The server's kept counts, not the snapshot's own: the replay
    // checks them against the records.
    conn.execute("DELETE FROM stage_counts", [])?;
    for r in tx.query("SELECT stage, total, unassigned FROM stage_counts", &[])? {
        let (stage, total, unassigned): (String, i64, i64) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        conn.execute(
            "INSERT INTO stage_counts (stage, total, unassigned) VALUES (?1, ?2, ?3)",
            rusqlite::params![stage, total, unassigned],
        )?;
    }
    let set = |k: &str, v: &str| meta_set(conn, k, v);
    for (k, v) in meta {
        match k.as_str() {
            "schema_step" | "migrated_events" | "migrated_access" => {}
            "trust" => set("trust", if v == "true" { "1" } else { "0" })?,
            _ => set(k, v)?,
        }
    }
    for r in tx.query("SELECT name, length, head FROM chains", &[])? {
        let (name, length, head): (String, i64, Vec<u8>) =
            (super::col(&r, 0)?, super::col(&r, 1)?, super::col(&r, 2)?);
        let (count, at) = match name.as_str() {
            "events" => ("chain_count", "chain_head"),
            "access" => ("access_count", "access_head"),
            _ => continue,
        };
        set(count, &length.to_string())?;
        if !head.is_empty() {
            set(at, &hex(&head))?;
        }
    }
    stx.commit()?;
    Ok(store)
}
