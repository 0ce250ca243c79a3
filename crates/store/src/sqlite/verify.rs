//! SQLite's side of `verify`: its own checks (`integrity_check`, foreign
//! keys), the event log's hash chain with its recorded head and length
//! (so truncation shows), the append-only triggers, the trust mode and the
//! access log's chain; and what it holds, read for the checks above the
//! store ([`Verifiable`]). Streams; never loads the log.

use super::events::GENESIS;
use super::{Result, Store, access, meta_get, records, setup, users};
use crate::EventRow;
use crate::checkpoint::Checkpoint;
use crate::pipelines::StoredPipeline;
use crate::team::Member;
use crate::verify::{History, Problem, Problems, SLACK, Structure, Verifiable};
use carequeue_core::log::EventKind;
use rusqlite::{Connection, OptionalExtension};

impl Verifiable for Store {
    fn hold(&self) -> Result<Box<dyn crate::db::Snapshot + '_>> {
        Ok(Box::new(Scan::begin(self.conn())?))
    }

    fn check_structure(&self, now: i64, found: &mut Problems) -> Result<Option<Structure>> {
        structure(self.conn(), now, found)
    }

    fn trust_mode(&self) -> Result<bool> {
        setup::trust_mode(self.conn())
    }

    fn pipeline_versions(&self) -> Result<Vec<StoredPipeline>> {
        setup::pipeline_versions(self.conn())
    }

    fn team_events(&self) -> Result<Vec<EventRow>> {
        let mut st = self.conn().prepare(&format!(
            "SELECT {} FROM events WHERE record_id IS NULL ORDER BY id",
            super::events::COLUMNS
        ))?;
        let rows = st.query_map([], super::events::row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn members(&self) -> Result<Vec<Member>> {
        users::members(self.conn())
    }

    fn kept_counts(&self) -> Result<Vec<(String, i64, i64)>> {
        let mut st = self
            .conn()
            .prepare("SELECT stage, total, unassigned FROM stage_counts")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn event_hash_at(&self, n: i64) -> Result<Option<String>> {
        super::events::hash_at(self.conn(), n)
    }

    fn access_hash_at(&self, n: i64) -> Result<Option<String>> {
        access::hash_at(self.conn(), n)
    }

    fn stays_key(&self) -> Result<Option<String>> {
        super::stays::settled_key(self.conn())
    }

    fn stays_of(&self, id: i64) -> Result<Vec<carequeue_core::engine::audit::StayRow>> {
        super::stays::of_record(self.conn(), id)
    }

    fn each_history(&self, f: &mut dyn FnMut(History) -> Result<bool>) -> Result<()> {
        // Two ordered scans merged: records by id, events by record then
        // id (the hash is not read: the chain's check reads it in order).
        let conn = self.conn();
        let mut rec_st = conn.prepare(&format!(
            "SELECT {} FROM records ORDER BY id",
            *records::COLUMNS
        ))?;
        let mut recs = rec_st.query([])?;
        let mut ev_st = conn.prepare(
            "SELECT id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, ''
             FROM events WHERE record_id IS NOT NULL ORDER BY record_id, id",
        )?;
        let mut evs = ev_st.query([])?;
        let mut pending = evs.next()?.map(super::events::row).transpose()?;
        while let Some(row) = recs.next()? {
            let r = records::from_row(row)?;
            let mut history = Vec::new();
            while let Some(e) = pending.take() {
                let of = e.record_id.unwrap_or(0);
                if of < r.id {
                    if !f(History::Orphan(of))? {
                        return Ok(());
                    }
                    // Past every event of the missing record.
                    let mut next = evs.next()?.map(super::events::row).transpose()?;
                    while next.as_ref().is_some_and(|n| n.record_id == Some(of)) {
                        next = evs.next()?.map(super::events::row).transpose()?;
                    }
                    pending = next;
                    continue;
                }
                if of > r.id {
                    pending = Some(e);
                    break;
                }
                history.push(e);
                pending = evs.next()?.map(super::events::row).transpose()?;
            }
            if !f(History::Record(Box::new(r), history))? {
                return Ok(());
            }
        }
        if let Some(e) = pending {
            f(History::Orphan(e.record_id.unwrap_or(0)))?;
        }
        Ok(())
    }
}

/// A read snapshot for the whole of `verify`, with every page mapped
/// rather than copied through read(2) while it lasts (an in-memory
/// snapshot, `verify` on PostgreSQL's, maps nothing).
struct Scan<'c> {
    conn: &'c Connection,
    mmap: Option<i64>,
    _snapshot: rusqlite::Transaction<'c>,
}

impl<'c> Scan<'c> {
    fn begin(conn: &'c Connection) -> Result<Scan<'c>> {
        let mmap: Option<i64> = conn
            .query_row("PRAGMA mmap_size", [], |r| r.get(0))
            .optional()?;
        if mmap.is_some() {
            conn.pragma_update(None, "mmap_size", 1i64 << 31)?;
        }
        // A deferred read transaction: one snapshot for all the checks,
        // rolled back at the end; verify writes nothing.
        let snapshot = conn.unchecked_transaction()?;
        Ok(Scan {
            conn,
            mmap,
            _snapshot: snapshot,
        })
    }
}

impl Drop for Scan<'_> {
    fn drop(&mut self) {
        if let Some(m) = self.mmap {
            // Best effort: a connection that keeps the larger map is only
            // a little hungrier.
            let _ = self.conn.pragma_update(None, "mmap_size", m);
        }
    }
}

impl crate::db::Snapshot for Scan<'_> {}

/// The store's own checks, every problem into `found`; None if the file
/// is too damaged to read on.
fn structure(conn: &Connection, now: i64, found: &mut Problems) -> Result<Option<Structure>> {
    if !sqlite_checks(conn, found)? {
        return Ok(None);
    }
    // In a trust-mode database `--now` dates writes, the future included.
    let future = if setup::trust_mode(conn)? {
        i64::MAX
    } else {
        now
    };
    let mut s = chain(conn, future, found)?;
    triggers(conn, found)?;
    trust(conn, found)?;
    let (access_events, access_head) = access::walk(conn, future, found)?;
    s.access_events = access_events;
    s.access_head = access_head;
    Ok(Some(s))
}

/// The triggers that keep both logs append-only.
fn triggers(conn: &Connection, found: &mut Problems) -> Result<()> {
    for (name, table) in [
        ("events_no_update", "events"),
        ("events_no_delete", "events"),
        ("access_no_update", "access_log"),
        ("access_no_delete", "access_log"),
    ] {
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1 AND tbl_name = ?2",
                [name, table],
                |r| r.get(0),
            )
            .optional()?;
        let verb = if name.ends_with("update") {
            "UPDATE"
        } else {
            "DELETE"
        };
        let ok = sql.is_some_and(|s| {
            let s = s.to_ascii_uppercase();
            s.contains(&format!("BEFORE {verb} ON")) && s.contains("RAISE(ABORT")
        });
        if !ok {
            found.push(Problem::Trigger(name));
        }
    }
    Ok(())
}

/// The trust mode in `meta` is the one the `init` event fixed.
fn trust(conn: &Connection, found: &mut Problems) -> Result<()> {
    let mut st = conn.prepare("SELECT id, data FROM events WHERE kind = ?1 ORDER BY id")?;
    let inits: Vec<(i64, Option<String>)> = st
        .query_map([EventKind::Init.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let logged = match inits.as_slice() {
        [] => {
            found.push(Problem::Trust("no init event fixes the trust mode".into()));
            return Ok(());
        }
        [(_, data), rest @ ..] => {
            for (id, _) in rest {
                found.push(Problem::Trust(format!(
                    "event {id} is a second init event: the trust mode is fixed once"
                )));
            }
            data.as_deref()
                .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .and_then(|d| d["trust"].as_bool())
        }
    };
    if logged != Some(setup::trust_mode(conn)?) {
        found.push(Problem::Trust(
            "the trust mode recorded in the database is not the one its init event fixed".into(),
        ));
    }
    Ok(())
}

/// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`; false if the
/// file cannot be read on.
fn sqlite_checks(conn: &Connection, found: &mut Problems) -> Result<bool> {
    let ic: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ic != "ok" {
        found.push(Problem::Integrity(ic));
        return Ok(false);
    }
    let mut st = conn.prepare("PRAGMA foreign_key_check")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        // (table, rowid, parent, fkid): names only, never the row's values.
        found.push(Problem::ForeignKey {
            table: r.get(0)?,
            parent: r.get(2)?,
        });
    }
    Ok(true)
}

/// The hash chain in id order, then its recorded length and head. Each
/// event is checked against the stored hash before it, so one altered
/// event is named once and what follows is still checked. Returns the
/// number of events, the last hash, and the events dated before one
/// earlier in the log.
fn chain(conn: &Connection, now: i64, found: &mut Problems) -> Result<Structure> {
    let mut prev = GENESIS.to_string();
    let mut count = 0i64;
    // Ids are handed out one after another from 1, so a gap is a removal.
    let mut next_id = 1i64;
    // The latest time so far of an event not dated in the future.
    let mut latest = i64::MIN;
    let mut early = std::collections::BTreeSet::new();
    let mut st = conn.prepare(&format!(
        "SELECT {} FROM events ORDER BY id",
        crate::sqlite::events::COLUMNS
    ))?;
    let mut rows = st.query([])?;
    while let Some(row) = rows.next()? {
        let e = crate::sqlite::events::row(row)?;
        let record = e.record_id.unwrap_or(0);
        let bad = |what: &str| Problem::Event {
            id: e.id,
            record,
            what: what.to_string(),
        };
        if e.id != next_id {
            found.push(bad(
                "its link to the previous event is broken (an event before it was removed or reordered)",
            ));
        } else if e.expected_hash(&prev) != e.hash {
            found.push(bad(
                "hash does not match its content (the event was altered)",
            ));
        }
        if e.at > now.saturating_add(SLACK) {
            found.push(bad("dated after the verify's own clock (in the future)"));
        } else {
            if e.at < latest.saturating_sub(SLACK) {
                early.insert(e.id);
            }
            latest = latest.max(e.at);
        }
        prev = e.hash;
        count += 1;
        next_id = e.id + 1;
    }
    let recorded: i64 = meta_get(conn, "chain_count")?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let head = meta_get(conn, "chain_head")?.unwrap_or_else(|| GENESIS.to_string());
    if recorded > count {
        found.push(Problem::Truncated {
            recorded,
            present: count,
        });
    } else if recorded != count || head != prev {
        found.push(Problem::Head {
            recorded,
            present: count,
        });
    }
    Ok(Structure {
        events: count,
        head: prev,
        early,
        ..Structure::default()
    })
}

/// The checkpoint of the logs as recorded now.
pub fn checkpoint(conn: &Connection, at: i64) -> Result<Checkpoint> {
    let count = |k: &str| -> Result<i64> {
        Ok(meta_get(conn, k)?.and_then(|c| c.parse().ok()).unwrap_or(0))
    };
    Ok(Checkpoint {
        events: count("chain_count")?,
        head: meta_get(conn, "chain_head")?.unwrap_or_else(|| GENESIS.to_string()),
        access_events: count("access_count")?,
        access_head: meta_get(conn, "access_head")?.unwrap_or_else(|| GENESIS.to_string()),
        at: chrono::DateTime::<chrono::Utc>::from_timestamp(at, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}
