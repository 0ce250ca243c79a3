//! Who changed a record and how, read for the person whose action it
//! overtook: a change refused as stale, a popup whose record changed under
//! it, a record that left a view. The read names the record, so it is in
//! the access log (under `detail` words saying why) before anything is read.

use super::present::changed_by;
use super::{Actor, OpResult, reads};
use carequeue_core::domain::Pipeline;
use carequeue_core::log::AccessAction;
use carequeue_store::Db;
use chrono::{DateTime, Utc};

/// Why a read of who changed a record was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overtaken<'a> {
    /// A change (`what`: claim, move, ...) was refused: the record changed
    /// since it was read. Logged as a refused `change`.
    Refused(&'a str),
    /// The record changed while the user was deciding (a popup open on
    /// it), or left the view: logged as a `detail` read.
    Shown,
}

/// The record's latest change: who made it, and it said in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastChange {
    pub actor: String,
    /// `#191 was reassigned to kim by sam at 10:02`.
    pub said: String,
}

/// The record's latest event, after logging the read; None if it has none.
pub fn who_changed(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &Actor,
    id: i64,
    why: Overtaken,
    now: DateTime<Utc>,
) -> OpResult<Option<LastChange>> {
    let (action, detail) = match why {
        Overtaken::Refused(what) => (
            AccessAction::Change,
            format!("refused {what}: the record changed since it was read"),
        ),
        Overtaken::Shown => (
            AccessAction::Detail,
            "who changed it: the record changed under the user".to_string(),
        ),
    };
    reads::log_read(store, actor, action, Some(id), Some(&detail), now)?;
    let history = store.history(id)?;
    Ok(history.last().map(|e| LastChange {
        actor: e.actor.clone(),
        said: changed_by(p, id, e, now.timestamp()),
    }))
}
