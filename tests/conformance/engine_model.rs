//! A state-machine test of the engine and ops against a model.
//!
//! Random operations (move with a random event, reason and note; assign,
//! claim, release; sub-status set and clear; note; breach acknowledgement;
//! a stale, current or future `expect_version`; time passing) run through
//! the library API (`carequeue::ops`) on a temporary store with the default
//! pipeline and a team holding different roles. A model written here from
//! the pipeline's *data* (from-stage membership, role membership, guards,
//! counters, owners) decides independently whether each operation is
//! allowed and what it changes: stage, assignee, sub-status, fields,
//! version, event count.
//!
//! On every step: the store agrees with the model; a refused operation
//! changes nothing (same record, same events); a record's version equals
//! its number of events; `allowed_events` lists exactly the events the
//! model says the user may fire from the stage.
//!
//! One oracle is borrowed from the engine: *whether the SLA is breached*
//! (`engine::sla::breached` on the stored record), since working-time
//! calendars are tested on their own in `tests/calendar.rs`.
//!
//! Both stores: the same runs on a SQLite file and on a PostgreSQL
//! database on a server this binary starts (the team migrated onto it,
//! each step made through a trust-mode session as the acting user's own
//! login, so the server records who wrote it).

use crate::common;
use carequeue::domain::{self, DEFAULT_PIPELINE, Pipeline, SetValue, StageIx};
use carequeue::engine::rules::{MoveArgs, allowed_events};
use carequeue::engine::{Record, User, sla};
use carequeue::log::EventKind;
use carequeue::ops::{self, ChangeOpts, OpError};
use carequeue::store::{Db, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| {
        domain::check(DEFAULT_PIPELINE)
            .pipeline
            .expect("default pipeline")
    })
}

/// The team: one user per role, and one holding two.
const TEAM: &[(&str, &[&str])] = &[
    ("olga", &["ops"]),
    ("pete", &["provider"]),
    ("phil", &["pharmacy"]),
    ("sue", &["supervisor"]),
    ("max", &["ops", "pharmacy"]),
];

fn user(i: usize) -> User {
    let (name, roles) = TEAM[i % TEAM.len()];
    User {
        name: name.to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
    }
}

const RECORDS: usize = 3;
const START: &str = "2026-03-02T14:00:00Z";

/// Picks resolved against the state when the step runs, so the sequence
/// reaches deep into the pipeline and still shrinks.
#[derive(Debug, Clone)]
enum EventPick {
    /// The k-th transition of the stage's own flow (not a `from = ["*"]` exit).
    Flow(usize),
    /// The k-th transition leaving the current stage.
    FromStage(usize),
    /// Any event of the pipeline, or an unknown one.
    Any(usize),
}

#[derive(Debug, Clone)]
enum ReasonPick {
    None,
    /// The k-th of the transition's reasons and the stage's breach reasons.
    Fitting(usize),
    /// Any code of the taxonomy, or an unknown one.
    Any(usize),
}

#[derive(Debug, Clone, Copy)]
enum Ver {
    None,
    Current,
    Stale,
    Future,
}

#[derive(Debug, Clone)]
enum Step {
    Move {
        rec: usize,
        user: usize,
        event: EventPick,
        reason: ReasonPick,
        note: Option<&'static str>,
        ver: Ver,
    },
    Assign {
        rec: usize,
        user: usize,
        target: usize,
        ver: Ver,
    },
    Claim {
        rec: usize,
        user: usize,
        ver: Ver,
    },
    Release {
        rec: usize,
        user: usize,
        ver: Ver,
    },
    /// `Some(k)`: the k-th sub-status id of the whole pipeline (or unknown).
    Substatus {
        rec: usize,
        user: usize,
        value: Option<usize>,
        ver: Ver,
    },
    Note {
        rec: usize,
        user: usize,
        text: &'static str,
        ver: Ver,
    },
    Ack {
        rec: usize,
        user: usize,
        reason: ReasonPick,
        ver: Ver,
    },
    Wait(i64),
}

const NOTES: &[&str] = &["called the patient", "", "   ", " spaced note \n"];

fn ver() -> impl Strategy<Value = Ver> {
    prop_oneof![
        4 => Just(Ver::None),
        3 => Just(Ver::Current),
        1 => Just(Ver::Stale),
        1 => Just(Ver::Future),
    ]
}

fn reason() -> impl Strategy<Value = ReasonPick> {
    prop_oneof![
        3 => Just(ReasonPick::None),
        3 => any::<usize>().prop_map(ReasonPick::Fitting),
        1 => any::<usize>().prop_map(ReasonPick::Any),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let rec = 0..RECORDS;
    let usr = 0..TEAM.len();
    prop_oneof![
        8 => (
            rec.clone(),
            usr.clone(),
            prop_oneof![
                6 => any::<usize>().prop_map(EventPick::Flow),
                1 => any::<usize>().prop_map(EventPick::FromStage),
                1 => any::<usize>().prop_map(EventPick::Any),
            ],
            reason(),
            prop::option::of(prop::sample::select(NOTES)),
            ver(),
        )
            .prop_map(|(rec, user, event, reason, note, ver)| Step::Move {
                rec,
                user,
                event,
                reason,
                note,
                ver
            }),
        2 => (rec.clone(), usr.clone(), usr.clone(), ver())
            .prop_map(|(rec, user, target, ver)| Step::Assign { rec, user, target, ver }),
        4 => (rec.clone(), usr.clone(), ver()).prop_map(|(rec, user, ver)| Step::Claim { rec, user, ver }),
        2 => (rec.clone(), usr.clone(), ver()).prop_map(|(rec, user, ver)| Step::Release { rec, user, ver }),
        3 => (rec.clone(), usr.clone(), prop::option::of(any::<usize>()), ver())
            .prop_map(|(rec, user, value, ver)| Step::Substatus { rec, user, value, ver }),
        2 => (rec.clone(), usr.clone(), prop::sample::select(NOTES), ver())
            .prop_map(|(rec, user, text, ver)| Step::Note { rec, user, text, ver }),
        2 => (rec.clone(), usr.clone(), reason(), ver())
            .prop_map(|(rec, user, reason, ver)| Step::Ack { rec, user, reason, ver }),
        2 => prop_oneof![
            4 => (0i64..=2 * 3600).prop_map(Step::Wait),
            1 => (0i64..=30 * 3600).prop_map(Step::Wait),
        ],
    ]
}

/// What the model knows about one record.
#[derive(Debug, Clone, PartialEq)]
struct M {
    stage: String,
    assignee: Option<String>,
    substatus: Option<String>,
    acked: bool,
    fields: BTreeMap<String, String>,
    version: i64,
    events: i64,
}

/// What the model expects the step to append, if allowed.
#[derive(Debug)]
struct Expect {
    next: M,
    kind: &'static str,
}

fn has(u: &User, role: &str) -> bool {
    u.roles.iter().any(|r| r == role)
}

fn supervises(p: &Pipeline, u: &User) -> bool {
    p.roles.iter().any(|r| r.supervises && has(u, &r.id))
}

fn stage_ix(p: &Pipeline, m: &M) -> StageIx {
    p.stage_ix(&m.stage)
        .expect("model stage is in the pipeline")
}

/// The owning role of the stage (no escalations run here, so never overridden).
fn owner(p: &Pipeline, m: &M) -> Option<String> {
    p.stage(stage_ix(p, m)).owner.map(|o| p.role(o).id.clone())
}

fn may_work(p: &Pipeline, m: &M, u: &User) -> bool {
    supervises(p, u) || owner(p, m).is_some_and(|r| has(u, &r))
}

/// Events the model says `u` may fire from the record's stage.
fn model_allowed(p: &Pipeline, m: &M, u: &User) -> Vec<String> {
    let s = stage_ix(p, m);
    p.transitions
        .iter()
        .filter(|t| t.from.contains(&s))
        .filter(|t| t.roles.iter().any(|r| has(u, &p.role(*r).id)))
        .map(|t| t.event.clone())
        .collect()
}

fn all_reasons(p: &Pipeline) -> Vec<String> {
    let mut v: Vec<String> = p.reasons.iter().map(|r| r.code.clone()).collect();
    v.push("no_such_reason".into());
    v
}

fn all_substatuses(p: &Pipeline) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for s in &p.stages {
        for x in &s.substatuses {
            if !v.contains(&x.id) {
                v.push(x.id.clone());
            }
        }
    }
    v.push("no_such_substatus".into());
    v
}

fn pick<T: Clone>(v: &[T], k: usize) -> Option<T> {
    (!v.is_empty()).then(|| v[k % v.len()].clone())
}

struct World {
    p: &'static Pipeline,
    store: Box<dyn Db>,
    /// On PostgreSQL, each step's actor is resolved as the command line
    /// does: the session becomes their login.
    on_server: bool,
    ids: Vec<i64>,
    models: Vec<M>,
    now: DateTime<Utc>,
    _dir: Option<tempfile::TempDir>,
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(START)
        .expect("start")
        .with_timezone(&Utc)
}

/// `name` as the actor: on PostgreSQL resolved as the command line does
/// (the trust-mode session switches to their login).
fn act(store: &dyn Db, on_server: bool, name: &str) -> ops::Actor {
    let a = if on_server {
        ops::identity::resolve(store, Some(name))
    } else {
        ops::actor(store, name)
    };
    a.unwrap_or_else(|e| panic!("act as {name}: {e}"))
}

impl World {
    /// On a new SQLite file with the team.
    fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::create(&dir.path().join("m.db")).expect("store");
        for (name, roles) in TEAM {
            let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
            store
                .upsert_user(name, &roles, start().timestamp())
                .expect("user");
        }
        World::on(Box::new(store), false, Some(dir))
    }

    /// Fresh records on `store`, whose team is [`TEAM`].
    fn on(mut store: Box<dyn Db>, on_server: bool, dir: Option<tempfile::TempDir>) -> World {
        let p = pipeline();
        let now = start();
        let mut ids = Vec::new();
        let mut models = Vec::new();
        for i in 0..RECORDS {
            let creator = act(&*store, on_server, &user(0).name);
            let id = ops::add_record(
                p,
                &mut *store,
                &creator,
                &format!("Patient {i}"),
                BTreeMap::new(),
                now,
            )
            .expect("add");
            let entry = p.stage(p.entry);
            ids.push(id);
            models.push(M {
                stage: entry.id.clone(),
                assignee: None,
                substatus: entry.initial_substatus.clone(),
                acked: false,
                fields: BTreeMap::new(),
                version: 1,
                events: 1,
            });
        }
        World {
            p,
            store,
            on_server,
            ids,
            models,
            now,
            _dir: dir,
        }
    }

    fn actor(&self, name: &str) -> ops::Actor {
        act(&*self.store, self.on_server, name)
    }

    fn guard(&self, rec: usize, v: Ver) -> (Option<i64>, bool) {
        let cur = self.models[rec].version;
        match v {
            Ver::None => (None, true),
            Ver::Current => (Some(cur), true),
            Ver::Stale => (Some(cur - 1), false),
            Ver::Future => (Some(cur + 1), false),
        }
    }

    fn run(&mut self, step: &Step) {
        let p = self.p;
        let (rec, actor, ver) = match step {
            Step::Wait(s) => {
                self.now += Duration::seconds(*s);
                return;
            }
            Step::Move {
                rec, user: u, ver, ..
            }
            | Step::Assign {
                rec, user: u, ver, ..
            }
            | Step::Claim { rec, user: u, ver }
            | Step::Release { rec, user: u, ver }
            | Step::Substatus {
                rec, user: u, ver, ..
            }
            | Step::Note {
                rec, user: u, ver, ..
            }
            | Step::Ack {
                rec, user: u, ver, ..
            } => (*rec, user(*u), *ver),
        };
        let id = self.ids[rec];
        let now = self.now;
        let m = self.models[rec].clone();
        let before = self.store.record(id).expect("load");
        let hist_before = self.store.history(id).expect("history");
        let (expect_version, version_ok) = self.guard(rec, ver);
        let g = ChangeOpts {
            expect_version,
            op_id: None,
        };
        // The breach oracle (see the module comment).
        let breach_open = sla::breached(&before, now) && before.breach_reason.is_none();
        assert_eq!(m.acked, before.breach_reason.is_some());

        // allowed_events agrees with the model's from-stage and role logic.
        let listed: Vec<String> = allowed_events(p, &before, &actor, now)
            .into_iter()
            .map(|a| a.event)
            .collect();
        assert_eq!(
            listed,
            model_allowed(p, &m, &actor),
            "allowed events for {} in {}",
            actor.name,
            m.stage
        );

        let s = stage_ix(p, &m);
        let stage = p.stage(s);
        let (desc, expect, result): (String, Option<Expect>, Result<Record, OpError>) = match step {
            Step::Move {
                event,
                reason,
                note,
                ..
            } => {
                let event = match event {
                    EventPick::Flow(k) => {
                        let from: Vec<String> = p
                            .transitions
                            .iter()
                            .filter(|t| t.from.contains(&s) && !t.from_any)
                            .map(|t| t.event.clone())
                            .collect();
                        pick(&from, *k).unwrap_or_else(|| "no_such_event".into())
                    }
                    EventPick::FromStage(k) => {
                        let from: Vec<String> = p
                            .transitions
                            .iter()
                            .filter(|t| t.from.contains(&s))
                            .map(|t| t.event.clone())
                            .collect();
                        pick(&from, *k).unwrap_or_else(|| "no_such_event".into())
                    }
                    EventPick::Any(k) => {
                        let mut all: Vec<String> =
                            p.transitions.iter().map(|t| t.event.clone()).collect();
                        all.push("no_such_event".into());
                        pick(&all, *k).expect("non-empty")
                    }
                };
                let t = p.transition_ix(&event).map(|x| p.transition(x));
                let reason = match reason {
                    ReasonPick::None => None,
                    ReasonPick::Fitting(k) => {
                        let mut v: Vec<String> = t.map(|t| t.reasons.clone()).unwrap_or_default();
                        v.extend(stage.breach_reasons.iter().cloned());
                        pick(&v, *k)
                    }
                    ReasonPick::Any(k) => pick(&all_reasons(p), *k),
                };
                let desc = format!(
                    "move {id} {event} reason={reason:?} note={note:?} as {} v={expect_version:?} in {}",
                    actor.name, m.stage
                );
                let expect = version_ok
                    .then(|| {
                        model_move(
                            p,
                            &m,
                            &actor,
                            &event,
                            reason.as_deref(),
                            *note,
                            breach_open,
                            now,
                        )
                    })
                    .flatten();
                let args = MoveArgs {
                    reason: reason.as_deref(),
                    note: *note,
                    ..Default::default()
                };
                let a = self.actor(&actor.name);
                let r = ops::move_record(p, &mut *self.store, &a, id, &event, &args, g, now);
                (desc, expect, r)
            }
            Step::Assign { target, .. } => {
                let target = user(*target);
                let desc = format!("assign {id} to {} as {}", target.name, actor.name);
                let expect = version_ok
                    .then(|| model_assign(p, &m, &actor, &target))
                    .flatten();
                let a = self.actor(&actor.name);
                let r = ops::assign(p, &mut *self.store, &a, id, &target, g, now);
                (desc, expect, r)
            }
            Step::Claim { .. } => {
                let desc = format!("claim {id} as {}", actor.name);
                let expect = version_ok
                    .then(|| model_assign(p, &m, &actor, &actor))
                    .flatten();
                let a = self.actor(&actor.name);
                let r = ops::claim(p, &mut *self.store, &a, id, g, now);
                (desc, expect, r)
            }
            Step::Release { .. } => {
                let desc = format!("release {id} as {}", actor.name);
                let expect = version_ok
                    .then(|| {
                        let who = m.assignee.clone()?;
                        if who != actor.name && !supervises(p, &actor) {
                            return None;
                        }
                        let mut next = m.clone();
                        next.assignee = None;
                        Some(Expect {
                            next,
                            kind: "release",
                        })
                    })
                    .flatten();
                let a = self.actor(&actor.name);
                let r = ops::release(p, &mut *self.store, &a, id, g, now);
                (desc, expect, r)
            }
            Step::Substatus { value, .. } => {
                let value = value.map(|k| pick(&all_substatuses(p), k).expect("non-empty"));
                let desc = format!("substatus {id} {value:?} as {} in {}", actor.name, m.stage);
                let expect = version_ok
                    .then(|| model_substatus(p, &m, &actor, value.as_deref()))
                    .flatten();
                let a = self.actor(&actor.name);
                let r = ops::set_substatus(p, &mut *self.store, &a, id, value.as_deref(), g, now);
                (desc, expect, r)
            }
            Step::Note { text, .. } => {
                let desc = format!("note {id} {text:?} as {}", actor.name);
                let expect = (version_ok && !text.trim().is_empty()).then(|| Expect {
                    next: m.clone(),
                    kind: "note",
                });
                let a = self.actor(&actor.name);
                let r = ops::note(&mut *self.store, &a, id, text, g, now);
                (desc, expect, r)
            }
            Step::Ack { reason, .. } => {
                let code = match reason {
                    ReasonPick::None => "".to_string(),
                    ReasonPick::Fitting(k) => pick(&stage.breach_reasons, *k).unwrap_or_default(),
                    ReasonPick::Any(k) => pick(&all_reasons(p), *k).expect("non-empty"),
                };
                let desc = format!("ack {id} {code} as {} in {}", actor.name, m.stage);
                let ok = version_ok
                    && breach_open
                    && may_work(p, &m, &actor)
                    && stage.breach_reasons.contains(&code);
                let expect = ok.then(|| {
                    let mut next = m.clone();
                    next.acked = true;
                    Expect { next, kind: "ack" }
                });
                let a = self.actor(&actor.name);
                let r = ops::ack(p, &mut *self.store, &a, id, &code, None, g, now);
                (desc, expect, r)
            }
            Step::Wait(_) => unreachable!(),
        };

        let after = self.store.record(id).expect("load");
        let hist = self.store.history(id).expect("history");
        match (expect, result) {
            (None, Ok(r)) => panic!("model refuses `{desc}` but it was applied: {r:?}"),
            (Some(e), Err(err)) => {
                panic!(
                    "model allows `{desc}` (→ {:?}) but it was refused: {err}",
                    e.next
                )
            }
            (None, Err(err)) => {
                // A clear refusal, never a database failure.
                match &err {
                    OpError::Refused(_)
                    | OpError::RecordDenied { .. }
                    | OpError::Denied(_)
                    | OpError::Invalid(_) => {}
                    OpError::Store(StoreError::Stale { .. }) => assert!(!version_ok, "{desc}"),
                    other => panic!("`{desc}` failed with a non-refusal: {other:?}"),
                }
                if !version_ok {
                    assert!(
                        matches!(err, OpError::Store(StoreError::Stale { .. }))
                            || matches!(err, OpError::Invalid(_)),
                        "a stale version is refused as stale: `{desc}`: {err}"
                    );
                }
                assert!(!err.to_string().trim().is_empty());
                assert_eq!(before, after, "refused `{desc}` changed the record");
                assert_eq!(hist_before, hist, "refused `{desc}` added an event");
            }
            (Some(e), Ok(returned)) => {
                let mut next = e.next;
                next.version += 1;
                next.events += 1;
                assert_eq!(returned, after, "`{desc}` returns the stored state");
                let got = M {
                    stage: after.stage.clone(),
                    assignee: after.assignee.clone(),
                    substatus: after.substatus.clone(),
                    acked: after.breach_reason.is_some(),
                    fields: after.fields.clone(),
                    version: after.version,
                    events: hist.len() as i64,
                };
                assert_eq!(got, next, "after `{desc}`");
                let last = hist.last().expect("an event");
                assert_eq!(hist.len(), hist_before.len() + 1, "one event per change");
                assert_eq!(last.actor, actor.name, "`{desc}`");
                assert_eq!(last.at, now.timestamp(), "`{desc}`");
                let kinds: &[EventKind] = match e.kind {
                    "substatus" => &[EventKind::Substatus, EventKind::Pause, EventKind::Resume],
                    "claim/assign" => &[EventKind::Claim, EventKind::Assign],
                    "transition" => &[EventKind::Transition],
                    "release" => &[EventKind::Release],
                    "note" => &[EventKind::Note],
                    "ack" => &[EventKind::Ack],
                    k => unreachable!("{k}"),
                };
                assert!(
                    last.kind.known().is_some_and(|k| kinds.contains(&k)),
                    "`{desc}` logged a `{}` event, expected {kinds:?}",
                    last.kind
                );
                if e.kind == "transition" {
                    assert_eq!(last.from.as_deref(), Some(m.stage.as_str()));
                    assert_eq!(last.to.as_deref(), Some(next.stage.as_str()));
                }
                if e.kind == "note" {
                    assert_eq!(last.note.as_deref().map(str::trim), last.note.as_deref());
                }
                self.models[rec] = next;
            }
        }
        let m = &self.models[rec];
        assert_eq!(
            after.version,
            hist.len() as i64,
            "version = number of events"
        );
        assert_eq!(m.version, m.events);
    }
}

#[allow(clippy::too_many_arguments)]
fn model_move(
    p: &Pipeline,
    m: &M,
    u: &User,
    event: &str,
    reason: Option<&str>,
    note: Option<&str>,
    breach_open: bool,
    now: DateTime<Utc>,
) -> Option<Expect> {
    let s = stage_ix(p, m);
    let stage = p.stage(s);
    if stage.terminal {
        return None;
    }
    let t = p.transition(p.transition_ix(event)?);
    if !t.from.contains(&s) {
        return None;
    }
    if !t.roles.iter().any(|r| has(u, &p.role(*r).id)) {
        return None;
    }
    // A reason is used either as the transition's reason or, while a breach
    // is open, as the breach reason: never both, never neither.
    let mut transition_reason = false;
    let mut breach_reason = false;
    if let Some(r) = reason {
        if t.guards.reason && t.reasons.iter().any(|c| c == r) {
            transition_reason = true;
        } else if breach_open && stage.breach_reasons.iter().any(|c| c == r) {
            breach_reason = true;
        } else {
            return None;
        }
    }
    if t.guards.reason && !transition_reason {
        return None;
    }
    if breach_open && !breach_reason {
        return None;
    }
    if t.guards.note && note.is_none_or(|n| n.trim().is_empty()) {
        return None;
    }
    if t.guards.no_substatus && m.substatus.is_some() {
        return None;
    }
    // Guarded by `assignee`: there must be one, and it must be the actor.
    if t.guards.assignee && m.assignee.as_deref() != Some(u.name.as_str()) {
        return None;
    }
    let mut next = m.clone();
    if let Some((fx, max)) = t.counter {
        let f = &p.field(fx).id;
        let n: i64 = m.fields.get(f).and_then(|v| v.parse().ok()).unwrap_or(0);
        if n >= max {
            return None;
        }
        next.fields.insert(f.clone(), (n + 1).to_string());
    }
    for (fx, v) in &t.sets {
        let value = match v {
            SetValue::Today => now
                .with_timezone(&p.timezone)
                .format("%Y-%m-%d")
                .to_string(),
            SetValue::Literal(s) => s.clone(),
        };
        next.fields.insert(p.field(*fx).id.clone(), value);
    }
    let to = p.stage(t.to);
    next.stage = to.id.clone();
    next.substatus = to.initial_substatus.clone();
    if stage.owner != to.owner {
        next.assignee = None;
    }
    next.acked = false;
    Some(Expect {
        next,
        kind: "transition",
    })
}

fn model_assign(p: &Pipeline, m: &M, actor: &User, target: &User) -> Option<Expect> {
    if p.stage(stage_ix(p, m)).terminal || !may_work(p, m, actor) {
        return None;
    }
    let role = owner(p, m).unwrap_or_default();
    if !has(target, &role) && !supervises(p, target) {
        return None;
    }
    // A record someone else holds is taken only by a supervising role.
    if let Some(holder) = m.assignee.as_deref()
        && holder != actor.name
        && holder != target.name
        && !supervises(p, actor)
    {
        return None;
    }
    if m.assignee.as_deref() == Some(target.name.as_str()) {
        return None;
    }
    let mut next = m.clone();
    next.assignee = Some(target.name.clone());
    Some(Expect {
        next,
        kind: "claim/assign",
    })
}

fn model_substatus(p: &Pipeline, m: &M, actor: &User, value: Option<&str>) -> Option<Expect> {
    if !may_work(p, m, actor) {
        return None;
    }
    let stage = p.stage(stage_ix(p, m));
    match value {
        Some(v) if !stage.substatuses.iter().any(|s| s.id == v) => return None,
        None if m.substatus.is_none() => return None,
        _ => {}
    }
    if value == m.substatus.as_deref() {
        return None;
    }
    let mut next = m.clone();
    next.substatus = value.map(str::to_string);
    Some(Expect {
        next,
        kind: "substatus",
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_model(steps in prop::collection::vec(step(), 1..120)) {
        let mut w = World::new();
        for s in &steps {
            w.run(s);
        }
    }
}

/// Runs `walks` fixed-seed walks of 1,500 steps, each on a world from
/// `world`; returns the stages reached and the events written.
fn deep_walks(
    walks: usize,
    world: impl Fn() -> World,
) -> (std::collections::BTreeSet<String>, i64) {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut stages = std::collections::BTreeSet::new();
    let mut total_events = 0;
    for _ in 0..walks {
        let steps = prop::collection::vec(step(), 1500)
            .new_tree(&mut runner)
            .expect("tree")
            .current();
        let mut w = world();
        for s in &steps {
            w.run(s);
            for m in &w.models {
                stages.insert(m.stage.clone());
            }
        }
        total_events += w.models.iter().map(|m| m.events).sum::<i64>();
    }
    (stages, total_events)
}

/// The model is not vacuous: a long fixed-seed run reaches many stages,
/// applies every kind of operation and refuses some of each.
#[test]
fn model_run_reaches_deep_and_refuses() {
    let (stages, total_events) = deep_walks(8, World::new);
    assert!(
        stages.len() >= 12,
        "the random walk should reach many stages, reached {stages:?}"
    );
    assert!(
        total_events > 8 * RECORDS as i64 * 10,
        "{total_events} events"
    );
}

/// The same model on PostgreSQL: random runs (fewer cases: each step is a
/// few round trips to the server), then two of the long walks, then
/// `verify` over everything they wrote (each event's actor against the
/// login that wrote it, every transition against the pipeline).
#[test]
fn engine_matches_model_on_postgresql() {
    use proptest::test_runner::{Config, TestRunner};
    if !common::pg::available("engine_matches_model_on_postgresql") {
        return;
    }
    let team = common::pg_team::Team::of(common::pg::ClusterRef::shared(), TEAM, ("olga", &[]));
    // The model reads each record before and after each step, as a
    // console does, under a console's entry (the server lets a member read
    // patient data only under one).
    let on_server = || {
        let mut store = team.store("driver");
        let olga = carequeue::store::Db::member(&store, "olga")
            .expect("olga")
            .expect("olga is a user");
        carequeue::store::Db::act_as(&store, &olga).expect("as olga");
        carequeue::store::Db::log_read(
            &mut store,
            0,
            "olga",
            carequeue::log::AccessAction::ConsoleOpen,
            None,
            Some("the engine model"),
        )
        .expect("the model's entry");
        World::on(Box::new(store), true, None)
    };
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let runs = runner.run(&prop::collection::vec(step(), 1..120), |steps| {
        let mut w = on_server();
        for s in &steps {
            w.run(s);
        }
        Ok(())
    });
    if let Err(e) = runs {
        panic!("{e}");
    }
    let (stages, total_events) = deep_walks(2, on_server);
    assert!(stages.len() >= 10, "reached {stages:?}");
    assert!(
        total_events > 2 * RECORDS as i64 * 10,
        "{total_events} events"
    );
    let v = common::pg_team::ok(&team.run(&["--db", &team.url("owner"), "verify"]));
    assert!(v.starts_with("ok:"), "{v}");
}
