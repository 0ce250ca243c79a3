//! The stays table on SQLite: kept current in the transaction of every
//! event, rebuilt from the log when the pipeline's [`stays_key`] changes,
//! and read by the audit instead of the whole log.
//!
//! A trigger on `events` marks each record an event is appended about in
//! `stays_dirty`; before every commit [`settle`] rewrites those records'
//! stays from their histories (the rows that changed: the stay that was
//! open and any after it) and clears the marks. A path that appended
//! without settling leaves its marks behind, and the audit then does not
//! read the table: a stay is never shown wrong for want of a settle.
//!
//! When the stored pipeline's key differs from the one the rows were built
//! under (`meta.stays_key`), the table is stale. A database of up to
//! [`Store::stays_inline`] records is rebuilt in the same commit; a larger
//! one by [`rebuild`] (the console does it in the background, `carequeue
//! stays rebuild` at once), while the audit reads the log and says so.

use super::{Result, Store, meta_get, meta_set};
use carequeue_core::domain::{Pipeline, check};
use carequeue_core::engine::audit::{AuditEvent, Auditor, StayRow, stays_key};
use carequeue_core::log::EventKind;
use rusqlite::{Connection, params};
use std::sync::Arc;

/// Records whose stays a commit rebuilds by default when they are stale;
/// past it the table waits for [`rebuild`].
pub const INLINE: i64 = 5_000;

mod read;
pub use read::{audit, of_record, settled_key, state};

/// The stored pipeline as last parsed, by its hash.
#[derive(Default)]
pub struct Memo {
    hash: String,
    /// The pipeline and its stays key.
    pipeline: Option<(Arc<Pipeline>, String)>,
}

/// Whether the stays table can answer for pipeline `p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Every row built under `p`, none waiting.
    Current,
    /// Built under another pipeline, or waiting for a rebuild.
    Stale,
}

impl Memo {
    /// Takes `p` as the stored pipeline while its hash is `hash`.
    pub fn share(&mut self, hash: String, p: Arc<Pipeline>) {
        let key = stays_key(&p);
        self.pipeline = Some((p, key));
        self.hash = hash;
    }
}

/// The stored pipeline and its key (cached by hash).
pub(super) fn stored(
    conn: &Connection,
    memo: &mut Memo,
) -> Result<Option<(Arc<Pipeline>, String)>> {
    let Some(hash) = meta_get(conn, "pipeline_hash")? else {
        return Ok(None);
    };
    if hash != memo.hash {
        let text = super::setup::current_pipeline(conn)?.map(|p| p.text);
        memo.pipeline = text.and_then(|t| check(&t).pipeline).map(|p| {
            let key = stays_key(&p);
            (Arc::new(p), key)
        });
        memo.hash = hash;
    }
    Ok(memo.pipeline.clone())
}

/// Brings the stays of every record an event was appended about up to
/// date, inside the caller's transaction (before its commit).
pub fn settle(conn: &Connection, memo: &mut Memo, inline: i64) -> Result<()> {
    let Some(stored) = stored(conn, memo)? else {
        return Ok(());
    };
    let (p, key) = (&stored.0, &stored.1);
    if meta_get(conn, "stays_key")?.as_deref() != Some(key.as_str()) {
        if records(conn)? <= inline {
            rebuild(conn, p)?;
        }
        return Ok(());
    }
    let ids: Vec<i64> = {
        let mut st = conn.prepare_cached("SELECT record_id FROM stays_dirty ORDER BY record_id")?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let n = ids.len() as i64;
    if n > inline && n * 4 > records(conn)? {
        // A bulk load: one pass over the log beats a history per record.
        return rebuild(conn, p);
    }
    for id in ids {
        settle_one(conn, p, id)?;
    }
    Ok(())
}

/// How many records the database holds (from the kept counts).
fn records(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(sum(total), 0) FROM stage_counts")?
        .query_row([], |r| r.get(0))?)
}

/// Rewrites one record's stays from its history: the rows from the one
/// that was open on.
fn settle_one(conn: &Connection, p: &Pipeline, id: i64) -> Result<()> {
    // The columns the audit reads, no more (no note, no hash): `+?1` keeps
    // the plan on `events_record` without tying it to the id (see
    // `events::history`).
    let mut st = conn.prepare_cached(
        "SELECT at, actor, kind, from_stage, to_stage, reason, data FROM events \
         WHERE record_id = +?1 ORDER BY id",
    )?;
    type Owned = (
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let history: Vec<Owned> = st
        .query_map([id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    if let Some(last) = history.iter().map(|e| e.0).max() {
        built_through(conn, last)?;
    }
    let events = history.iter().filter_map(|e| {
        Some(AuditEvent {
            record_id: id,
            at: e.0,
            actor: &e.1,
            // A kind this carequeue does not know changes no stay.
            kind: e.2.parse::<EventKind>().ok()?,
            from: e.3.as_deref(),
            to: e.4.as_deref(),
            reason: e.5.as_deref(),
            data: e.6.as_deref(),
        })
    });
    let rows = Auditor::stays_of(p, events);
    let open: Option<i64> = conn
        .prepare_cached("SELECT max(visit) FROM stays WHERE record_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    let from = open.unwrap_or(0);
    conn.prepare_cached("DELETE FROM stays WHERE record_id = ?1 AND visit >= ?2")?
        .execute(params![id, from])?;
    let mut w = Writer::new(conn)?;
    for r in rows.iter().filter(|r| i64::from(r.visit) >= from) {
        w.put(r)?;
    }
    conn.prepare_cached("DELETE FROM stays_dirty WHERE record_id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Builds the whole table again from the log under pipeline `p`, in one
/// pass in log order, inside the caller's transaction.
pub fn rebuild(conn: &Connection, p: &Pipeline) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM stays; DELETE FROM stays_dirty; DELETE FROM meta WHERE key = 'stays_through';",
    )?;
    let now = chrono::Utc::now().timestamp();
    let mut b = Auditor::stays_builder(p, now);
    // Rows come in log order and go straight in: a scratch table sorted
    // into place took as long, with the whole table in memory meanwhile.
    let mut w = Writer::new(conn)?;
    let mut through = i64::MIN;
    let mut err = None;
    super::audit_scan::for_each_event(conn, |e| {
        through = through.max(e.at);
        b.push(e);
        // Rows of ended stays leave as they come: memory stays one state
        // per record.
        if e.kind != EventKind::Note {
            for r in b.drain_stays() {
                if let Err(x) = w.put(&r) {
                    err = Some(x);
                    return false;
                }
            }
        }
        true
    })?;
    if let Some(e) = err {
        return Err(e);
    }
    for r in b.finish_stays() {
        w.put(&r)?;
    }
    built_through(conn, through)?;
    meta_set(conn, "stays_key", &stays_key(p))
}

/// Inserts rows through one prepared statement.
struct Writer<'c>(rusqlite::CachedStatement<'c>);

impl<'c> Writer<'c> {
    fn new(conn: &'c Connection) -> Result<Writer<'c>> {
        Ok(Writer(conn.prepare_cached(&format!(
            "INSERT INTO stays ({COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
        ))?))
    }

    fn put(&mut self, r: &StayRow) -> Result<()> {
        self.0.execute(params![
            r.record_id,
            r.visit,
            r.stage,
            r.entered,
            r.left,
            r.working,
            r.paused,
            r.paused_since,
            r.owner_acted,
            r.paused_after_action,
            r.assigned,
            r.re_entry,
            r.ever_active,
            r.ack,
            r.exit_kind.map(|k| k.as_str()),
            r.exit_from,
            r.exit_to,
            r.exit_reason,
            r.events,
        ])?;
        Ok(())
    }
}

pub(super) const COLUMNS: &str = "record_id, visit, stage, entered_at, left_at, working, paused, \
    paused_since, owner_acted, paused_after_action, assigned, re_entry, ever_active, ack, \
    exit_kind, exit_from, exit_to, exit_reason, events";

/// The latest event time the table was built through.
pub(super) fn latest_event(conn: &Connection) -> Result<i64> {
    Ok(meta_get(conn, "stays_through")?
        .and_then(|t| t.parse().ok())
        .unwrap_or(i64::MIN))
}

/// Notes that the table holds events up to `at`.
fn built_through(conn: &Connection, at: i64) -> Result<()> {
    if at > latest_event(conn)? {
        meta_set(conn, "stays_through", &at.to_string())?;
    }
    Ok(())
}

impl Store {
    /// Rebuilds the stays table under the stored pipeline now, in one
    /// transaction (`carequeue stays rebuild`, the console's background
    /// rebuild). Returns whether there was a pipeline to build under.
    pub fn rebuild_stays(&mut self) -> Result<bool> {
        let mut memo = Memo::default();
        self.write(|tx| -> Result<bool> {
            let Some(s) = stored(tx, &mut memo)? else {
                return Ok(false);
            };
            rebuild(tx, &s.0)?;
            Ok(true)
        })
    }
}

impl Store {
    /// The stays table's state under the stored pipeline.
    pub fn stays_status(&self) -> Result<crate::board::StaysStatus> {
        let conn = self.conn();
        let mut memo = Memo::default();
        let key = stored(conn, &mut memo)?.map(|s| s.1);
        let built = meta_get(conn, "stays_key")?;
        let rows: i64 = conn.query_row("SELECT count(*) FROM stays", [], |r| r.get(0))?;
        let waiting: i64 = conn.query_row("SELECT count(*) FROM stays_dirty", [], |r| r.get(0))?;
        let built_for_pipeline = key.is_some() && built == key;
        Ok(crate::board::StaysStatus {
            current: built_for_pipeline && waiting == 0,
            built_for_pipeline,
            rows,
            waiting,
        })
    }
}
