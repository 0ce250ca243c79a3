//! The console's reads on PostgreSQL ([`Board`]): counts and breach
//! groups by `GROUP BY` (the server's planner where SQLite keeps counts),
//! queue pages by keyset, the team, saved views through the session's own
//! functions, checkpoints from the chains' heads, the audit over a second
//! session, and live updates by LISTEN/NOTIFY.

use super::query::{self, refs};
use super::rows;
use super::store::PgStore;
use crate::StoreError;
use crate::access::{AccessFilter, AccessRow};
use crate::board::{Board, Heard};
use crate::checkpoint::Checkpoint;
use crate::due::Cursor;
use crate::due::{escalations_sql, timers_sql, warnings_sql};
use crate::in_use::InUse;
use crate::pipelines::{PipelineChange, StoredPipeline};
use crate::team::Member;
use crate::terms::POSTGRES;
use crate::views::SavedView;
use crate::{BreachGroup, EventRow, ListFilter, Result, RowKey, StageCount};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::Record;
use carequeue_core::engine::audit::{AuditEvent, AuditRange, AuditReport, Auditor};
use carequeue_core::log::EventKind;
use std::sync::LazyLock;

/// [`crate::due::timers_sql`] in PostgreSQL's words.
static TIMERS_DUE_SQL: LazyLock<String> = LazyLock::new(|| timers_sql(&POSTGRES));
/// [`crate::due::warnings_sql`] in PostgreSQL's words.
static WARNINGS_DUE_SQL: LazyLock<String> = LazyLock::new(|| warnings_sql(&POSTGRES));
/// [`crate::due::escalations_sql`] in PostgreSQL's words.
static ESCALATIONS_DUE_SQL: LazyLock<String> = LazyLock::new(|| escalations_sql(&POSTGRES));

const EVENTS_SQL: &str = "SELECT record_id, at, actor, kind, from_stage, to_stage, reason, data
     FROM events_read WHERE record_id IS NOT NULL ORDER BY id";

impl Board for PgStore {
    fn stage_counts(&self, now: i64) -> Result<Vec<StageCount>> {
        self.counts_by_stage(now)
    }

    fn breach_groups(&self, now: i64) -> Result<Vec<BreachGroup>> {
        self.groups(now)
    }

    fn list(&self, f: &ListFilter, now: i64) -> Result<Vec<Record>> {
        let (sql, args) = query::select_sql(f, now);
        let found = self.rows(&sql, &refs(&args))?;
        let mut rows = found.iter().map(rows::record).collect::<Result<Vec<_>>>()?;
        if f.seek.backwards() {
            rows.reverse();
        }
        Ok(rows)
    }

    fn list_page(&self, f: &ListFilter, now: i64) -> Result<(Vec<Record>, Option<RowKey>)> {
        // The server plans each page itself: no walk is capped here.
        Ok((self.list(f, now)?, None))
    }

    fn walks(&self, _f: &ListFilter, _total: i64) -> Result<bool> {
        Ok(false)
    }

    fn members(&self) -> Result<Vec<Member>> {
        let sql = format!(
            "SELECT {} FROM users ORDER BY name COLLATE \"C\"",
            rows::MEMBER
        );
        let found = self.rows(&sql, &[])?;
        found.iter().map(rows::member).collect()
    }

    fn stored_pipeline(&self) -> Result<Option<StoredPipeline>> {
        self.current_pipeline()
    }

    fn pipeline_version(&self, version: i64) -> Result<Option<StoredPipeline>> {
        let row = self.client()?.query_opt(
            "SELECT version::bigint, hash, text, event_id FROM pipelines WHERE version = $1",
            &[&i32::try_from(version).unwrap_or(i32::MAX)],
        )?;
        row.map(|r| rows::pipeline(&r)).transpose()
    }

    fn pipeline_history(&self) -> Result<Vec<PipelineChange>> {
        let found = self.client()?.query(
            "SELECT version, at, actor, hash, data FROM pipeline_changes()",
            &[],
        )?;
        found
            .iter()
            .map(|r| {
                let data: Option<String> = r.try_get(4)?;
                Ok(PipelineChange {
                    version: r.try_get(0)?,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    hash: r.try_get(3)?,
                    how: crate::pipelines::how_stored(data.as_deref()),
                })
            })
            .collect()
    }

    fn pipeline_hash(&self) -> Result<Option<String>> {
        let row = self.row_opt(
            "SELECT hash FROM pipelines ORDER BY version DESC LIMIT 1",
            &[],
        )?;
        row.map(|r| r.try_get(0).map_err(StoreError::from))
            .transpose()
    }

    fn expected_pipeline(&self) -> Option<String> {
        PgStore::expected_pipeline(self).map(str::to_string)
    }

    fn expect_pipeline(&mut self, hash: Option<String>) {
        PgStore::expect_pipeline(self, hash);
    }

    fn set_dry_run(&mut self, on: bool) {
        PgStore::set_dry_run(self, on);
    }

    fn views(&self, _user: &str) -> Result<Vec<SavedView>> {
        // The session's own user's views: the server knows whose.
        let found = self.client()?.query(
            "SELECT name, base, stage, filter, sort, owner, columns FROM my_views()",
            &[],
        )?;
        found
            .iter()
            .map(|r| {
                Ok(SavedView {
                    name: r.try_get(0)?,
                    base: r.try_get(1)?,
                    stage: r.try_get(2)?,
                    filter: r.try_get(3)?,
                    sort: r.try_get(4)?,
                    owner: r.try_get(5)?,
                    columns: r.try_get(6)?,
                })
            })
            .collect()
    }

    fn save_view(&mut self, _user: &str, v: &SavedView, at: i64) -> Result<()> {
        self.client()?.execute(
            "SELECT save_view($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &v.name, &v.base, &v.stage, &v.filter, &v.sort, &v.owner, &v.columns, &at,
            ],
        )?;
        Ok(())
    }

    fn delete_view(&mut self, _user: &str, name: &str) -> Result<bool> {
        let row = self
            .client()?
            .query_one("SELECT delete_view($1)", &[&name])?;
        row.try_get(0).map_err(StoreError::from)
    }

    fn timers_due(&self, now: i64, after: Cursor, limit: i64) -> Result<Vec<Cursor>> {
        self.cursors(&TIMERS_DUE_SQL, &[&now, &after.0, &after.1, &limit])
    }

    fn warnings_due(&self, now: i64, after: Cursor, limit: i64) -> Result<Vec<Cursor>> {
        self.cursors(&WARNINGS_DUE_SQL, &[&now, &after.0, &after.1, &limit])
    }

    fn escalations_due(
        &self,
        stage: &str,
        level: i64,
        latest_due: i64,
        after: Cursor,
        limit: i64,
    ) -> Result<Vec<Cursor>> {
        self.cursors(
            &ESCALATIONS_DUE_SQL,
            &[&stage, &level, &latest_due, &after.0, &after.1, &limit],
        )
    }

    fn reads(&self, f: &mut dyn FnMut(&mut dyn InUse) -> Result<()>) -> Result<()> {
        let mut c = self.client()?;
        let mut tx = super::store::snapshot(&mut c)?;
        f(&mut tx)?;
        tx.commit().map_err(StoreError::from)
    }

    fn access_entries(&self, f: &AccessFilter) -> Result<Vec<AccessRow>> {
        let found = self.client()?.query(
            "SELECT id, at, actor, action, record_id, detail, hash
                 FROM access_entries($1, $2, $3, $4)",
            &[&f.user, &f.record, &f.since, &f.until],
        )?;
        found
            .iter()
            .map(|r| {
                let hash: Vec<u8> = r.try_get(6)?;
                Ok(AccessRow {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    record: r.try_get(4)?,
                    detail: r.try_get(5)?,
                    hash: crate::events::hex(&hash),
                })
            })
            .collect()
    }

    fn export_each(
        &self,
        history: bool,
        each: &mut dyn FnMut(Record, Vec<EventRow>) -> Result<()>,
    ) -> Result<()> {
        PgStore::export_each(self, history, each)
    }

    fn checkpoint(&self, at: i64) -> Result<Checkpoint> {
        let found = self
            .client()?
            .query("SELECT name, length, head FROM chains", &[])?;
        let mut cp = Checkpoint {
            events: 0,
            head: super::chain::prev_text(&[]),
            access_events: 0,
            access_head: super::chain::prev_text(&[]),
            at: chrono::DateTime::<chrono::Utc>::from_timestamp(at, 0)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        for r in &found {
            let name: String = r.try_get(0)?;
            let length: i64 = r.try_get(1)?;
            let head: Vec<u8> = r.try_get(2)?;
            match name.as_str() {
                "events" => (cp.events, cp.head) = (length, super::chain::prev_text(&head)),
                "access" => {
                    (cp.access_events, cp.access_head) = (length, super::chain::prev_text(&head))
                }
                _ => {}
            }
        }
        Ok(cp)
    }

    fn feed(&self, q: &crate::feed::FeedQuery) -> Result<Vec<crate::feed::FeedEvent>> {
        self.feed_rows(q)
    }

    fn audit(
        &self,
        p: &Pipeline,
        range: AuditRange,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<AuditReport> {
        // A session of its own: the console's stays free meanwhile.
        let other = self.reopen()?;
        let mut c = other.client()?;
        let stored_key = self.stays.as_ref().map(|s| s.1.as_str());
        let why = match super::stays::audit(&mut c, p, stored_key, range, now.timestamp())? {
            Ok(r) => return Ok(r),
            Err(why) => why,
        };
        let max_id: i64 = c
            .query_one("SELECT coalesce(max(id), 0) FROM records", &[])?
            .try_get(0)?;
        // A log that re-enters stages outside the graph is read again
        // keeping every stay's record (as on SQLite).
        for all_slots in [false, true] {
            let mut a = Auditor::new(p, range, now.timestamp());
            a.reserve(max_id);
            if all_slots {
                a.keep_all_slots();
            }
            scan_events(&mut c, &mut a)?;
            if !a.needs_all_slots() {
                let mut r = a.finish();
                r.stays = why;
                return Ok(r);
            }
        }
        Err(crate::StoreError::Server(
            "the audit could not keep its records".into(),
        ))
    }

    fn rebuild_stays(&mut self) -> Result<()> {
        PgStore::rebuild_stays(self).map(|_| ())
    }

    fn stays_status(&self) -> Result<crate::board::StaysStatus> {
        PgStore::stays_status(self)
    }

    fn listen(&mut self) -> Result<std::time::Duration> {
        if self.live.borrow().is_none() {
            let live = super::live::Live::start(&mut *self.client()?)?;
            *self.live.borrow_mut() = Some(live);
        }
        // Reading what arrived polls the session without waiting.
        Ok(std::time::Duration::from_millis(50))
    }

    fn heard(&mut self) -> Vec<Heard> {
        let mut out = Vec::new();
        let Some(retry) = self
            .live
            .borrow()
            .as_ref()
            .map(super::live::Live::may_retry)
        else {
            return out;
        };
        if self.client_closed() {
            // Connected again here (listening again and caught up), or
            // said lost and tried again after the backoff.
            if retry
                && let Err(e) = self.client()
                && let Some(live) = self.live.borrow_mut().as_mut()
            {
                live.failed(e.to_string(), &mut out);
            }
        } else {
            let mut c = self.client.borrow_mut();
            if let Some(live) = self.live.borrow_mut().as_mut() {
                live.poll(&mut c, &mut out);
            }
        }
        if let Some(live) = self.live.borrow_mut().as_mut() {
            live.take_back(&mut out);
        }
        out
    }

    fn reopen(&self) -> Result<Box<dyn Board>> {
        Ok(Box::new(PgStore::reopen(self)?))
    }
}

impl PgStore {
    /// `(due, id)` keysets a due query returns.
    fn cursors(
        &self,
        sql: &str,
        args: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Cursor>> {
        let found = self.rows(sql, args)?;
        found
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}

/// Every event in log order into `a`, streamed from one read-only snapshot.
fn scan_events(c: &mut postgres::Client, a: &mut Auditor) -> Result<()> {
    use postgres::fallible_iterator::FallibleIterator;
    let mut tx = super::store::snapshot(c)?;
    {
        let none: [&(dyn postgres::types::ToSql + Sync); 0] = [];
        let mut it = tx.query_raw(EVENTS_SQL, none)?;
        while let Some(r) = it.next()? {
            let record_id: i64 = r.try_get(0)?;
            let at: i64 = r.try_get(1)?;
            let actor: &str = r.try_get(2)?;
            let kind: &str = r.try_get(3)?;
            let Ok(kind) = kind.parse::<EventKind>() else {
                continue;
            };
            a.push(&AuditEvent {
                record_id,
                at,
                actor,
                kind,
                from: r.try_get(4)?,
                to: r.try_get(5)?,
                reason: r.try_get(6)?,
                data: r.try_get(7)?,
            });
        }
    }
    tx.commit().map_err(StoreError::from)
}
