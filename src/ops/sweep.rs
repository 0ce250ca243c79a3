//! The sweep: fires every due timer and escalation as of `now`, as the
//! `system` actor. Idempotent: what fired is no longer due, so a second run
//! at the same instant changes nothing.

use super::actions::{EventSpec, Guard, change_in, decide_move};
use super::{OpError, OpResult, SYSTEM};
use crate::domain::{Pipeline, Priority};
use crate::engine::rules::MoveArgs;
use crate::engine::{Record, User, timers};
use crate::store::Store;
use crate::store::events::Appender;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Timer events fired.
    pub timers: usize,
    /// Escalation levels fired.
    pub escalations: usize,
    /// Due timers whose event the engine refused (e.g. an open sub-status);
    /// they stay due and are retried by the next sweep.
    pub refused: usize,
}

/// Records with a timer due, in due order, a batch after a keyset cursor.
pub const TIMERS_DUE_SQL: &str = "SELECT timer_at, id FROM records
     WHERE timer_at <= ?1 AND (timer_at, id) > (?2, ?3) ORDER BY timer_at, id LIMIT ?4";

/// Records of a stage due for escalation level ?2, in due order.
pub const ESCALATIONS_DUE_SQL: &str = "SELECT sort_due, id FROM records
     WHERE stage = ?1 AND escalation = ?2 AND due_at IS NOT NULL AND sort_due <= ?3
       AND (sort_due, id) > (?4, ?5)
     ORDER BY sort_due, id LIMIT ?6";

/// Stop a record that keeps landing in stages with timers already due.
const MAX_CASCADE: usize = 16;
/// Records read per due query.
const BATCH: i64 = 2000;
/// How long one transaction of firings may hold the write lock: fewer
/// commits write each touched page to the WAL fewer times, but every other
/// writer (a commit, a read's access-log entry) waits for the one running.
const SLICE: std::time::Duration = std::time::Duration::from_millis(30);
/// The pause after each commit, so a writer waiting on the busy handler
/// (which polls every millisecond) gets the lock between slices.
const YIELD: std::time::Duration = std::time::Duration::from_millis(1);

/// Runs `fire` on each of `ids` in transactions of at most [`SLICE`] each,
/// pausing [`YIELD`] after each commit.
fn in_slices(
    store: &mut Store,
    ids: &[i64],
    mut fire: impl FnMut(&mut dyn crate::store::Tx, i64) -> OpResult<()>,
) -> OpResult<()> {
    let mut rest = ids;
    while !rest.is_empty() {
        let done = store.write(|tx| -> OpResult<usize> {
            let start = std::time::Instant::now();
            let mut chain = Appender::load(tx)?;
            let mut n = 0;
            let mut t = crate::store::db::SqliteTx {
                conn: tx,
                chain: &mut chain,
            };
            for id in rest {
                fire(&mut t, *id)?;
                n += 1;
                if start.elapsed() >= SLICE {
                    break;
                }
            }
            chain.finish(tx)?;
            Ok(n)
        })?;
        rest = &rest[done..];
        std::thread::sleep(YIELD);
    }
    Ok(())
}

pub fn sweep(p: &Pipeline, store: &mut Store, now: DateTime<Utc>) -> OpResult<SweepReport> {
    let system = User {
        name: SYSTEM.to_string(),
        roles: Vec::new(),
    };
    let mut report = SweepReport::default();
    // A large sweep rewrites the same index pages batch after batch; with
    // checkpoints only every 256 MiB of WAL, each page reaches the database
    // file once per checkpoint rather than once per batch (a 358k-firing
    // sweep on 1M records: 29 s -> 18 s). Where checkpoints are deferred to
    // idle time (the console's worker), a long sweep would otherwise grow
    // the WAL without bound; it checkpoints at the same pace there too.
    let wal = |store: &Store, v: i64| -> OpResult<i64> {
        Ok(store
            .conn()
            .pragma_update_and_check(None, "wal_autocheckpoint", v, |r| r.get(0))
            .map_err(crate::store::StoreError::from)?)
    };
    let before: i64 = store
        .conn()
        .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
        .map_err(crate::store::StoreError::from)?;
    wal(store, SWEEP_CHECKPOINT_PAGES)?;
    let fired = fire_timers(p, store, &system, now, &mut report)
        .and_then(|()| fire_escalations(p, store, &system, now, &mut report));
    wal(store, before)?;
    if report.timers + report.escalations > 0 {
        store.checkpoint()?;
    }
    fired.map(|()| report)
}

/// WAL pages between checkpoints while a sweep runs (4 KiB pages: 256 MiB).
const SWEEP_CHECKPOINT_PAGES: i64 = 65_536;

fn batch(store: &Store, sql: &str, params: &[&dyn rusqlite::ToSql]) -> OpResult<Vec<(i64, i64)>> {
    let mut st = store
        .conn()
        .prepare_cached(sql)
        .map_err(crate::store::StoreError::from)?;
    let rows = st
        .query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(crate::store::StoreError::from)?;
    Ok(rows
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(crate::store::StoreError::from)?)
}

fn fire_timers(
    p: &Pipeline,
    store: &mut Store,
    system: &User,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> OpResult<()> {
    let t = now.timestamp();
    let mut cursor = (i64::MIN, i64::MIN);
    loop {
        let ids = batch(store, TIMERS_DUE_SQL, &[&t, &cursor.0, &cursor.1, &BATCH])?;
        let Some(last) = ids.last() else {
            return Ok(());
        };
        cursor = *last;
        // A sweep that fires thousands of timers commits tens of times,
        // not thousands, and never holds the lock for long.
        let ids: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();
        in_slices(store, &ids, |tx, id| {
            for _ in 0..MAX_CASCADE {
                let fired = change_in(tx, id, system, now, Guard::default(), |cur, now| {
                    fire_timer(p, cur, system, now)
                });
                match fired {
                    Ok(_) => report.timers += 1,
                    Err(OpError::Denied(ref m)) if m == NOT_DUE => break,
                    Err(OpError::Refused(_)) => {
                        report.refused += 1;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })?;
    }
}

const NOT_DUE: &str = "not due";

/// Fires `cur`'s next timer if it is due by `now`.
pub(crate) fn fire_timer(
    p: &Pipeline,
    cur: &Record,
    system: &User,
    now: DateTime<Utc>,
) -> OpResult<(Record, EventSpec)> {
    let Some((ti, at)) = timers::next(p, cur) else {
        return Err(OpError::Denied(NOT_DUE.into()));
    };
    if at > now.timestamp() {
        return Err(OpError::Denied(NOT_DUE.into()));
    }
    let timer = &p.timers[ti];
    let event = p.transition(timer.transition).event.clone();
    let args = MoveArgs {
        reason: timer.reason.as_deref(),
        system: true,
        ..Default::default()
    };
    decide_move(p, cur, system, &event, &args, now)
}

fn fire_escalations(
    p: &Pipeline,
    store: &mut Store,
    system: &User,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> OpResult<()> {
    let t = now.timestamp();
    for stage in p.stages.iter().filter(|s| !s.escalations.is_empty()) {
        for (level, esc) in stage.escalations.iter().enumerate() {
            // Working time never runs faster than the wall clock, so
            // breach + offset (wall) is a safe pre-filter; the exact
            // working-time instant is checked per record.
            let latest_due = t - esc.after.0;
            let mut cursor = (i64::MIN, i64::MIN);
            loop {
                let lvl = level as i64;
                let ids = batch(
                    store,
                    ESCALATIONS_DUE_SQL,
                    &[&stage.id, &lvl, &latest_due, &cursor.0, &cursor.1, &BATCH],
                )?;
                let Some(last) = ids.last() else { break };
                cursor = *last;
                // Fired in id order: neighbouring records share pages.
                let mut ids: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();
                ids.sort_unstable();
                in_slices(store, &ids, |tx, id| {
                    let fired = change_in(tx, id, system, now, Guard::default(), |cur, now| {
                        escalate(p, cur, level, now)
                    });
                    match fired {
                        Ok(_) => report.escalations += 1,
                        Err(OpError::Denied(ref m)) if m == NOT_DUE => {}
                        Err(e) => return Err(e),
                    }
                    Ok(())
                })?;
            }
        }
    }
    Ok(())
}

/// Fires escalation `level` of `cur`'s stay if it is due by `now`.
pub(crate) fn escalate(
    p: &Pipeline,
    cur: &Record,
    level: usize,
    now: DateTime<Utc>,
) -> OpResult<(Record, EventSpec)> {
    let Some((l, esc, at)) = timers::next_escalation(p, cur) else {
        return Err(OpError::Denied(NOT_DUE.into()));
    };
    if l != level || at > now.timestamp() {
        return Err(OpError::Denied(NOT_DUE.into()));
    }
    let mut next = cur.clone();
    next.escalation = level as i64 + 1;
    let role = |r: crate::domain::RoleIx| p.role(r).id.clone();
    if let Some(n) = esc.notify {
        next.notify_role = Some(role(n));
    }
    if let Some(r) = esc.reassign {
        next.owner_role = Some(role(r));
        next.assignee = None;
    }
    if let Some(pr) = esc.priority {
        next.priority = next.priority.max(pr.rank());
    }
    let data = serde_json::json!({
        "level": level + 1,
        "notify": esc.notify.map(role),
        "reassign": esc.reassign.map(role),
        "priority": esc.priority.map(|x| match x { Priority::Normal => "normal", Priority::High => "high", Priority::Urgent => "urgent" }),
    });
    Ok((
        next,
        EventSpec {
            kind: "escalation",
            event: Some(format!("level_{}", level + 1)),
            from: cur.assignee.clone(),
            to: esc.reassign.or(esc.notify).map(role),
            data: Some(data.to_string()),
            ..Default::default()
        },
    ))
}
