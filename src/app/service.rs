//! The console's data side: queries and commits, run on a worker thread
//! (see `worker`) or called directly by tests. Every change goes through
//! `ops`, exactly as on the command line.

use crate::domain::Pipeline;
use crate::engine::{Clock, Record, User};
use crate::log::AccessAction;
use crate::ops;
use crate::store::{Board, BreachGroup, EventRow, ListFilter, RowKey, StageCount};
use std::sync::Arc;

/// Where a page of the queue starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    First,
    /// From this row (inclusive), known to sit at absolute `index`.
    From {
        key: RowKey,
        index: usize,
    },
    /// The rows just before this key, ending at absolute `index`.
    Before {
        key: RowKey,
        index: usize,
    },
    Last,
}

#[derive(Debug, Clone)]
pub struct PageQuery {
    pub filter: ListFilter,
    pub anchor: Anchor,
    pub limit: usize,
    /// The stage board's counts under this filter (an owner mode or typed
    /// terms the maintained counts cannot answer); None: the counts kept.
    pub board: Option<Box<ListFilter>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Move {
        id: i64,
        version: i64,
        event: String,
        reason: Option<String>,
        breach_reason: Option<String>,
        note: Option<String>,
    },
    Assign {
        id: i64,
        version: i64,
        user: String,
    },
    Claim {
        id: i64,
        version: i64,
    },
    Release {
        id: i64,
        version: i64,
    },
    Substatus {
        id: i64,
        version: i64,
        value: Option<String>,
    },
    Note {
        id: i64,
        version: i64,
        text: String,
    },
    Ack {
        id: i64,
        version: i64,
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub enum Request {
    Page {
        seq: u64,
        query: PageQuery,
    },
    Counts,
    BreachGroups,
    Detail(i64),
    Team,
    Commit(Cmd),
    /// Fire due timers and escalations (on start and every 30 s).
    Sweep,
    /// The stage audit over the whole log (the Audit view).
    Audit,
    /// The trend of the last twelve weeks (the Audit view's second page).
    Trend,
    /// A view was opened: logged in the access log, nothing returned.
    Visited(String),
    /// The detail pane was closed: opening it again is a new access.
    DetailClosed,
    /// Append to the checkpoint file if a head moved (every 5 minutes).
    Checkpoint,
    /// The terminal hung up (the window closed, the SSH session dropped):
    /// the console's end is logged before the process goes.
    TerminalLost,
    /// Every record of the filter (up to its limit), to mark them.
    MarkAll(ListFilter),
    /// Whether a record exists, and where (`:go`).
    Locate(i64),
    /// A bulk action's dry run: nothing is written.
    BulkCheck(Vec<Cmd>),
    /// A bulk action, confirmed: each command its own transaction.
    BulkRun(Vec<Cmd>),
    /// Record `id` was last seen at `version` and is now elsewhere or
    /// otherwise: who changed it (a popup open on it, or it left a view).
    WhoChanged {
        id: i64,
        version: i64,
    },
    /// The user's saved views.
    SavedViews,
    /// `:save`: keep this view under its name.
    SaveView(crate::store::views::SavedView),
    /// `:view delete NAME`.
    DeleteView(String),
    /// A webhook delivery round, and which targets keep failing (every
    /// few seconds).
    Deliver,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub seq: u64,
    pub rows: Vec<Record>,
    /// Absolute index of the first row.
    pub start: usize,
    pub total: usize,
    /// A walk cut short by the scan cap: the rows go on from this key.
    pub resume: Option<RowKey>,
    /// The board's per-stage counts under the query's `board` filter.
    pub board: Option<Vec<StageCount>>,
}

#[derive(Debug, Clone)]
pub struct Detail {
    pub record: Record,
    pub history: Vec<EventRow>,
}

#[derive(Debug, Clone)]
pub enum Response {
    Page(Page),
    Counts(Vec<StageCount>),
    BreachGroups(Vec<BreachGroup>),
    Detail(Box<Detail>),
    Team(Vec<User>),
    /// A change to record `id`: what it did, or why not.
    Committed {
        id: i64,
        res: Result<String, String>,
    },
    /// Record `id`, last seen at `version`, was changed by `actor`: `said`.
    ChangedUnder {
        id: i64,
        version: i64,
        actor: String,
        said: String,
    },
    Swept(ops::SweepReport),
    /// The webhook targets that keep failing (dead messages, or failing
    /// for a quarter of an hour).
    WebhookTrouble(Vec<String>),
    Audit(Box<crate::engine::audit::AuditReport>),
    /// The audit could not be computed: why.
    AuditFailed(String),
    Trend(Box<ops::trend::Trend>),
    /// The trend could not be computed: why.
    TrendFailed(String),
    /// The user was disabled (or their roles changed): the console locks.
    Revoked(String),
    /// A [`Request::Visited`] or [`Request::DetailClosed`] was taken.
    Noted,
    /// The record `:go` asked for, if it exists.
    Located(Option<Box<Record>>),
    /// The dry run of a bulk action, one verdict per marked record.
    BulkChecked(Vec<super::bulk_service::Verdict>),
    /// What a confirmed bulk action did.
    BulkDone(super::bulk_service::BulkOutcome),
    /// The user's saved views, and what a save or delete said.
    SavedViews {
        views: Vec<crate::store::views::SavedView>,
        said: Option<Result<String, String>>,
    },
    /// The records of a [`Request::MarkAll`], and how many matched.
    Marked {
        rows: Vec<Record>,
        total: usize,
    },
    /// An admin applied another pipeline: the console now runs under it.
    PipelineChanged {
        pipeline: Arc<Pipeline>,
        version: i64,
        /// The user, with roles under the new pipeline's names.
        user: User,
    },
    Error(String),
}

pub struct Service {
    pub pipeline: Arc<Pipeline>,
    pub store: Box<dyn Board>,
    pub clock: Arc<dyn Clock>,
    pub user: ops::Actor,
    /// Why commits are refused (a what-if pipeline), if they are.
    pub read_only: Option<String>,
    /// The record whose detail was last logged: a refresh of the same
    /// pane is not another access.
    last_detail: Option<i64>,
    /// Rows of an order's index one page's walk may read (a page cut short
    /// says where to resume, and the console reads on from there).
    pub scan_cap: usize,
    /// The console's webhook deliverer, when it has a notify.toml.
    pub(super) deliverer: Option<ops::notify::Deliverer>,
}

/// The default [`Service::scan_cap`]: a few milliseconds of reading (each
/// row read is a table row with its fields); a sparse filter reads on in
/// more such steps, with the keys served between them.
pub const SCAN_CAP: usize = 2_000;

impl Service {
    pub fn new(
        pipeline: Arc<Pipeline>,
        store: impl Into<Box<dyn Board>>,
        clock: Arc<dyn Clock>,
        user: ops::Actor,
        read_only: Option<String>,
    ) -> Service {
        Service {
            pipeline,
            store: store.into(),
            clock,
            user,
            read_only,
            last_detail: None,
            scan_cap: SCAN_CAP,
            deliverer: None,
        }
    }

    pub fn handle(&mut self, req: Request) -> Response {
        let audit = matches!(req, Request::Audit);
        let trend = matches!(req, Request::Trend);
        match self.run(req) {
            Ok(r) => r,
            // The Audit view says it failed, and `r` retries.
            Err(e) if audit => Response::AuditFailed(e.to_string()),
            Err(e) if trend => Response::TrendFailed(e.to_string()),
            Err(e) => Response::Error(e.to_string()),
        }
    }

    fn run(&mut self, req: Request) -> anyhow::Result<Response> {
        let now = self.clock.now();
        // A commit decided under the old rules is refused by the store
        // itself; anything else first picks up a newly applied pipeline.
        if !matches!(req, Request::Commit(_) | Request::BulkRun(_))
            && let Some(changed) = self.reload_pipeline()?
        {
            return Ok(changed);
        }
        // Every request is the user's: a disabled user reads nothing more.
        if let Some(why) = ops::identity::revoked(&*self.store, &self.user)? {
            return Ok(Response::Revoked(why));
        }
        Ok(match req {
            Request::Page { seq, query } => {
                Response::Page(self.page(seq, &query, now.timestamp())?)
            }
            Request::Counts => Response::Counts(self.store.stage_counts(now.timestamp())?),
            Request::BreachGroups => {
                Response::BreachGroups(self.store.breach_groups(now.timestamp())?)
            }
            Request::Detail(id) if self.last_detail != Some(id) => {
                let (record, history) = ops::reads::record(
                    &mut *self.store,
                    &self.user,
                    AccessAction::Detail,
                    id,
                    now,
                )?;
                self.last_detail = Some(id);
                Response::Detail(Box::new(Detail { record, history }))
            }
            // The pane already open, refreshed: not another access.
            Request::Detail(id) => {
                let record = self.store.record(id)?;
                let history = self.store.history(id)?;
                Response::Detail(Box::new(Detail { record, history }))
            }
            Request::Team => Response::Team(self.store.users()?),
            Request::Commit(cmd) => Response::Committed {
                id: cmd.id(),
                res: self.commit_told(cmd),
            },
            Request::WhoChanged { id, version } => self.who_changed(id, version, now)?,
            Request::Sweep => Response::Swept(self.sweep(now)?),
            Request::Deliver => self.deliver(now.timestamp())?,
            Request::Audit => {
                self.log_audit(now)?;
                Response::Audit(Box::new(self.audit(now)?))
            }
            Request::Trend => {
                self.log_audit(now)?;
                Response::Trend(Box::new(self.trend(now)?))
            }
            Request::Visited(view) => {
                let detail = format!("view {view}");
                ops::reads::log_read(
                    &mut *self.store,
                    &self.user,
                    AccessAction::ConsoleView,
                    None,
                    Some(&detail),
                    now,
                )?;
                Response::Noted
            }
            Request::DetailClosed => {
                self.last_detail = None;
                Response::Noted
            }
            Request::TerminalLost => {
                ops::reads::log_read(
                    &mut *self.store,
                    &self.user,
                    AccessAction::ConsoleClose,
                    None,
                    Some("terminal lost"),
                    now,
                )?;
                Response::Noted
            }
            Request::Checkpoint => {
                ops::checkpoints::auto(&*self.store, now)?;
                Response::Noted
            }
            Request::Locate(id) => Response::Located(self.store.record(id).ok().map(Box::new)),
            r @ (Request::SavedViews | Request::SaveView(_) | Request::DeleteView(_)) => {
                self.saved_views(r, now)?
            }
            Request::BulkCheck(cmds) => Response::BulkChecked(self.bulk_check(cmds)),
            Request::BulkRun(cmds) => Response::BulkDone(self.bulk_run(cmds)),
            Request::MarkAll(filter) => {
                let total = self.store.count(&filter, now.timestamp())? as usize;
                let rows = self.store.list(&filter, now.timestamp())?;
                Response::Marked { rows, total }
            }
        })
    }

    /// The Audit view's read, in the access log (the worker runs the audit
    /// itself on a thread of its own): refused if the user may no longer
    /// read or the entry cannot be written.
    pub fn begin_audit(&mut self) -> Option<Response> {
        let now = self.clock.now();
        match ops::identity::revoked(&*self.store, &self.user) {
            Ok(Some(why)) => return Some(Response::Revoked(why)),
            Ok(None) => {}
            Err(e) => return Some(Response::AuditFailed(e.to_string())),
        }
        self.log_audit(now)
            .err()
            .map(|e| Response::AuditFailed(e.to_string()))
    }

    fn log_audit(&mut self, now: chrono::DateTime<chrono::Utc>) -> ops::OpResult<()> {
        ops::reads::log_read(
            &mut *self.store,
            &self.user,
            AccessAction::Audit,
            None,
            Some("console Audit view"),
            now,
        )
    }

    /// The audit, read through its own connection so the worker's stays free.
    pub fn audit(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<crate::engine::audit::AuditReport> {
        let all = crate::engine::audit::AuditRange::ALL;
        let r = self.store.audit(&self.pipeline, all, now)?;
        if r.stays != crate::engine::audit::StaysUse::Rebuilding {
            return Ok(r);
        }
        // Asked in line (not on the worker's side thread, which shows the
        // figures from the log first): rebuilt, then read.
        let mut other = self.store.reopen()?;
        other.rebuild_stays()?;
        Ok(other.audit(&self.pipeline, all, now)?)
    }

    /// The last twelve weeks by week, read like the audit.
    pub fn trend(&self, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<ops::trend::Trend> {
        Ok(trend_of(&self.pipeline, &*self.store, now)?)
    }

    /// Fires due timers and escalations.
    fn sweep(&mut self, now: chrono::DateTime<chrono::Utc>) -> ops::OpResult<ops::SweepReport> {
        ops::sweep(&self.pipeline, &mut *self.store, now)
    }
}

/// Answers `reqs` and everything they lead to, synchronously: the console's
/// loop without a thread or a terminal (tests, benchmarks).
pub fn pump(app: &mut super::App, svc: &mut Service, reqs: Vec<Request>) {
    let mut queue: std::collections::VecDeque<Request> = reqs.into();
    // Each response can ask for a few more; a bound keeps a bug from looping forever.
    let mut budget = 1000;
    while let Some(r) = queue.pop_front() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        let resp = svc.handle(r);
        queue.extend(app.on_response(resp));
    }
}

/// The console's trend: twelve weeks by week up to `now`.
pub fn trend_of(
    p: &crate::domain::Pipeline,
    store: &dyn crate::store::Board,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::store::Result<ops::trend::Trend> {
    let until = now.timestamp();
    let since = until - 12 * 7 * 86_400 + 1;
    ops::trend::compute(p, store, (since, until), ops::trend::By::Week, 13, now)
}
