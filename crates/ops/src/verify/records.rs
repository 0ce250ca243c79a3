//! Every record against the replay of its events, each event re-checked
//! against its actor's roles under the pipeline then in force, and the
//! board's kept counts against the records.

use super::team::Roles;
use super::versions::Versions;
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::replay::{self, Step};
use carequeue_core::engine::retime::Stay;
use carequeue_core::engine::{Record, SYSTEM};
use carequeue_core::log::{EventKind, EventRow};
use carequeue_store::Result;
use carequeue_store::verify::{History, Problem, Verifiable};
use std::collections::BTreeMap;

/// Whether `e` (of kind `kind`) was allowed for its actor under `p`, with
/// the record in `before`. `None` if allowed, else why not.
fn not_allowed(
    p: &Pipeline,
    roles: &Roles,
    e: &EventRow,
    kind: EventKind,
    before: &Record,
) -> Option<String> {
    let system = e.actor == SYSTEM;
    if system != kind.by_system() {
        return Some(if system {
            format!("`{kind}` by the system actor, which only fires timers and escalations")
        } else {
            format!(
                "a `{kind}` by `{}`, but only the system fires those",
                e.actor
            )
        });
    }
    let held = if system {
        &[][..]
    } else {
        match roles.held(&e.actor, e.id) {
            Some(r) => r,
            None => return Some(format!("by `{}`, who was not a user then", e.actor)),
        }
    };
    if !matches!(
        kind,
        EventKind::Transition | EventKind::Override | EventKind::Timer
    ) {
        return None;
    }
    let event = e.event.as_deref().unwrap_or_default();
    let Some(tix) = p.transition_ix(event) else {
        return Some(format!(
            "event `{event}` is not in the pipeline in force then"
        ));
    };
    let t = p.transition(tix);
    let valid_from = p
        .stage_ix(&before.stage)
        .is_some_and(|s| t.from.contains(&s));
    if !valid_from {
        return Some(format!(
            "event `{event}` is not valid from stage `{}`",
            before.stage
        ));
    }
    if system {
        return None;
    }
    let may = t
        .roles
        .iter()
        .any(|r| held.iter().any(|h| *h == p.role(*r).id));
    if !may {
        return Some(format!(
            "`{}` (roles: {}) may not fire `{event}` under the pipeline in force then",
            e.actor,
            if held.is_empty() {
                "none".to_string()
            } else {
                held.join(", ")
            }
        ));
    }
    if kind == EventKind::Override && !p.roles.iter().any(|r| r.supervises && held.contains(&r.id))
    {
        return Some(format!(
            "an override by `{}`, who holds no supervising role",
            e.actor
        ));
    }
    None
}

/// Every record against the replay of its events; then the kept counts.
/// Returns the number of records.
pub(super) fn replay_all(
    p: &Pipeline,
    versions: &Versions,
    roles: &Roles,
    src: &dyn Verifiable,
) -> Result<std::result::Result<i64, Problem>> {
    let checks_from = versions.first_event();
    let retimed = versions.retimed();
    let mut n_records = 0i64;
    let mut tally: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut found: Option<Problem> = None;
    src.each_history(&mut |h| {
        let (r, history) = match h {
            History::Orphan(id) => {
                found = Some(Problem::Orphan(id));
                return Ok(false);
            }
            History::Record(r, history) => (r, history),
        };
        n_records += 1;
        let t = tally.entry(r.stage.clone()).or_default();
        t.0 += 1;
        t.1 += i64::from(r.assignee.is_none());
        if history.is_empty() {
            found = Some(Problem::NoEvents(r.id));
            return Ok(false);
        }
        let mut state = replay::empty(r.id);
        let mut stay = Stay::default();
        let mut last = 0;
        for (seen, e) in history.iter().enumerate() {
            let Some(kind) = e.kind.known() else {
                found = Some(Problem::Event {
                    id: e.id,
                    record: r.id,
                    what: format!(
                        "unknown event kind `{}`",
                        carequeue_core::text::shown(e.kind.as_str())
                    ),
                });
                return Ok(false);
            };
            if seen > 0 {
                versions.cross(&retimed, last, e.id, &mut state, &stay);
            }
            let under = versions.at(e.id, p);
            if e.id > checks_from
                && let Some(what) = not_allowed(under, roles, e, kind, &state)
            {
                found = Some(Problem::Event {
                    id: e.id,
                    record: r.id,
                    what,
                });
                return Ok(false);
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
        }
        versions.cross(&retimed, last, i64::MAX, &mut state, &stay);
        if let Some(what) = replay::difference(&r, &state) {
            found = Some(Problem::Record { id: r.id, what });
            return Ok(false);
        }
        Ok(true)
    })?;
    if let Some(problem) = found {
        return Ok(Err(problem));
    }
    if let Some(problem) = counts(src, tally)? {
        return Ok(Err(problem));
    }
    Ok(Ok(n_records))
}

/// The per-stage counts the board reads (kept by triggers, or written by a
/// bulk load) against the records themselves.
fn counts(
    src: &dyn Verifiable,
    mut actual: BTreeMap<String, (i64, i64)>,
) -> Result<Option<Problem>> {
    let mut kept: BTreeMap<String, (i64, i64)> = src
        .kept_counts()?
        .into_iter()
        .filter(|k| k.1 != 0 || k.2 != 0)
        .map(|(s, t, u)| (s, (t, u)))
        .collect();
    let stages: Vec<String> = kept.keys().chain(actual.keys()).cloned().collect();
    for stage in stages {
        let (kt, ku) = kept.remove(&stage).unwrap_or_default();
        let (t, u) = actual.remove(&stage).unwrap_or_default();
        if (kt, ku) != (t, u) {
            return Ok(Some(Problem::Counts {
                stage,
                kept_total: kt,
                kept_unassigned: ku,
                total: t,
                unassigned: u,
            }));
        }
    }
    Ok(None)
}
