//! Every record against the replay of its events, each transition
//! re-checked against its actor's roles under the pipeline then in force.

use super::users::{Roles, replay_users};
use super::{Checked, Problem};
use crate::Result;
use crate::sqlite::{records, setup};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::Record;
use carequeue_core::engine::replay::{self, Step};
use carequeue_core::engine::retime::{self, Stay};
use carequeue_core::log::EventKind;
use rusqlite::{Connection, OptionalExtension};
use std::collections::{BTreeMap, HashSet};

/// The pipelines the log ran under, each with the id of the event that
/// put it in force.
struct Versions(Vec<(i64, Pipeline)>);

impl Versions {
    fn load(
        conn: &Connection,
        current: &Pipeline,
    ) -> Result<std::result::Result<Versions, Problem>> {
        let mut out = Vec::new();
        for v in setup::pipeline_versions(conn)? {
            if crate::pipelines::pipeline_hash(&v.text) != v.hash {
                return Ok(Err(Problem::Pipeline(format!(
                    "pipeline version {} does not match its recorded hash (its text was edited)",
                    v.version
                ))));
            }
            let logged: Option<String> = conn
                .query_row(
                    "SELECT data FROM events WHERE id = ?1 AND kind IN ('pipeline', ?2)",
                    rusqlite::params![v.event_id, EventKind::PipelineApplied.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            let logged_hash = logged
                .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                .and_then(|d| d["hash"].as_str().map(str::to_string));
            if logged_hash.as_deref() != Some(v.hash.as_str()) {
                return Ok(Err(Problem::Pipeline(format!(
                    "pipeline version {} is not the one event {} logged",
                    v.version, v.event_id
                ))));
            }
            match carequeue_core::domain::check(&v.text).pipeline {
                Some(p) => out.push((v.event_id, p)),
                None => {
                    return Ok(Err(Problem::Pipeline(format!(
                        "pipeline version {} no longer passes its checks",
                        v.version
                    ))));
                }
            }
        }
        let _ = current;
        Ok(Ok(Versions(out)))
    }

    /// The pipeline in force for event `id`: the last put in force before
    /// it (events from before the first stored pipeline use the first).
    fn at<'a>(&'a self, id: i64, fallback: &'a Pipeline) -> &'a Pipeline {
        let i = self.0.partition_point(|(e, _)| *e < id);
        match i {
            0 => self.0.first().map_or(fallback, |(_, p)| p),
            i => &self.0[i - 1].1,
        }
    }

    /// The id of the first pipeline event: permission checks start there.
    fn first_event(&self) -> i64 {
        self.0.first().map_or(i64::MAX, |(e, _)| *e)
    }

    /// For each version after the first, the stages whose open records
    /// its apply re-timed.
    fn retimed(&self) -> Vec<HashSet<String>> {
        self.0
            .windows(2)
            .map(|w| {
                retime::changed_stages(&w[0].1, &w[1].1)
                    .into_iter()
                    .collect()
            })
            .collect()
    }

    /// What each apply between events `after` and `before` (exclusive) did
    /// to the open record `state`, as `pipeline apply` did it.
    fn cross(
        &self,
        retimed: &[HashSet<String>],
        after: i64,
        before: i64,
        state: &mut Record,
        stay: &Stay,
    ) {
        for (j, (event, p)) in self.0.iter().enumerate().skip(1) {
            if *event <= after || *event >= before {
                continue;
            }
            retime::carry_roles(p, state);
            if retimed[j - 1].contains(&state.stage) {
                retime::retime(p, state, stay);
            }
        }
    }
}

/// Whether the event `e` was allowed for its actor under `p`, with the
/// record in `before`. `None` if allowed, else why not.
fn not_allowed(p: &Pipeline, roles: &Roles, e: &Ev, before: &Record) -> Option<String> {
    let system = e.actor == carequeue_core::engine::SYSTEM;
    let machine_kind = e.kind.by_system();
    if system != machine_kind {
        return Some(if system {
            format!(
                "`{}` by the system actor, which only fires timers and escalations",
                e.kind
            )
        } else {
            format!(
                "a `{}` by `{}`, but only the system fires those",
                e.kind, e.actor
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
        e.kind,
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
    if e.kind == EventKind::Override
        && !p.roles.iter().any(|r| r.supervises && held.contains(&r.id))
    {
        return Some(format!(
            "an override by `{}`, who holds no supervising role",
            e.actor
        ));
    }
    None
}

/// Every record against the replay of its events: two ordered scans (records
/// by id, events by record then id) merged. Returns the number of records.
pub(super) fn replay_all(p: &Pipeline, conn: &Connection) -> Checked<i64> {
    let versions = match Versions::load(conn, p)? {
        Ok(v) => v,
        Err(problem) => return Ok(Err(problem)),
    };
    let roles = match replay_users(conn)? {
        Ok(r) => r,
        Err(problem) => return Ok(Err(problem)),
    };
    let checks_from = versions.first_event();
    let retimed = versions.retimed();
    let mut rec_st = conn.prepare(&format!(
        "SELECT {} FROM records ORDER BY id",
        records::COLUMNS
    ))?;
    let mut recs = rec_st.query([])?;
    let mut ev_st = conn.prepare(
        "SELECT id, record_id, at, actor, kind, event, to_stage, reason, data FROM events
         WHERE record_id IS NOT NULL ORDER BY record_id, id",
    )?;
    let mut evs = ev_st.query([])?;
    let mut pending = evs.next()?.map(ev_of).transpose()?;
    let mut n_records = 0i64;
    let mut tally: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    while let Some(row) = recs.next()? {
        let r = records::from_row(row)?;
        n_records += 1;
        let t = tally.entry(r.stage.clone()).or_default();
        t.0 += 1;
        t.1 += i64::from(r.assignee.is_none());
        let mut state = replay::empty(r.id);
        let mut stay = Stay::default();
        let mut last = 0;
        let mut seen = 0;
        while let Some(e) = pending.take() {
            if e.record < r.id {
                return Ok(Err(Problem::Orphan(e.record)));
            }
            if e.record > r.id {
                pending = Some(e);
                break;
            }
            if seen > 0 {
                versions.cross(&retimed, last, e.id, &mut state, &stay);
            }
            let under = versions.at(e.id, p);
            if e.id > checks_from
                && let Some(what) = not_allowed(under, &roles, &e, &state)
            {
                return Ok(Err(Problem::Event {
                    id: e.id,
                    record: e.record,
                    what,
                }));
            }
            let step = Step {
                at: e.at,
                kind: e.kind,
                to: e.to.as_deref(),
                reason: e.reason.as_deref(),
                data: e.data.as_deref(),
            };
            replay::apply(under, &mut state, &step);
            stay.observe(e.kind, e.at);
            last = e.id;
            seen += 1;
            pending = evs.next()?.map(ev_of).transpose()?;
        }
        if seen == 0 {
            return Ok(Err(Problem::NoEvents(r.id)));
        }
        versions.cross(&retimed, last, i64::MAX, &mut state, &stay);
        if let Some(what) = replay::difference(&r, &state) {
            return Ok(Err(Problem::Record { id: r.id, what }));
        }
    }
    if let Some(e) = pending {
        return Ok(Err(Problem::Orphan(e.record)));
    }
    if let Err(problem) = counts(conn, tally)? {
        return Ok(Err(problem));
    }
    Ok(Ok(n_records))
}

/// The per-stage counts the board reads (kept by triggers, or written by a
/// bulk load) against the records themselves.
fn counts(conn: &Connection, mut actual: BTreeMap<String, (i64, i64)>) -> Checked<()> {
    let mut st = conn.prepare("SELECT stage, total, unassigned FROM stage_counts")?;
    let kept: Vec<(String, i64, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut kept: BTreeMap<String, (i64, i64)> = kept
        .into_iter()
        .filter(|k| k.1 != 0 || k.2 != 0)
        .map(|(s, t, u)| (s, (t, u)))
        .collect();
    let stages: Vec<String> = kept.keys().chain(actual.keys()).cloned().collect();
    for stage in stages {
        let (kt, ku) = kept.remove(&stage).unwrap_or_default();
        let (t, u) = actual.remove(&stage).unwrap_or_default();
        if (kt, ku) != (t, u) {
            return Ok(Err(Problem::Counts {
                stage,
                kept_total: kt,
                kept_unassigned: ku,
                total: t,
                unassigned: u,
            }));
        }
    }
    Ok(Ok(()))
}

struct Ev {
    id: i64,
    record: i64,
    at: i64,
    actor: String,
    kind: EventKind,
    event: Option<String>,
    to: Option<String>,
    reason: Option<String>,
    data: Option<String>,
}

fn ev_of(r: &rusqlite::Row) -> rusqlite::Result<Ev> {
    Ok(Ev {
        id: r.get(0)?,
        record: r.get(1)?,
        at: r.get(2)?,
        actor: r.get(3)?,
        kind: crate::sqlite::events::kind_at(r, 4)?,
        event: r.get(5)?,
        to: r.get(6)?,
        reason: r.get(7)?,
        data: r.get(8)?,
    })
}
