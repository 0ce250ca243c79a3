//! The sweep: fires every due timer, escalation and early warning as of
//! `now`, as the `system` actor. Idempotent: what fired is no longer due, so a second run
//! at the same instant changes nothing.

use super::actions::{ChangeOpts, EventSpec, change_in, decide_move};
use super::{OpError, OpResult, SYSTEM};
use carequeue_core::domain::{Pipeline, Priority};
use carequeue_core::engine::rules::MoveArgs;
use carequeue_core::engine::{Record, User, timers, warnings};
use carequeue_core::log::EventKind;
use carequeue_store::Board;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Timer events fired.
    pub timers: usize,
    /// Escalation levels fired.
    pub escalations: usize,
    /// Early warnings fired (`sla_warning`).
    pub warnings: usize,
    /// Due timers whose event the engine refused (e.g. an open sub-status);
    /// they stay due and are retried by the next sweep.
    pub refused: usize,
}

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
    store: &mut dyn Board,
    ids: &[i64],
    mut fire: impl FnMut(&mut dyn carequeue_store::Tx, i64) -> OpResult<()>,
) -> OpResult<()> {
    let mut rest = ids;
    while !rest.is_empty() {
        let done = carequeue_store::db::write(store, |tx| -> OpResult<usize> {
            let start = std::time::Instant::now();
            let mut n = 0;
            for id in rest {
                fire(tx, *id)?;
                n += 1;
                if start.elapsed() >= SLICE {
                    break;
                }
            }
            Ok(n)
        })?;
        rest = &rest[done..];
        std::thread::sleep(YIELD);
    }
    Ok(())
}

/// Fires every due timer and escalation as of `now`. Two sweeps at once
/// (two consoles, or a console and `carequeue sweep`) fire each once:
/// every firing re-reads its record inside its own transaction, where a
/// timer already fired is no longer due.
pub fn sweep(p: &Pipeline, store: &mut dyn Board, now: DateTime<Utc>) -> OpResult<SweepReport> {
    let system = User {
        name: SYSTEM.to_string(),
        roles: Vec::new(),
    };
    let mut report = SweepReport::default();
    crate::reads::before_change(
        store,
        SYSTEM,
        None,
        "sweep: due timers, escalations and warnings",
    )?;
    store.many_writes_ahead()?;
    let fired = fire_timers(p, store, &system, now, &mut report)
        .and_then(|()| fire_escalations(p, store, &system, now, &mut report))
        .and_then(|()| fire_warnings(p, store, &system, now, &mut report));
    store.many_writes_done(report.timers + report.escalations + report.warnings > 0)?;
    fired.map(|()| report)
}

fn fire_timers(
    p: &Pipeline,
    store: &mut dyn Board,
    system: &User,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> OpResult<()> {
    let t = now.timestamp();
    let mut cursor = (i64::MIN, i64::MIN);
    loop {
        let ids = store.timers_due(t, cursor, BATCH)?;
        let Some(last) = ids.last() else {
            return Ok(());
        };
        cursor = *last;
        // A sweep that fires thousands of timers commits tens of times,
        // not thousands, and never holds the lock for long.
        let ids: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();
        let ids = candidates(&*store, &ids, |r| fire_timer(p, r, system, now))?;
        in_slices(store, &ids, |tx, id| {
            let (fired, refused) = cascade(tx, id, system, now, |cur, now| {
                fire_timer(p, cur, system, now)
            })?;
            report.timers += fired;
            report.refused += refused;
            Ok(())
        })?;
    }
}

/// Fires `decide` on record `id` until it finds nothing due (at most
/// [`MAX_CASCADE`] times: a record may land where more is due at once);
/// how many fired, and whether the last was refused (it stays due and is
/// retried by the next sweep).
fn cascade(
    tx: &mut dyn carequeue_store::Tx,
    id: i64,
    system: &User,
    now: DateTime<Utc>,
    decide: impl Fn(&Record, DateTime<Utc>) -> OpResult<(Record, EventSpec)>,
) -> OpResult<(usize, usize)> {
    let mut fired = 0;
    for _ in 0..MAX_CASCADE {
        match change_in(tx, id, system, now, ChangeOpts::default(), &decide) {
            Ok(_) => fired += 1,
            Err(OpError::NotDue) => break,
            Err(OpError::Refused(_)) => return Ok((fired, 1)),
            Err(e) => return Err(e),
        }
    }
    Ok((fired, 0))
}

/// The ids among `ids` whose record `fire` does not find not due, judged
/// on one read outside any write (the index's wall-clock pre-filter lets
/// through records whose working time has not run out yet). Each is judged
/// again inside its own write, where it counts: this only spares a sweep
/// with little due a write transaction per record it would not fire.
fn candidates(
    store: &dyn Board,
    ids: &[i64],
    fire: impl Fn(&Record) -> OpResult<(Record, EventSpec)>,
) -> OpResult<Vec<i64>> {
    Ok(store
        .records(ids)?
        .iter()
        .filter(|r| !matches!(fire(r), Err(OpError::NotDue)))
        .map(|r| r.id)
        .collect())
}

/// Fires `cur`'s next timer if it is due by `now`.
pub fn fire_timer(
    p: &Pipeline,
    cur: &Record,
    system: &User,
    now: DateTime<Utc>,
) -> OpResult<(Record, EventSpec)> {
    let Some((ti, at)) = timers::next(p, cur) else {
        return Err(OpError::NotDue);
    };
    if at > now.timestamp() {
        return Err(OpError::NotDue);
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
    store: &mut dyn Board,
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
                let ids = store.escalations_due(&stage.id, lvl, latest_due, cursor, BATCH)?;
                let Some(last) = ids.last() else { break };
                cursor = *last;
                // Fired in id order: neighbouring records share pages.
                let ids: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();
                let mut ids = candidates(&*store, &ids, |r| escalate(p, r, level, now))?;
                ids.sort_unstable();
                in_slices(store, &ids, |tx, id| {
                    let fired =
                        change_in(tx, id, system, now, ChangeOpts::default(), |cur, now| {
                            escalate(p, cur, level, now)
                        });
                    match fired {
                        Ok(_) => report.escalations += 1,
                        Err(OpError::NotDue) => {}
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
pub fn escalate(
    p: &Pipeline,
    cur: &Record,
    level: usize,
    now: DateTime<Utc>,
) -> OpResult<(Record, EventSpec)> {
    let Some((l, esc, at)) = timers::next_escalation(p, cur) else {
        return Err(OpError::NotDue);
    };
    if l != level || at > now.timestamp() {
        return Err(OpError::NotDue);
    }
    let mut next = cur.clone();
    next.escalation = level as i64 + 1;
    let role = |r: carequeue_core::domain::RoleIx| p.role(r).id.clone();
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
        "priority": esc.priority.map(Priority::as_str),
    });
    Ok((
        next,
        EventSpec {
            event: Some(format!("level_{}", level + 1)),
            from: cur.assignee.clone(),
            to: esc.reassign.or(esc.notify).map(role),
            data: Some(data.to_string()),
            ..EventSpec::of(EventKind::Escalation)
        },
    ))
}

fn fire_warnings(
    p: &Pipeline,
    store: &mut dyn Board,
    system: &User,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> OpResult<()> {
    let t = now.timestamp();
    let mut cursor = (i64::MIN, i64::MIN);
    loop {
        let ids = store.warnings_due(t, cursor, BATCH)?;
        let Some(last) = ids.last() else {
            return Ok(());
        };
        cursor = *last;
        let mut ids: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();
        ids.sort_unstable();
        in_slices(store, &ids, |tx, id| {
            // Thresholds missed while no sweep ran fire in turn, each once.
            let (fired, refused) = cascade(tx, id, system, now, |cur, now| warn(p, cur, now))?;
            report.warnings += fired;
            report.refused += refused;
            Ok(())
        })?;
    }
}

/// Fires `cur`'s next early warning if it is due by `now`.
pub fn warn(p: &Pipeline, cur: &Record, now: DateTime<Utc>) -> OpResult<(Record, EventSpec)> {
    let Some(w) = warnings::due_by(p, cur, now.timestamp()) else {
        return Err(OpError::NotDue);
    };
    let next = warnings::fired(p, cur, &w);
    let data = serde_json::json!({
        "threshold": w.label,
        "after": w.after,
        "reached_at": w.at,
        "repeat": w.repeat,
    });
    Ok((
        next,
        EventSpec {
            event: Some(w.label.clone()),
            data: Some(data.to_string()),
            ..EventSpec::of(EventKind::SlaWarning)
        },
    ))
}
