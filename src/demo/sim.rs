//! Simulated histories: a record walks its path through the pipeline with
//! plausible stays, claims, pauses, breaches and acknowledgements.

use super::Lists;
use crate::domain::{Pipeline, StageIx, TransitionIx};
use crate::engine::clock::from_unix;
use crate::engine::rules::MoveArgs;
use crate::engine::{Record, User, sla, timers};
use crate::log::EventKind;
use crate::ops::{self, EventSpec, OpResult};
use crate::store::db::{Batch, BatchEvent};
use chrono::{DateTime, Utc};
use rand::{RngExt, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;

/// Room for the log: demo records average about 12 events.
const EVENTS_PER_RECORD: usize = 14;

/// Timers and escalation levels fired in one catch-up at most.
const MAX_CATCH_UP: usize = 16;

struct Logged {
    record: usize,
    at: i64,
    seq: usize,
    actor: String,
    spec: EventSpec,
}

pub struct Sim<'a> {
    p: &'a Pipeline,
    team: &'a [User],
    lists: &'a Lists,
    now: DateTime<Utc>,
    records: Vec<Record>,
    log: Vec<Logged>,
    system: User,
    /// Owned stages that already hold a record nobody has claimed: the
    /// first record to end in each stays unclaimed, so every queue has
    /// work to claim.
    unclaimed: std::collections::HashSet<String>,
}

impl<'a> Sim<'a> {
    /// A simulation of about `n` records (sized up front: a chunk's log is
    /// hundreds of thousands of entries, costly to grow by copying).
    pub fn new(
        p: &'a Pipeline,
        team: &'a [User],
        lists: &'a Lists,
        now: DateTime<Utc>,
        n: usize,
    ) -> Self {
        Sim {
            p,
            team,
            lists,
            now,
            records: Vec::with_capacity(n),
            log: Vec::with_capacity(n * EVENTS_PER_RECORD),
            system: User {
                name: ops::SYSTEM.into(),
                roles: vec![],
            },
            unclaimed: Default::default(),
        }
    }

    fn holders(&self, role: &str) -> Vec<&'a User> {
        self.team.iter().filter(|u| u.has_role(role)).collect()
    }

    /// Working-time length of a stay, shorter or longer than the SLA.
    fn stay(&self, rng: &mut ChaCha8Rng, stage: StageIx, last: bool) -> (i64, bool) {
        let Some(s) = &self.p.stage(stage).sla else {
            return (rng.random_range(86_400..30 * 86_400), false);
        };
        let (max, warn) = (s.max.0 as f64, s.warn.0 as f64);
        let x: f64 = rng.random();
        let secs = if last {
            if x < 0.10 {
                max * rng.random_range(1.02..1.8)
            } else if x < 0.22 {
                warn + (max - warn) * rng.random_range(0.05..0.95)
            } else {
                warn * rng.random_range(0.02..0.95)
            }
        } else if x < 0.08 {
            max * rng.random_range(1.05..1.5)
        } else {
            max * rng.random_range(0.1..0.9)
        };
        (secs.max(60.0) as i64, true)
    }

    fn shift_back(&self, stage: StageIx, end: i64, secs: i64, working: bool) -> i64 {
        let end_t = from_unix(end);
        match (&self.p.stage(stage).sla, working) {
            (Some(s), true) => self.p.calendar(s).sub_working(end_t, secs).timestamp(),
            _ => end - secs,
        }
    }

    fn apply(
        &mut self,
        rec: &mut Record,
        at: i64,
        actor: &User,
        r: OpResult<(Record, EventSpec)>,
    ) -> bool {
        match r {
            Ok((next, spec)) => {
                *rec = next;
                rec.updated_at = at;
                rec.version += 1;
                let seq = self.log.len();
                self.log.push(Logged {
                    record: self.records.len(),
                    at,
                    seq,
                    actor: actor.name.clone(),
                    spec,
                });
                true
            }
            Err(_) => false,
        }
    }

    /// What the sweep would have done before `until`: escalation levels
    /// fire at their own instants, and with `timers` due timers move the
    /// record on. Called before each simulated action, so a record's events
    /// are applied in time order (as replay reads them).
    fn catch_up(&mut self, rec: &mut Record, until: i64, timers: bool) {
        let p = self.p;
        for _ in 0..MAX_CATCH_UP {
            // The record's own due instants rule most out cheaply: a level
            // fires after the breach, a timer at `timer_at`.
            let timer = (timers && rec.timer_at.is_some_and(|t| t < until))
                .then(|| timers::next(p, rec))
                .flatten()
                .filter(|&(_, at)| at < until);
            let esc = rec
                .due_at
                .is_some_and(|d| d < until)
                .then(|| timers::next_escalation(p, rec))
                .flatten()
                .filter(|&(_, _, at)| at < until);
            let warn = rec.warning_at.filter(|&w| w < until);
            // A due time can precede the record's latest event (a field-based
            // timer, say): the sweep would fire it at its next run, after.
            let after = |t: i64| t.max(rec.updated_at);
            // The earliest first; at one instant a timer, then a level,
            // then a warning, as the sweep fires them.
            let next = [
                timer.map(|(_, t)| (t, 0)),
                esc.map(|(_, _, e)| (e, 1)),
                warn.map(|w| (w, 2)),
            ]
            .into_iter()
            .flatten()
            .min();
            let (at, r) = match (next, esc) {
                (Some((t, 0)), _) => (
                    after(t),
                    ops::fire_timer(p, rec, &self.system, from_unix(after(t))),
                ),
                (Some((e, 1)), Some((level, _, _))) => {
                    (after(e), ops::escalate(p, rec, level, from_unix(after(e))))
                }
                (Some((w, 2)), _) => (after(w), ops::warn(p, rec, from_unix(after(w)))),
                _ => return,
            };
            let system = self.system.clone();
            if !self.apply(rec, at, &system, r) {
                return;
            }
        }
    }

    fn claim(&mut self, rng: &mut ChaCha8Rng, rec: &mut Record, at: i64) {
        let Some(role) = ops::owner_role(self.p, rec).map(str::to_string) else {
            return;
        };
        if self
            .team
            .iter()
            .any(|u| rec.assignee.as_deref() == Some(u.name.as_str()) && u.has_role(&role))
        {
            return;
        }
        let Some(u) = self.holders(&role).choose(rng).copied() else {
            return;
        };
        let r = ops::decide_assign(self.p, rec, u, u);
        self.apply(rec, at, u, r);
    }

    /// Simulates one record along `path` (transitions from the entry stage).
    pub fn record(&mut self, rng: &mut ChaCha8Rng, path: &[TransitionIx]) {
        let p = self.p;
        let mut stays: Vec<StageIx> = vec![p.entry];
        stays.extend(path.iter().map(|t| p.transition(*t).to));
        // Entry instants, computed backwards from now.
        let mut entered = vec![0i64; stays.len()];
        let mut end = self.now.timestamp();
        for k in (0..stays.len()).rev() {
            let (secs, working) = self.stay(rng, stays[k], k + 1 == stays.len());
            entered[k] = self.shift_back(stays[k], end, secs, working);
            end = entered[k];
        }
        let name = self.lists.patient_name(rng);
        let fields = self.lists.fields(p, rng, from_unix(entered[0]));
        let mut rec = ops::new_record(p, &name, fields, from_unix(entered[0]));
        let creator = p
            .stage(p.entry)
            .owner
            .and_then(|o| self.holders(&p.role(o).id).first().copied())
            .unwrap_or(&self.team[0]);
        self.log.push(Logged {
            record: self.records.len(),
            at: entered[0],
            seq: self.log.len(),
            actor: creator.name.clone(),
            spec: EventSpec {
                to: Some(rec.stage.clone()),
                data: Some(crate::engine::replay::create_data(
                    &rec.patient,
                    &rec.fields,
                )),
                ..EventSpec::of(EventKind::Create)
            },
        });
        let notes = &self.lists.notes;
        for (k, tix) in path.iter().enumerate() {
            let (start, exit) = (entered[k], entered[k + 1]);
            let t = p.transition(*tix);
            let at = start + (exit - start) / 20;
            self.catch_up(&mut rec, at, false);
            self.claim(rng, &mut rec, at);
            if t.guards.no_substatus && rec.substatus.is_some() {
                let at = exit - (exit - start) / 10;
                self.catch_up(&mut rec, at, false);
                let who = self
                    .team
                    .iter()
                    .find(|u| rec.assignee.as_deref() == Some(&u.name))
                    .unwrap_or(&self.team[0]);
                let r = ops::decide_substatus(p, &rec, who, None, from_unix(at));
                self.apply(&mut rec, at, who, r);
            }
            let timer = p
                .timers
                .iter()
                .find(|x| x.stage == stays[k] && x.transition == *tix);
            self.catch_up(&mut rec, exit - 90, false);
            // An escalation may have taken the record from its owner, who
            // (back again) acknowledges the breach and moves it on.
            if timer.is_none() {
                self.claim(rng, &mut rec, exit - 90);
            }
            if timer.is_none() && sla::breached(&rec, from_unix(exit)) {
                let stage = p.stage(stays[k]);
                if let Some(code) = stage.breach_reasons.choose(rng).cloned() {
                    let who = self
                        .team
                        .iter()
                        .find(|u| rec.assignee.as_deref() == Some(&u.name))
                        .unwrap_or(&self.team[0]);
                    let r = ops::decide_ack(p, &rec, who, &code, None, from_unix(exit - 60));
                    self.apply(&mut rec, exit - 60, who, r);
                }
            }
            let (actor, reason): (User, Option<String>) = match timer {
                Some(tm) => (
                    self.system.clone(),
                    tm.reason.clone().or_else(|| rec_breach(p, &rec, exit, rng)),
                ),
                None => {
                    let assignee = self.team.iter().find(|u| {
                        rec.assignee.as_deref() == Some(&u.name)
                            && t.roles.iter().any(|r| u.has_role(&p.role(*r).id))
                    });
                    let any = t
                        .roles
                        .iter()
                        .flat_map(|r| self.holders(&p.role(*r).id))
                        .next();
                    let Some(u) = assignee.or(any) else { break };
                    (
                        u.clone(),
                        t.guards
                            .reason
                            .then(|| t.reasons.choose(rng).cloned())
                            .flatten(),
                    )
                }
            };
            let note = t.guards.note.then(|| notes.choose(rng).copied()).flatten();
            let args = MoveArgs {
                reason: reason.as_deref(),
                note,
                system: timer.is_some(),
                override_reason: None,
                ..Default::default()
            };
            // A timer fires when it is due, not when the stay was drawn to
            // end: earlier, the next stay starts then; later than the next
            // stay would end, the record is still waiting on it.
            let exit = match timer {
                None => exit,
                Some(_) => {
                    let Some((ti, due)) = timers::next(p, &rec) else {
                        break;
                    };
                    let at = due.max(rec.updated_at);
                    let limit = entered.get(k + 2).copied().unwrap_or(self.now.timestamp());
                    if p.timers[ti].transition != *tix || at > limit {
                        break;
                    }
                    at
                }
            };
            let r = ops::decide_move(p, &rec, &actor, &t.event, &args, from_unix(exit));
            if !self.apply(&mut rec, exit, &actor, r) {
                break;
            }
        }
        // The current stay: most claimed, some paused or waiting, a few notes.
        // (After the latest event: a path cut short leaves later ones.)
        let start = rec.entered_at.max(rec.updated_at);
        let span = (self.now.timestamp() - start).max(1);
        if !p.stage_ix(&rec.stage).is_some_and(|s| p.stage(s).terminal) {
            self.catch_up(&mut rec, start + span / 10, true);
            if rng.random_bool(0.75) {
                self.claim(rng, &mut rec, start + span / 10);
            }
            self.catch_up(&mut rec, start + span / 3, true);
            let stage = p.stage_ix(&rec.stage).map(|s| p.stage(s));
            if let Some(stage) = stage
                && rec.substatus.is_none()
                && !stage.substatuses.is_empty()
                && rng.random_bool(0.3)
            {
                let v = stage.substatuses[rng.random_range(0..stage.substatuses.len())]
                    .id
                    .clone();
                let at = start + span / 3;
                let who = self
                    .team
                    .iter()
                    .find(|u| rec.assignee.as_deref() == Some(&u.name))
                    .or_else(|| {
                        self.team
                            .iter()
                            .find(|u| ops::owner_role(p, &rec).is_some_and(|r| u.has_role(r)))
                    });
                if let Some(who) = who {
                    let r = ops::decide_substatus(p, &rec, who, Some(&v), from_unix(at));
                    self.apply(&mut rec, at, who, r);
                }
            }
            self.catch_up(&mut rec, start + span / 2, true);
            if rng.random_bool(0.2)
                && let Some(note) = notes.choose(rng)
            {
                let at = start + span / 2;
                let who = self
                    .team
                    .iter()
                    .find(|u| rec.assignee.as_deref() == Some(&u.name))
                    .unwrap_or(&self.team[0]);
                let seq = self.log.len();
                self.log.push(Logged {
                    record: self.records.len(),
                    at,
                    seq,
                    actor: who.name.clone(),
                    spec: EventSpec {
                        note: Some(note.to_string()),
                        ..EventSpec::of(EventKind::Note)
                    },
                });
                rec.version += 1;
            }
        }
        // Everything due by now has fired, as if the sweep had been running.
        self.catch_up(&mut rec, self.now.timestamp() + 1, true);
        // The first record to end in an owned stage is work to claim: its
        // holder, if any, hands it back to the queue a minute ago.
        let owned = p
            .stage_ix(&rec.stage)
            .is_some_and(|s| !p.stage(s).terminal && p.stage(s).owner.is_some());
        if owned
            && self.unclaimed.insert(rec.stage.clone())
            && let Some(holder) = self
                .team
                .iter()
                .find(|u| rec.assignee.as_deref() == Some(&u.name))
        {
            let at = (self.now.timestamp() - 60).max(rec.updated_at);
            let r = ops::decide_release(p, &rec, holder);
            self.apply(&mut rec, at, holder, r);
        }
        self.records.push(rec);
    }

    /// The simulated records and their events, in time order, for the
    /// store to number, seal and load.
    pub fn batch(self) -> Batch {
        // Sort small keys, not the (large) log entries themselves.
        let mut order: Vec<(i64, u32)> = self.log.iter().map(|l| (l.at, l.seq as u32)).collect();
        order.sort_unstable();
        let mut log: Vec<Option<Logged>> = self.log.into_iter().map(Some).collect();
        let events = order
            .into_iter()
            .filter_map(|(_, seq)| log.get_mut(seq as usize).and_then(Option::take))
            .map(|l| BatchEvent {
                record: l.record,
                at: l.at,
                actor: l.actor,
                kind: l.spec.kind,
                event: l.spec.event,
                from: l.spec.from,
                to: l.spec.to,
                reason: l.spec.reason,
                note: l.spec.note,
                data: l.spec.data,
            })
            .collect();
        Batch {
            records: self.records,
            events,
        }
    }
}

/// A breach reason for a timer firing on a breached stay.
fn rec_breach(p: &Pipeline, r: &Record, at: i64, rng: &mut ChaCha8Rng) -> Option<String> {
    if !sla::breached(r, from_unix(at)) {
        return None;
    }
    let s = p.stage_ix(&r.stage)?;
    p.stage(s).breach_reasons.choose(rng).cloned()
}
