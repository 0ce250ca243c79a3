//! `export` on PostgreSQL: every record by id with its history, from one
//! read-only snapshot. Records and events are read through two portals a
//! batch at a time and merged by record id (both in that order, the events
//! on their `(record_id, id)` index), so memory holds a batch, never the
//! database, and no record costs a query of its own.

use super::query::columns;
use super::rows;
use super::store::PgStore;
use crate::StoreError;
use crate::{EventRow, Result};
use carequeue_core::engine::Record;
use std::collections::VecDeque;

const BATCH: i32 = 2_000;

impl PgStore {
    pub fn export_each(
        &self,
        history: bool,
        each: &mut dyn FnMut(Record, Vec<EventRow>) -> Result<()>,
    ) -> Result<()> {
        let mut c = self.client()?;
        let mut tx = super::store::snapshot(&mut c)?;
        let recs = tx.bind(
            format!("SELECT {} FROM records_read ORDER BY id", columns()).as_str(),
            &[],
        )?;
        let evs = if history {
            Some(
                tx.bind(
                    format!(
                        "SELECT {} FROM events_read WHERE record_id IS NOT NULL ORDER BY record_id, id",
                        rows::EVENT
                    )
                    .as_str(),
                    &[],
                )?,
            )
        } else {
            None
        };
        let mut pending: VecDeque<EventRow> = VecDeque::new();
        let mut events_done = evs.is_none();
        loop {
            let batch = tx.query_portal(&recs, BATCH)?;
            if batch.is_empty() {
                break;
            }
            for row in &batch {
                let r = rows::record(row)?;
                let mut mine = Vec::new();
                if let Some(evs) = &evs {
                    loop {
                        // Events of records before this one belong to none
                        // exported (a record cannot lose its events).
                        while pending.front().is_some_and(|e| e.record_id < Some(r.id)) {
                            pending.pop_front();
                        }
                        match pending.front() {
                            Some(e) if e.record_id == Some(r.id) => {
                                mine.extend(pending.pop_front());
                            }
                            Some(_) => break,
                            None if events_done => break,
                            None => {
                                let more = tx.query_portal(evs, BATCH * 4)?;
                                events_done = more.is_empty();
                                for e in &more {
                                    pending.push_back(rows::event(e)?);
                                }
                            }
                        }
                    }
                }
                each(r, mine)?;
            }
        }
        tx.commit().map_err(StoreError::from)
    }
}
