//! Reads of patient data, logged. Every read is made by an [`Actor`] (a
//! known, enabled user) and appended to the access log before anything is
//! shown: a read that cannot be logged is refused.

use super::{Actor, OpError, OpResult, is_admin, may_export, supervises};
use crate::domain::Pipeline;
use crate::engine::Record;
use crate::store::{EventRow, ListFilter, Store, access, events};
use chrono::{DateTime, Utc};

/// One record and its history for `actor`, logged as `action` (`show`, or
/// `detail` for the console's pane) before it is returned.
pub fn record(
    store: &mut Store,
    actor: &Actor,
    action: &str,
    id: i64,
    now: DateTime<Utc>,
) -> OpResult<(Record, Vec<EventRow>)> {
    let r = store.record(id)?;
    let history = events::history(store.conn(), id)?;
    log_read(store, actor, action, Some(id), None, now)?;
    Ok((r, history))
}

/// The records `filter` selects for `actor`, logged with `described` (the
/// filter in words) and the count, never patient data.
pub fn records(
    store: &mut Store,
    actor: &Actor,
    filter: &ListFilter,
    described: &str,
    now: DateTime<Utc>,
) -> OpResult<Vec<Record>> {
    let recs = store.list(filter, now.timestamp())?;
    let detail = format!("{} record(s); filter: {described}", recs.len());
    log_read(store, actor, "list", None, Some(&detail), now)?;
    Ok(recs)
}

/// Logs one read by `actor`: `action` names what (show, detail, list,
/// export, audit, console-open, ...), `record` the record if one, `detail`
/// the filter and count (never patient data).
pub fn log_read(
    store: &mut Store,
    actor: &Actor,
    action: &str,
    record: Option<i64>,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> OpResult<()> {
    store
        .write(|tx| access::append(tx, now.timestamp(), &actor.name, action, record, detail))
        .map_err(|e| {
            OpError::Denied(format!(
                "the read could not be logged, so it is refused: {e}"
            ))
        })?;
    Ok(())
}

/// Refuses an export unless the actor holds one of the pipeline's
/// `export_roles`; a refused attempt is logged too.
pub fn authorise_export(
    p: &Pipeline,
    store: &mut Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> OpResult<()> {
    if may_export(p, actor) {
        return Ok(());
    }
    log_read(store, actor, "export-refused", None, None, now)?;
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
    store: &mut Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> OpResult<()> {
    if is_admin(p, actor) || supervises(p, actor) {
        return Ok(());
    }
    log_read(store, actor, "access-log-refused", None, None, now)?;
    Err(OpError::Denied(format!(
        "the access log is for admins and supervising roles; `{}` holds neither",
        actor.name
    )))
}
