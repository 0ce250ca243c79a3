//! Reads of patient data, logged. Every read is made by an [`Actor`] (a
//! known, enabled user) and appended to the access log before anything is
//! shown: a read that cannot be logged is refused.

use super::{Actor, OpError, OpResult, is_admin, may_export, supervises};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::Record;
use carequeue_core::engine::{Clock, SystemClock};
use carequeue_core::log::AccessAction;
use carequeue_store::db::Snapshot;
use carequeue_store::{Db, EventRow, ListFilter};
use chrono::{DateTime, Utc};

/// One record and its history for `actor`, logged as `action` (`show`, or
/// `detail` for the console's pane) before it is returned.
pub fn record(
    store: &mut dyn Db,
    actor: &Actor,
    action: AccessAction,
    id: i64,
    now: DateTime<Utc>,
) -> OpResult<(Record, Vec<EventRow>)> {
    if store.logs_before_reading() {
        // The server reads only what a committed entry covers.
        log_read(store, actor, action, Some(id), None, now)?;
        return Ok((store.record(id)?, store.history(id)?));
    }
    let r = store.record(id)?;
    let history = store.history(id)?;
    log_read(store, actor, action, Some(id), None, now)?;
    Ok((r, history))
}

/// The records a filter selects, to be streamed: the read is logged (the
/// filter and the count) before the first row is read, then [`Listing::each`]
/// hands the rows over one at a time from one snapshot, as many passes as the
/// caller needs (a table measures its columns, then prints).
pub struct Listing<'s> {
    store: &'s dyn Db,
    filter: ListFilter,
    now: i64,
    count: i64,
    /// A read transaction: every pass sees the same rows.
    _snapshot: Box<dyn Snapshot + 's>,
}

impl Listing<'_> {
    /// How many rows were counted (and logged) for this read.
    pub fn count(&self) -> i64 {
        self.count
    }

    /// One pass over the rows, most urgent first.
    pub fn each<E: From<carequeue_store::StoreError>>(
        &self,
        mut each: impl FnMut(Record) -> Result<(), E>,
    ) -> Result<(), E> {
        // The caller's error is carried past the store's callback type.
        let mut failed: Option<E> = None;
        let ran = self.store.each_listed(&self.filter, self.now, &mut |r| {
            each(r).map_err(|e| {
                failed = Some(e);
                carequeue_store::StoreError::Aborted
            })
        });
        match (ran, failed) {
            (_, Some(e)) => Err(e),
            (Err(e), None) => Err(e.into()),
            (Ok(()), None) => Ok(()),
        }
    }
}

/// The records `filter` selects for `actor`, logged with `described` (the
/// filter in words) and the count, never patient data; read afterwards.
pub fn listing<'s>(
    store: &'s mut dyn Db,
    actor: &Actor,
    filter: &ListFilter,
    described: &str,
    now: DateTime<Utc>,
) -> OpResult<Listing<'s>> {
    let capped = |count: i64| match filter.limit {
        Some(limit) => count.min(i64::try_from(limit).unwrap_or(i64::MAX)),
        None => count,
    };
    let count = if store.logs_before_reading() {
        // The count reads patient data too (a name search counts names),
        // so the entry comes first and cannot hold it.
        let detail = format!("filter: {described}");
        log_read(store, actor, AccessAction::List, None, Some(&detail), now)?;
        capped(store.count(filter, now.timestamp())?)
    } else {
        let count = capped(store.count(filter, now.timestamp())?);
        let detail = format!("{count} record(s); filter: {described}");
        log_read(store, actor, AccessAction::List, None, Some(&detail), now)?;
        count
    };
    let store: &dyn Db = store;
    let snapshot = store.snapshot()?;
    Ok(Listing {
        store,
        filter: filter.clone(),
        now: now.timestamp(),
        count,
        _snapshot: snapshot,
    })
}

/// Logs one read by `actor`: `action` names what (show, detail, list,
/// export, audit, console-open, ...), `record` the record if one, `detail`
/// the filter and count (never patient data). The entry is dated by the
/// real clock, whatever `now` the read ran at: a what-if time (`--now`)
/// never dates a log entry, and is written into the detail instead.
pub fn log_read(
    store: &mut dyn Db,
    actor: &Actor,
    action: AccessAction,
    record: Option<i64>,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> OpResult<()> {
    if store.reads_unlogged() {
        // Read-only for its own owner, whom the log could not bind: the
        // read goes on, and the command line says so (see `Ctx::reader`).
        return Ok(());
    }
    if store.read_only() {
        return Err(OpError::Denied(format!(
            "the read could not be logged, so it is refused: {} is read-only for you",
            store.label()
        )));
    }
    let real = SystemClock.now();
    let what_if = (now - real).num_seconds().abs() > WHAT_IF_SLACK;
    let detail = match (detail, what_if) {
        (_, false) => detail.map(str::to_string),
        (Some(d), true) => Some(format!(
            "{d}; as of {}",
            crate::present::rfc3339(now.timestamp())
        )),
        (None, true) => Some(format!(
            "as of {}",
            crate::present::rfc3339(now.timestamp())
        )),
    };
    store
        .log_read(
            real.timestamp(),
            &actor.name,
            action,
            record,
            detail.as_deref(),
        )
        .map_err(|e| {
            OpError::Denied(format!(
                "the read could not be logged, so it is refused: {e}"
            ))
        })?;
    Ok(())
}

/// Logs, where the store needs it (PostgreSQL, a session no entry covers
/// yet), the read a change makes of `record` (or, with none, of every
/// record a sweep, a pipeline change or a release may touch) before the
/// change's transaction begins. `why` says what the change is.
pub fn before_change(
    store: &mut dyn Db,
    actor: &str,
    record: Option<i64>,
    why: &str,
) -> OpResult<()> {
    if !store.logs_before_reading() || store.reads_covered(record) {
        return Ok(());
    }
    store
        .log_read(
            SystemClock.now().timestamp(),
            actor,
            AccessAction::Change,
            record,
            Some(why),
        )
        .map_err(|e| {
            OpError::Denied(format!(
                "the change's read could not be logged, so it is refused: {e}"
            ))
        })
}

/// How far a read's `now` may be from the real clock before it counts as a
/// what-if time: more than the few seconds a command takes to run.
const WHAT_IF_SLACK: i64 = 5;

/// Refuses an export unless the actor holds one of the pipeline's
/// `export_roles`; a refused attempt is logged too.
pub fn authorise_export(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &Actor,
    now: DateTime<Utc>,
) -> OpResult<()> {
    if may_export(p, actor) {
        return Ok(());
    }
    log_read(store, actor, AccessAction::ExportRefused, None, None, now)?;
    let roles: Vec<&str> = p
        .export_roles
        .iter()
        .map(|r| p.role(*r).id.as_str())
        .collect();
    Err(OpError::Denied(format!(
        "export of patient data needs one of the roles {}; `{}` holds none",
        roles.join(", "),
        actor.name
    )))
}

/// Who may read the access log: admins and supervising roles.
pub fn authorise_access_log(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &Actor,
    now: DateTime<Utc>,
) -> OpResult<()> {
    if is_admin(p, actor) || supervises(p, actor) {
        return Ok(());
    }
    log_read(
        store,
        actor,
        AccessAction::AccessLogRefused,
        None,
        None,
        now,
    )?;
    Err(OpError::Denied(format!(
        "the access log is for admins and supervising roles; `{}` holds neither",
        actor.name
    )))
}
