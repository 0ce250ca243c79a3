//! Bulk loads (demo, import): drop secondary indexes first and build them
//! once at the end, which is several times faster than maintaining them row
//! by row.

use super::Result;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// Indexes and count triggers dropped for a bulk load, rebuilt by
/// [`restore_indexes`].
pub struct DroppedIndexes(Vec<String>);

/// Drops the secondary indexes of `records` (and its count and name-index
/// triggers) inside
/// the caller's transaction and returns their definitions.
pub fn drop_indexes(conn: &Connection) -> Result<DroppedIndexes> {
    let mut st = conn.prepare(
        "SELECT name, sql, type FROM sqlite_master
         WHERE tbl_name IN ('records', 'events') AND sql IS NOT NULL
           AND (type = 'index' OR (type = 'trigger' AND (name LIKE 'records_count_%' OR name LIKE 'records_fts_%'
                                                         OR name = 'events_stays')))
           -- Kept: bulk loads add events of new records only, so their
           -- entries land at the index's right edge, which costs less than
           -- sorting them all afterwards; and op ids are never bulk loaded.
           AND name NOT IN ('events_record', 'events_op')",
    )?;
    let defs: Vec<(String, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, _, kind) in &defs {
        let kind = if kind == "trigger" {
            "TRIGGER"
        } else {
            "INDEX"
        };
        conn.execute_batch(&format!("DROP {kind} \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(DroppedIndexes(
        defs.into_iter().map(|(_, sql, _)| sql).collect(),
    ))
}

/// Per-stage totals and unassigned counts of every record in the table,
/// when the loader knows them (it loaded them all into an empty table).
#[derive(Debug, Default)]
pub struct Tally(BTreeMap<String, (i64, i64)>);

impl Tally {
    pub fn add(&mut self, stage: &str, unassigned: bool) {
        let e = match self.0.get_mut(stage) {
            Some(e) => e,
            None => self.0.entry(stage.to_string()).or_default(),
        };
        e.0 += 1;
        e.1 += i64::from(unassigned);
    }
}

/// Rebuilds what [`drop_indexes`] dropped, and the per-stage counts the
/// triggers would have kept: from `tally` if given, else by counting.
pub fn restore_indexes(
    conn: &Connection,
    dropped: DroppedIndexes,
    tally: Option<Tally>,
) -> Result<()> {
    // Let SQLite sort index entries on helper threads while it builds.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    conn.pragma_update(None, "threads", cores as i64)?;
    let (mut names, mut stays) = (false, false);
    for sql in dropped.0 {
        names |= sql.contains("records_fts_insert");
        stays |= sql.contains("events_stays");
        conn.execute_batch(&sql)?;
    }
    if stays {
        // The events loaded marked nothing: every record is marked at
        // once, and the commit builds the stays in one pass over the log.
        conn.execute_batch("INSERT OR IGNORE INTO stays_dirty(record_id) SELECT id FROM records")?;
    }
    if names {
        // The name index is built once, from every record.
        conn.execute_batch("INSERT INTO records_fts(records_fts) VALUES ('rebuild')")?;
    }
    conn.execute_batch("DELETE FROM stage_counts")?;
    match tally {
        Some(t) => {
            let mut st = conn.prepare(
                "INSERT INTO stage_counts(stage, total, unassigned) VALUES (?1, ?2, ?3)",
            )?;
            for (stage, (total, unassigned)) in &t.0 {
                st.execute(rusqlite::params![stage, total, unassigned])?;
            }
        }
        None => conn.execute_batch(
            "INSERT INTO stage_counts(stage, total, unassigned)
                 SELECT stage, count(*), sum(assignee IS NULL) FROM records GROUP BY stage;",
        )?,
    }
    Ok(())
}

/// [`crate::db::Tx::load_batches`] on SQLite: one thread takes each
/// batch from `next`, numbers its records and seals its events into the
/// chain while this one inserts the batch before; a batch inserted goes
/// back to that thread to be freed, off the writing thread. Memory stays
/// flat at any size.
pub(super) fn load_batches(
    tx: &mut super::db::SqliteTx,
    next: &mut (dyn FnMut() -> Option<crate::db::Batch> + Send),
) -> Result<i64> {
    use crate::db::Batch;
    use std::sync::mpsc::{channel, sync_channel};
    let conn = tx.conn;
    let mut next_id: i64 =
        conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM records", [], |r| {
            r.get(0)
        })?;
    let chain = tx.chain.chain_mut();
    let tally = &mut tx.tally;
    let (send, sealed) = sync_channel::<(Batch, Vec<super::events::Sealed>)>(2);
    let (give_back, written) = channel::<Batch>();
    std::thread::scope(|scope| -> Result<i64> {
        let producer = scope.spawn(move || {
            while let Some(mut b) = next() {
                written.try_iter().for_each(drop);
                for (i, r) in b.records.iter_mut().enumerate() {
                    r.id = next_id + i as i64;
                }
                next_id += b.records.len() as i64;
                let seals: Vec<super::events::Sealed> = b
                    .events
                    .iter()
                    .map(|e| {
                        let id = b.records.get(e.record).map_or(0, |r| r.id);
                        chain.seal(&e.new_event(id))
                    })
                    .collect();
                if send.send((b, seals)).is_err() {
                    break;
                }
            }
        });
        let mut n = 0;
        let inserted = sealed.iter().try_for_each(|(b, seals)| -> Result<()> {
            for r in &b.records {
                super::records::append(conn, r)?;
                if let Some(t) = tally.as_mut() {
                    t.add(&r.stage, r.assignee.is_none());
                }
            }
            n += b.records.len() as i64;
            let events = b.events.iter().zip(&seals).map(|(e, s)| {
                let id = b.records.get(e.record).map_or(0, |r| r.id);
                (e.new_event(id), s)
            });
            super::events::Inserter::new(conn)?.insert_all(events)?;
            let _ = give_back.send(b);
            Ok(())
        });
        drop(sealed);
        producer.join().map_err(|_| {
            crate::StoreError::Broken("the thread sealing a bulk load stopped unexpectedly".into())
        })?;
        inserted?;
        Ok(n)
    })
}
