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

/// What a console heard of other people's work since it last asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Someone else committed: what is on screen may be out of date.
    Changed,
    /// The link that tells of changes was lost (why); the store retries.
    Lost(String),
    /// The link is back: anything may have changed meanwhile.
    Back,
}

pub trait Board: Db + crate::outbox::Outbox + Send {
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
    /// A first page's total, and its rows where the store reads them in the
    /// same pass (SQLite: a filter whose count reads every record its terms
    /// pick); None where it does not (then [`Db::count`] and
    /// [`Board::list_page`] as usual).
    fn counted_first_page(
        &self,
        _f: &ListFilter,
        _now: i64,
    ) -> Result<Option<(i64, Option<Vec<Record>>)>> {
        Ok(None)
    }
    /// The board's per-stage counts under `f` (the total under its SLA
    /// state, breached, at risk; unassigned 0) where the store reads them
    /// in one pass; None where they are counted stage by stage.
    fn stage_counts_under(&self, _f: &ListFilter, _now: i64) -> Result<Option<Vec<StageCount>>> {
        Ok(None)
    }
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
    /// Records with an early warning due by `now`, after the keyset `after`.
    fn warnings_due(&self, now: i64, after: Cursor, limit: i64) -> Result<Vec<Cursor>>;
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
    /// The event log from a sequence number on ([`crate::feed`]).
    fn feed(&self, q: &crate::feed::FeedQuery) -> Result<Vec<crate::feed::FeedEvent>>;
    /// The stage audit of the stays in `range`, through a connection of
    /// its own (so it can run beside the console's).
    fn audit(
        &self,
        p: &Pipeline,
        range: AuditRange,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<AuditReport>;
    /// Builds the stays table again under the stored pipeline, after a
    /// change of calendars or pause rules left it stale (the console does
    /// it in the background while its audit says so).
    fn rebuild_stays(&mut self) -> Result<()> {
        Ok(())
    }
    /// The stays table's state under the stored pipeline.
    fn stays_status(&self) -> Result<StaysStatus>;
    /// Starts hearing of other people's commits (again, harmlessly);
    /// returns how often to ask [`Board::heard`].
    fn listen(&mut self) -> Result<std::time::Duration>;
    /// What was heard since the last call, oldest first.
    fn heard(&mut self) -> Vec<Heard>;
    /// Housekeeping when the console is idle (SQLite's WAL checkpoint).
    fn idle(&self) {}
    /// Many writes follow (a sweep): a store may prepare for them, and
    /// [`Board::many_writes_done`] says when they are over and whether any
    /// was made. A hint: either store may ignore it.
    fn many_writes_ahead(&mut self) -> Result<()> {
        Ok(())
    }
    fn many_writes_done(&mut self, _wrote: bool) -> Result<()> {
        Ok(())
    }
    /// A new handle on the same database as the same user (the console's
    /// closing entry, after its worker is gone).
    fn reopen(&self) -> Result<Box<dyn Board>>;
}

/// The stays table's state, as `carequeue stays status` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaysStatus {
    /// Built under the stored pipeline, every record settled: the audit
    /// reads it.
    pub current: bool,
    /// Built under the stored pipeline (else: never, or under another).
    pub built_for_pipeline: bool,
    pub rows: i64,
    /// Records whose events were appended without their stays settled.
    pub waiting: i64,
}
