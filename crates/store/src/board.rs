//! The store as the console sees it: beyond what an operation reads
//! ([`Db`]), the board's counts and groups, a queue page by keyset, the
//! team, the stored pipeline, saved views, checkpoints and the audit, and
//! how the console hears of other people's changes.

use crate::access::{AccessFilter, AccessRow};
use crate::checkpoint::Checkpoint;
use crate::counts::{BreachGroup, StageCount};
use crate::db::Db;
use crate::due::Cursor;
use crate::in_use::InUse;
use crate::pipelines::{PipelineChange, StoredPipeline};
use crate::sort::RowKey;
use crate::team::Member;
use crate::views::SavedView;
use crate::{EventRow, ListFilter, Result};
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
    fn pipeline_history(&self) -> Result<Vec<PipelineChange>>;
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
    fn as_sqlite(&mut self) -> Option<&mut crate::Store> {
        None
    }
}
