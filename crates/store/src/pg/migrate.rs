//! `migrate`: a SQLite database into PostgreSQL, whole, in one transaction
//! on the server: the schema (if the database has none yet), every table
//! by `COPY`, the chains' heads, `meta`, and each user's login granted the
//! database's member role (admins the admin role too). The copy is
//! verified inside that transaction before it commits, so a target either
//! holds a database that verifies with the source's heads, or nothing.

use super::copy::{TABLES, to_pg, unhex};

use super::schema;
use super::verify::{Verified, in_tx};
use crate::StoreError;
use crate::events::GENESIS;
use crate::sqlite::{Store, meta_get, setup};
use crate::verify::Verifier;

/// What a migration copied and linked.
pub struct Migrated {
    /// Rows per table, in copy order.
    pub copied: Vec<(&'static str, i64)>,
    /// Users whose login exists on the server: now members (and admins).
    pub linked: Vec<(String, String)>,
    /// Users with a login the server does not have (create it, then grant
    /// the member role), or with none.
    pub unlinked: Vec<String>,
    /// The target's verify, after the copy and before the commit.
    pub verified: Verified,
}

/// Copies `source` into the database `c` is connected to (as its owner:
/// CREATEROLE and CREATE on it). `admins` are the users whose logins get
/// the admin role; `log_readers` the roles (admin and supervising) whose
/// users may read the access log. Refuses a target that already holds
/// records or events.
pub fn run(
    source: &Store,
    c: &mut postgres::Client,
    admins: &[String],
    log_readers: &[String],
    check: Verifier,
    made_by: Option<&str>,
) -> crate::Result<Migrated> {
    let conn = source.conn();
    // One read snapshot of the source for everything copied.
    let read = conn.unchecked_transaction()?;
    let trust = setup::trust_mode(conn)?;
    let mut tx = c.transaction()?;
    let db = schema::database(&mut tx)?;
    if schema::installed(&mut tx)? {
        schema::lock(&mut tx)?;
        tx.batch_execute("SET LOCAL search_path = carequeue, pg_temp")?;
        let row = tx.query_one(
            "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM events),
                        (SELECT value FROM meta WHERE key = 'trust')",
            &[],
        )?;
        let (records, events, their_trust): (i64, i64, Option<String>) = (
            super::col(&row, 0)?,
            super::col(&row, 1)?,
            super::col(&row, 2)?,
        );
        if records > 0 || events > 0 {
            return Err(StoreError::Refused(format!(
                "database {db} already holds {records} record(s) and {events} event(s): migrate copies into an empty carequeue database only, so nothing was written"
            )));
        }
        if their_trust.as_deref() != Some(if trust { "true" } else { "false" }) {
            return Err(StoreError::Refused(format!(
                "database {db} was set up with another trust mode than the source's: nothing was written"
            )));
        }
    } else {
        schema::install_in(&mut tx, trust)?;
    }
    let mut copied = Vec::new();
    // The source's stays and marks come as they are: the server marks
    // nothing while the log is copied in.
    tx.batch_execute("ALTER TABLE carequeue.events DISABLE TRIGGER events_stays")?;
    for t in TABLES {
        copied.push((t.name, to_pg(conn, &mut tx, t, made_by)?));
    }
    tx.batch_execute("ALTER TABLE carequeue.events ENABLE TRIGGER events_stays")?;
    for (chain, count, head) in [
        ("events", "chain_count", "chain_head"),
        ("access", "access_count", "access_head"),
    ] {
        let n: i64 = meta_get(conn, count)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let h = meta_get(conn, head)?;
        let bytes = match h.as_deref() {
            None | Some(GENESIS) => Vec::new(),
            Some(hexed) => unhex(hexed.as_bytes())
                .ok_or_else(|| StoreError::Broken(format!("the source's {head} is not hex")))?,
        };
        tx.execute(
            "UPDATE chains SET length = $1, head = $2 WHERE name = $3",
            &[&n, &bytes, &chain],
        )?;
        let key = if chain == "events" {
            "migrated_events"
        } else {
            "migrated_access"
        };
        // `init`'s own events are its login's, not migrated history.
        let migrated = if made_by.is_some() { 0 } else { n };
        upsert(&mut tx, key, &migrated.to_string())?;
    }
    let mut st = conn.prepare("SELECT key, value FROM meta ORDER BY key")?;
    let meta: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(|rows| rows.collect())?;
    for (k, v) in &meta {
        if !matches!(
            k.as_str(),
            "trust" | "chain_count" | "chain_head" | "access_count" | "access_head"
        ) {
            upsert(&mut tx, k, v)?;
        }
    }
    upsert(&mut tx, "log_readers", &log_readers.join(" "))?;
    // The copied pipelines' rules, and the chains dated at their last entries.
    super::rules::fill(&mut tx)?;
    let (linked, unlinked) = link(&mut tx, &db, conn, admins)?;
    let verified = in_tx(&mut tx, check)?;
    if let Some(first) = verified.verdict.problems.shown().first() {
        return Err(StoreError::Refused(format!(
            "the copy does not verify ({first}{}): rolled back, nothing was written",
            match verified.verdict.problems.total() {
                1 => String::new(),
                n => format!(", and {} more", n - 1),
            }
        )));
    }
    tx.commit()?;
    drop(read);
    // Fresh statistics for the planner, and the visibility map that lets
    // the board's counts read the attention index alone; the data is in
    // either way.
    let _ = c.batch_execute("VACUUM (ANALYZE) carequeue.records, carequeue.events");
    Ok(Migrated {
        copied,
        linked,
        unlinked,
        verified,
    })
}

fn upsert(tx: &mut postgres::Transaction, k: &str, v: &str) -> crate::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&k, &v],
    )
    .map(|_| ())
    .map_err(StoreError::from)
}

type Links = (Vec<(String, String)>, Vec<String>);

/// Grants each user's login (where the server has it) the member role,
/// and admins' the admin role too.
fn link(
    tx: &mut postgres::Transaction,
    db: &str,
    conn: &rusqlite::Connection,
    admins: &[String],
) -> crate::Result<Links> {
    let (member, admin) = schema::roles(db);
    let mut linked = Vec::new();
    let mut unlinked = Vec::new();
    for m in crate::sqlite::users::members(conn)? {
        let Some(login) = m.login.filter(|_| m.enabled) else {
            unlinked.push(m.name);
            continue;
        };
        let exists: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolcanlogin)",
                &[&login],
            )?
            .try_get(0)?;
        if !exists {
            unlinked.push(m.name);
            continue;
        }
        let quoted = login.replace('"', "\"\"");
        tx.batch_execute(&format!("GRANT \"{member}\" TO \"{quoted}\""))?;
        let mut roles = member.clone();
        if admins.contains(&m.name) {
            tx.batch_execute(&format!("GRANT \"{admin}\" TO \"{quoted}\""))?;
            roles = format!("{member}, {admin}");
        }
        linked.push((m.name, format!("{login} ({roles})")));
    }
    Ok((linked, unlinked))
}
