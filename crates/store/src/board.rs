//! The store as the console sees it: beyond what an operation reads
//! ([`Db`]), the board's counts and groups, a queue page by keyset, the
//! team, the stored pipeline, saved views, checkpoints and the audit, and
//! how the console hears of other people's changes. SQLite's [`Store`]
//! implements it here; PostgreSQL's in `pg::board`.

use super::access::{AccessFilter, AccessRow};
use super::db::Db;
use super::due::{self, Cursor};
use super::in_use::InUse;
use super::setup::{self, StoredPipeline};
use super::user_views::{self, SavedView};
use super::users::Member;
use super::verify::Checkpoint;
use super::{BreachGroup, EventRow, ListFilter, Result, RowKey, StageCount, Store};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::audit::{AuditRange, AuditReport};
use carequeue_core::engine::{Record, User};

/// How a console hears that someone else committed.
pub enum Watch {
    /// Ask [`Board::data_version`] after each request and when idle.
    Poll,
    /// A listener thread reports each change and the connection's state.
    Listen(super::pg::live::Listener),
}

pub trait Board: Db + Send {
    /// Per-stage totals, breached, at-risk and unassigned counts.
    fn stage_counts(&self, now: i64) -> Result<Vec<StageCount>>;
    /// Breached and at-risk records by stage and owner.
    fn breach_groups(&self, now: i64) -> Result<Vec<BreachGroup>>;
    /// The rows of `f` from its keyset (`f.seek`), in its order, up to its
    /// limit.
    fn list(&self, f: &ListFilter, now: i64) -> Result<Vec<Record>>;
    /// [`Board::list`] for a console page: a walk capped at `f.scan_cap`
    /// rows may stop early and say where to resume.
    fn list_page(&self, f: &ListFilter, now: i64) -> Result<(Vec<Record>, Option<RowKey>)>;
    /// Whether a page of `f` matching `total` rows walks the order's index.
    fn walks(&self, f: &ListFilter, total: i64) -> Result<bool>;
    /// Which kind of store: `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
    /// The team, disabled users too, by name.
    fn members(&self) -> Result<Vec<Member>>;
    /// The users who may act, with their roles.
    fn users(&self) -> Result<Vec<User>> {
        Ok(self
            .members()?
            .into_iter()
            .filter(|m| m.enabled)
            .map(|m| m.user())
            .collect())
    }
    /// The pipeline in force.
    fn stored_pipeline(&self) -> Result<Option<StoredPipeline>>;
    /// One stored version by number.
    fn pipeline_version(&self, version: i64) -> Result<Option<StoredPipeline>>;
    /// Every version with when, by whom and how it was stored, oldest first.
    fn pipeline_history(&self) -> Result<Vec<setup::PipelineChange>>;
    /// Its hash alone (read before every console request).
    fn pipeline_hash(&self) -> Result<Option<String>>;
    /// The hash of the pipeline this handle's writes are bound to.
    fn expected_pipeline(&self) -> Option<String>;
    fn expect_pipeline(&mut self, hash: Option<String>);
    /// While on, every write runs whole and is rolled back (a dry run).
    fn set_dry_run(&mut self, on: bool);
    /// `user`'s saved views; saving and deleting are the user's own.
    fn views(&self, user: &str) -> Result<Vec<SavedView>>;
    fn save_view(&mut self, user: &str, v: &SavedView, at: i64) -> Result<()>;
    fn delete_view(&mut self, user: &str, name: &str) -> Result<bool>;
    /// Records with a timer due by `now`, after the keyset `after`.
    fn timers_due(&self, now: i64, after: Cursor, limit: i64) -> Result<Vec<Cursor>>;
    /// Records of `stage` due for escalation `level` (due by `latest_due`),
    /// after the keyset `after`.
    fn escalations_due(
        &self,
        stage: &str,
        level: i64,
        latest_due: i64,
        after: Cursor,
        limit: i64,
    ) -> Result<Vec<Cursor>>;
    /// Runs `f` on what the records and the team hold of the pipeline,
    /// from one snapshot (`pipeline diff`).
    fn reads(&self, f: &mut dyn FnMut(&mut dyn InUse) -> Result<()>) -> Result<()>;
    /// The access log, oldest first, as `f` selects (admins).
    fn access_entries(&self, f: &AccessFilter) -> Result<Vec<AccessRow>>;
    /// Every record by id and, with `history`, its events, from one
    /// snapshot (`export`).
    fn export_each(
        &self,
        history: bool,
        each: &mut dyn FnMut(Record, Vec<EventRow>) -> Result<()>,
    ) -> Result<()>;
    /// The logs' lengths and heads now.
    fn checkpoint(&self, at: i64) -> Result<Checkpoint>;
    /// The stage audit of the stays in `range`, through a connection of
    /// its own (so it can run beside the console's).
    fn audit(
        &self,
        p: &Pipeline,
        range: AuditRange,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<AuditReport>;
    /// How this console hears of other people's commits.
    fn watch(&self) -> Watch;
    /// Changes whenever anyone else commits (where changes are polled).
    fn data_version(&self) -> Result<i64>;
    /// Housekeeping when the console is idle (SQLite's WAL checkpoint).
    fn idle(&self) {}
    /// A new handle on the same database as the same user (the console's
    /// closing entry, after its worker is gone).
    fn reopen(&self) -> Result<Box<dyn Board>>;
    /// The SQLite store itself, for the operations not yet on [`Db`] (the
    /// sweep); None on PostgreSQL.
    fn as_sqlite(&mut self) -> Option<&mut Store> {
        None
    }
}

impl From<Store> for Box<dyn Board> {
    fn from(s: Store) -> Self {
        Box::new(s)
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

    fn kind(&self) -> &'static str {
        "sqlite"
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

    fn pipeline_history(&self) -> Result<Vec<setup::PipelineChange>> {
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

    fn audit(
        &self,
        p: &Pipeline,
        range: AuditRange,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<AuditReport> {
        let store = Store::open_with(self.path(), true)?;
        super::audit_scan::audit(store.conn(), p, range, now)
    }

    fn watch(&self) -> Watch {
        // Commits stay short: the WAL is checkpointed when idle instead.
        let _ = self.defer_checkpoints();
        Watch::Poll
    }

    fn data_version(&self) -> Result<i64> {
        Store::data_version(self)
    }

    fn idle(&self) {
        // A failed passive checkpoint is retried on the next idle tick.
        let _ = Store::checkpoint(self);
    }

    fn reopen(&self) -> Result<Box<dyn Board>> {
        Ok(Box::new(Store::open_with(self.path(), true)?))
    }

    fn as_sqlite(&mut self) -> Option<&mut Store> {
        Some(self)
    }
}
