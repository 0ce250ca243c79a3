//! Every record against the replay of its events, each event judged (see
//! [`super::events`]) and dated after the one before it, and the board's
//! kept counts against the records. A problem is noted and the replay goes
//! on, so what follows is still checked.

use super::events::{Place, judge};
use super::team::Roles;
use super::versions::Versions;
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::Record;
use carequeue_core::engine::audit::{AuditEvent, Auditor, stays_key};
use carequeue_core::engine::replay::{self, Step};
use carequeue_core::engine::retime::Stay;
use carequeue_store::Result;
use carequeue_store::verify::{History, Problem, Problems, SLACK, Verifiable};
use std::collections::{BTreeMap, BTreeSet};

/// What the records are judged against.
pub(super) struct Context<'a> {
    pub p: &'a Pipeline,
    pub versions: &'a Versions,
    pub roles: &'a Roles,
    /// Events dated before one earlier in the log (the store's walk).
    pub early: &'a BTreeSet<i64>,
    /// A trust-mode database: `--now` dates its writes, so the log's order
    /// says nothing of when.
    pub trust: bool,
}

/// Every record against the replay of its events; then the kept counts.
/// Returns the number of records.
pub(super) fn replay_all(ctx: &Context, src: &dyn Verifiable, found: &mut Problems) -> Result<i64> {
    let checks_from = ctx.versions.first_event();
    let retimed = ctx.versions.retimed();
    let mut n_records = 0i64;
    let mut tally: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    // The stays are built under the pipeline in force now.
    let current = ctx.versions.at(i64::MAX, ctx.p);
    let key = stays_key(current);
    let check_stays = src.stays_key()?.is_some_and(|k| k == key);
    src.each_history(&mut |h| {
        let (r, history) = match h {
            History::Orphan(id) => {
                found.push(Problem::Orphan(id));
                return Ok(true);
            }
            History::Record(r, history) => (r, history),
        };
        n_records += 1;
        let t = tally.entry(r.stage.clone()).or_default();
        t.0 += 1;
        t.1 += i64::from(r.assignee.is_none());
        let Some(first) = history.first() else {
            found.push(Problem::NoEvents(r.id));
            return Ok(true);
        };
        let mut state = replay::empty(r.id);
        let mut stay = Stay::default();
        let mut last = 0;
        let mut last_at = i64::MIN;
        for (seen, e) in history.iter().enumerate() {
            let bad = |what: String| Problem::Event {
                id: e.id,
                record: r.id,
                what,
            };
            let Some(kind) = e.kind.known() else {
                found.push(bad(format!(
                    "unknown event kind `{}`",
                    carequeue_core::text::shown(e.kind.as_str())
                )));
                continue;
            };
            if seen > 0 {
                ctx.versions.cross(&retimed, last, e.id, &mut state, &stay);
            }
            let under = ctx.versions.at(e.id, ctx.p);
            if e.at < last_at {
                found.push(bad(
                    "dated before the event before it on its record (back-dated)".into(),
                ));
            }
            if e.id > checks_from {
                let place = Place {
                    first,
                    is_first: seen == 0,
                };
                if let Some(what) = judge(ctx, under, &state, e, kind, place) {
                    found.push(bad(what));
                }
                // Dated before an event earlier in the log: allowed to the
                // history an import brings (dated at its records' entry),
                // and in a trust-mode database, whose `--now` dates writes.
                let history_of_import = first.actor == e.actor && first.at == e.at;
                if ctx.early.contains(&e.id) && !ctx.trust && !history_of_import {
                    found.push(bad(format!(
                        "dated more than {SLACK} s before an event earlier in the log (back-dated)"
                    )));
                }
            }
            let step = Step {
                at: e.at,
                kind,
                to: e.to.as_deref(),
                reason: e.reason.as_deref(),
                data: e.data.as_deref(),
            };
            replay::apply(under, &mut state, &step);
            stay.observe(kind, e.at);
            last = e.id;
            last_at = last_at.max(e.at);
        }
        ctx.versions
            .cross(&retimed, last, i64::MAX, &mut state, &stay);
        if check_stays {
            stays(src, current, r.id, &history, found)?;
        }
        if let Some(what) = replay::difference(&r, &state)
            && !warned_as_before(ctx.versions.at(i64::MAX, ctx.p), &r, &state)
        {
            found.push(Problem::Record { id: r.id, what });
        }
        Ok(true)
    })?;
    counts(src, tally, found)?;
    Ok(n_records)
}

/// The record's kept stays against the stays its history builds.
fn stays(
    src: &dyn Verifiable,
    p: &Pipeline,
    id: i64,
    history: &[carequeue_store::EventRow],
    found: &mut Problems,
) -> Result<()> {
    let built = Auditor::stays_of(p, history.iter().filter_map(AuditEvent::of));
    let kept = src.stays_of(id)?;
    if built != kept {
        let visit = built
            .iter()
            .zip(&kept)
            .find(|(b, k)| b != k)
            .map_or(built.len().min(kept.len()) as u32, |(b, _)| b.visit);
        found.push(Problem::Stays { id, visit });
    }
    Ok(())
}

/// The per-stage counts the board reads (kept by triggers, or written by a
/// bulk load) against the records themselves.
fn counts(
    src: &dyn Verifiable,
    mut actual: BTreeMap<String, (i64, i64)>,
    found: &mut Problems,
) -> Result<()> {
    let mut kept: BTreeMap<String, (i64, i64)> = src
        .kept_counts()?
        .into_iter()
        .filter(|k| k.1 != 0 || k.2 != 0)
        .map(|(s, t, u)| (s, (t, u)))
        .collect();
    let stages: BTreeSet<String> = kept.keys().chain(actual.keys()).cloned().collect();
    for stage in stages {
        let (kt, ku) = kept.remove(&stage).unwrap_or_default();
        let (t, u) = actual.remove(&stage).unwrap_or_default();
        if (kt, ku) != (t, u) {
            found.push(Problem::Counts {
                stage,
                kept_total: kt,
                kept_unassigned: ku,
                total: t,
                unassigned: u,
            });
        }
    }
    Ok(())
}

/// Whether `r` differs from its replay `state` only in a warn time stored
/// the way carequeue counted it before it counted the warn threshold
/// forward (at the next opening, where the threshold is reached as a
/// working interval ends): a record whose clock last started before that
/// change, which its next change re-times.
fn warned_as_before(p: &Pipeline, r: &Record, state: &Record) -> bool {
    let (Some(stage), Some(due)) = (p.stage_ix(&state.stage), state.due_at) else {
        return false;
    };
    let before = Record {
        warn_at: carequeue_core::engine::sla::warn_counted_back(p, stage, due),
        ..state.clone()
    };
    r.warn_at != state.warn_at && replay::difference(r, &before).is_none()
}
