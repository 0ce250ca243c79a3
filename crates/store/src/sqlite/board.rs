//! [`Board`] on SQLite: the console's reads on one file.

use super::due;
use super::{Store, setup, user_views};
use crate::access::{AccessFilter, AccessRow};
use crate::board::{Board, Heard};
use crate::checkpoint::Checkpoint;
use crate::counts::{BreachGroup, StageCount};
use crate::due::Cursor;
use crate::in_use::InUse;
use crate::pipelines::{PipelineChange, StoredPipeline};
use crate::sort::RowKey;
use crate::team::Member;
use crate::views::SavedView;
use crate::{EventRow, ListFilter, Result};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::Record;
use carequeue_core::engine::audit::{AuditRange, AuditReport};

/// How often a console asks the file whether anyone else committed.
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// WAL pages between checkpoints while many writes run (4 KiB pages: 256
/// MiB). A large sweep rewrites the same index pages batch after batch;
/// with checkpoints this far apart each page reaches the database file
/// once per checkpoint rather than once per batch (a 358k-firing sweep on
/// 1M records: 29 s -> 18 s). Where checkpoints are deferred to idle time
/// (the console's worker), a long sweep would otherwise grow the WAL
/// without bound; it checkpoints at the same pace there too.
const SWEEP_CHECKPOINT_PAGES: i64 = 65_536;

impl From<Store> for Box<dyn Board> {
    fn from(s: Store) -> Self {
        Box::new(s)
    }
}

impl Store {
    /// Sets `wal_autocheckpoint`; returns the setting it had.
    fn wal_autocheckpoint(&self, pages: i64) -> Result<i64> {
        let before: i64 = self
            .conn()
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))?;
        self.conn()
            .pragma_update(None, "wal_autocheckpoint", pages)?;
        Ok(before)
    }
}

impl Board for Store {
    fn stage_counts(&self, now: i64) -> Result<Vec<StageCount>> {
        Store::stage_counts(self, now)
    }

    fn breach_groups(&self, now: i64) -> Result<Vec<BreachGroup>> {
        Store::breach_groups(self, now)
    }

    fn list(&self, f: &ListFilter, now: i64) -> Result<Vec<Record>> {
        Store::list(self, f, now)
    }

    fn list_page(&self, f: &ListFilter, now: i64) -> Result<(Vec<Record>, Option<RowKey>)> {
        Store::list_page(self, f, now)
    }

    fn walks(&self, f: &ListFilter, total: i64) -> Result<bool> {
        Store::walks(self, f, total)
    }

    fn counted_first_page(
        &self,
        f: &ListFilter,
        now: i64,
    ) -> Result<Option<(i64, Option<Vec<Record>>)>> {
        Store::counted_first_page(self, f, now)
    }

    fn stage_counts_under(&self, f: &ListFilter, now: i64) -> Result<Option<Vec<StageCount>>> {
        Store::stage_counts_under(self, f, now)
    }
    fn members(&self) -> Result<Vec<Member>> {
        super::users::members(self.conn())
    }

    fn stored_pipeline(&self) -> Result<Option<StoredPipeline>> {
        setup::current_pipeline(self.conn())
    }

    fn pipeline_version(&self, version: i64) -> Result<Option<StoredPipeline>> {
        setup::pipeline_version(self.conn(), version)
    }

    fn pipeline_history(&self) -> Result<Vec<PipelineChange>> {
        setup::pipeline_history(self.conn())
    }

    fn pipeline_hash(&self) -> Result<Option<String>> {
        self.meta("pipeline_hash")
    }

    fn expected_pipeline(&self) -> Option<String> {
        Store::expected_pipeline(self).map(str::to_string)
    }

    fn expect_pipeline(&mut self, hash: Option<String>) {
        Store::expect_pipeline(self, hash);
    }

    fn set_dry_run(&mut self, on: bool) {
        Store::set_dry_run(self, on);
    }

    fn views(&self, user: &str) -> Result<Vec<SavedView>> {
        user_views::list(self.conn(), user)
    }

    fn save_view(&mut self, user: &str, v: &SavedView, at: i64) -> Result<()> {
        self.write(|tx| user_views::save(tx, user, v, at))
    }

    fn delete_view(&mut self, user: &str, name: &str) -> Result<bool> {
        self.write(|tx| user_views::delete(tx, user, name))
    }

    fn timers_due(&self, now: i64, after: Cursor, limit: i64) -> Result<Vec<Cursor>> {
        due::timers(self, now, after, limit)
    }

    fn warnings_due(&self, now: i64, after: Cursor, limit: i64) -> Result<Vec<Cursor>> {
        due::warnings(self, now, after, limit)
    }

    fn escalations_due(
        &self,
        stage: &str,
        level: i64,
        latest_due: i64,
        after: Cursor,
        limit: i64,
    ) -> Result<Vec<Cursor>> {
        due::escalations(self, stage, level, latest_due, after, limit)
    }

    fn reads(&self, f: &mut dyn FnMut(&mut dyn InUse) -> Result<()>) -> Result<()> {
        f(&mut super::in_use::Reads(self.conn()))
    }

    fn access_entries(&self, f: &AccessFilter) -> Result<Vec<AccessRow>> {
        super::access::list(self.conn(), f)
    }

    fn export_each(
        &self,
        history: bool,
        each: &mut dyn FnMut(Record, Vec<EventRow>) -> Result<()>,
    ) -> Result<()> {
        super::export::each(self, history, each)
    }

    fn checkpoint(&self, at: i64) -> Result<Checkpoint> {
        super::verify::checkpoint(self.conn(), at)
    }

    fn feed(&self, q: &crate::feed::FeedQuery) -> Result<Vec<crate::feed::FeedEvent>> {
        super::feed::feed(self.conn(), q)
    }

    fn audit(
        &self,
        p: &Pipeline,
        range: AuditRange,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<AuditReport> {
        let store = Store::open_with(self.path(), true)?;
        match super::stays::audit(store.conn(), p, range, now.timestamp())? {
            Ok(r) => Ok(r),
            Err(why) => {
                let mut r = super::audit_scan::audit(store.conn(), p, range, now)?;
                r.stays = why;
                Ok(r)
            }
        }
    }

    fn rebuild_stays(&mut self) -> Result<()> {
        Store::rebuild_stays(self).map(|_| ())
    }

    fn stays_status(&self) -> Result<crate::board::StaysStatus> {
        Store::stays_status(self)
    }

    fn listen(&mut self) -> Result<std::time::Duration> {
        // Commits stay short: the WAL is checkpointed when idle instead.
        self.defer_checkpoints()?;
        self.heard_version.set(Some(self.data_version()?));
        Ok(POLL)
    }

    fn heard(&mut self) -> Vec<Heard> {
        // data_version moves only for commits on other connections.
        let Ok(now) = self.data_version() else {
            return Vec::new();
        };
        match self.heard_version.replace(Some(now)) {
            Some(seen) if seen != now => vec![Heard::Changed],
            _ => Vec::new(),
        }
    }

    fn many_writes_ahead(&mut self) -> Result<()> {
        let before = self.wal_autocheckpoint(SWEEP_CHECKPOINT_PAGES)?;
        self.wal_before = Some(before);
        Ok(())
    }

    fn many_writes_done(&mut self, wrote: bool) -> Result<()> {
        if let Some(before) = self.wal_before.take() {
            self.wal_autocheckpoint(before)?;
        }
        if wrote {
            Store::checkpoint(self)?;
        }
        Ok(())
    }

    fn idle(&self) {
        // A failed passive checkpoint is retried on the next idle tick.
        let _ = Store::checkpoint(self);
    }

    fn reopen(&self) -> Result<Box<dyn Board>> {
        Ok(Box::new(Store::open_with(self.path(), true)?))
    }
}
