//! The PostgreSQL rows: carequeue through `PgStore` (as `&mut dyn Db`,
//! acting as a demo user through `ops::identity::resolve`, which is `SET
//! ROLE` in a trust-mode database) beside a bare client doing the same
//! statements ([`super::pg_bare`]) in the same run, on the same server.

use super::pg_bare::{Bare, Change, Outcome, record_json};
use super::pg_server::Server;
use super::{Line, now, p50_p99, pct, time};
use carequeue::app::App;
use carequeue::domain::Pipeline;
use carequeue::engine::rules::{MoveArgs, allowed_events};
use carequeue::log::AccessAction;
use carequeue::ops::{self, Actor, ChangeOpts, OpError};
use carequeue::store::pg::PgStore;
use carequeue::store::pg::query::{count_sql, refs, select_sql};
use carequeue::store::{Db, ListFilter, StoreError};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// A carequeue session on the bench database acting as `user`, its read
/// logged first as the console logs it at start (`console-open`, which
/// opens every record to the session while it lives, so carequeue's
/// changes log no read of their own, as the bare client's do not).
pub fn session(url: &str, user: &str) -> (PgStore, Actor) {
    let mut store = PgStore::open(url).unwrap_or_else(|e| panic!("PgStore::open: {e}"));
    let actor = ops::identity::resolve(&store, Some(user))
        .unwrap_or_else(|e| panic!("act as {user} on PostgreSQL: {e}"));
    ops::reads::log_read(
        &mut store,
        &actor,
        AccessAction::ConsoleOpen,
        None,
        Some("bench"),
        now(),
    )
    .unwrap_or_else(|e| panic!("log the console's read as {user}: {e}"));
    (store, actor)
}

/// When a change to `r` is made: now, or its latest change if that is
/// later (as `ops` dates it).
fn when(r: &carequeue::engine::Record) -> chrono::DateTime<chrono::Utc> {
    now().max(chrono::DateTime::from_timestamp(r.updated_at, 0).unwrap_or_else(now))
}

/// The records of `ids` on which `actor` may fire an event that needs no
/// guard and no reason, each with that event.
fn movable(p: &Pipeline, store: &PgStore, actor: &Actor, ids: &[i64]) -> Vec<(i64, String)> {
    ids.iter()
        .filter_map(|id| {
            let r = store.record(*id).ok()?;
            // Judged when the change would happen: never before the
            // record's latest change.
            let a = allowed_events(p, &r, actor, when(&r))
                .into_iter()
                .find(|a| a.requires.is_empty())?;
            Some((*id, a.event))
        })
        .collect()
}

/// One transition committed, carequeue (`ops::move_record`) and the bare
/// client (BEGIN, begin_change, the record through record_rows, the same
/// write_change with the same record state and event, COMMIT) taking
/// turns on the records of `ids`.
pub fn transitions(
    p: &Pipeline,
    srv: &Server,
    url: &str,
    user: &str,
    ids: &[i64],
) -> (Vec<Duration>, Vec<Duration>, usize) {
    let (mut store, actor) = session(url, user);
    let mut bare = Bare::new(srv, user);
    let todo = movable(p, &store, &actor, ids);
    let (mut ours, mut floor, mut refused) = (Vec::new(), Vec::new(), 0);
    let args = MoveArgs::default();
    for (i, (id, event)) in todo.iter().enumerate() {
        if i % 2 == 0 {
            let db: &mut dyn Db = &mut store;
            let (res, d) = time(|| {
                ops::move_record(
                    p,
                    db,
                    &actor,
                    *id,
                    event,
                    &args,
                    ChangeOpts::default(),
                    now(),
                )
            });
            match res {
                Ok(_) => ours.push(d),
                Err(e) => {
                    if refused == 0 {
                        eprintln!("pg: move refused: {e}");
                    }
                    refused += 1;
                }
            }
        } else {
            // The decision is carequeue's work, made from the record read
            // before the clock starts: its own time is left out, so the
            // floor is what goes over the wire.
            let Ok(cur) = store.record(*id) else { continue };
            let mut undecided: Option<String> = None;
            // Dated as carequeue dates it (the bench's clock: a trust-mode
            // database takes the client's time).
            let t = when(&cur).timestamp();
            let res = bare.change(*id, cur.version, t, |at, _row| {
                let when = chrono::DateTime::from_timestamp(at, 0).ok_or("a time")?;
                let (mut next, ev) = ops::decide_move(p, &cur, &actor, event, &args, when)
                    .map_err(|e| {
                        undecided = Some(e.to_string());
                        e.to_string()
                    })?;
                next.updated_at = at;
                next.version = cur.version + 1;
                Ok(Change {
                    json: record_json(&next),
                    kind: ev.kind.as_str().into(),
                    event: ev.event,
                    from: ev.from,
                    to: ev.to,
                    reason: ev.reason,
                    note: ev.note,
                    data: ev.data,
                })
            });
            match res {
                Ok((Outcome::Applied, d)) => floor.push(d),
                Ok((Outcome::Stale, _)) => {
                    if refused == 0 {
                        eprintln!("pg: bare move of record {id}: stale");
                    }
                    refused += 1;
                }
                Err(e) if undecided.is_some() => {
                    if refused == 0 {
                        eprintln!("pg: bare move refused by the engine: {e}");
                    }
                    refused += 1;
                }
                Err(e) => panic!("bare client: a transition failed: {e}"),
            }
        }
    }
    (ours, floor, refused)
}

/// A first page (40 rows) of the default view of `user`'s console, read
/// with `Db::each_listed`, and its total with `Db::count`; the floor runs
/// the same SELECTs, prepared, on a bare client.
pub fn page(p: &Arc<Pipeline>, srv: &Server, url: &str, user: &str, out: &mut Vec<Line>) {
    let (store, actor) = session(url, user);
    let app = App::new(p.clone(), actor.user().clone(), now());
    let mut f = app.list_filter();
    f.limit = Some(40);
    let t = now().timestamp();
    let read = |s: &PgStore| {
        let mut n = 0usize;
        s.each_listed(&f, t, &mut |_r| {
            n += 1;
            Ok(())
        })
        .map(|_| n)
    };
    let mut rows = 0;
    for _ in 0..10 {
        rows = read(&store).unwrap_or_else(|e| panic!("each_listed: {e}"));
    }
    let ours: Vec<Duration> = (0..300).map(|_| time(|| read(&store)).1).collect();
    // The console asks for the view's total beside each page.
    let whole = ListFilter {
        limit: None,
        ..f.clone()
    };
    let total = store
        .count(&whole, t)
        .unwrap_or_else(|e| panic!("count: {e}"));
    let counts: Vec<Duration> = (0..20).map(|_| time(|| store.count(&whole, t)).1).collect();

    // The demo users' logins are their names (linked before migrate).
    let mut bare = Bare::new(srv, user);
    let (sql, args) = select_sql(&f, t);
    let st = bare.c.prepare(&sql).expect("prepare the page's SELECT");
    let (csql, cargs) = count_sql(&whole, t);
    let cst = bare.c.prepare(&csql).expect("prepare the count");
    for _ in 0..10 {
        let got = bare.c.query(&st, &refs(&args)).expect("bare page").len();
        assert_eq!(got, rows, "the bare SELECT reads the page carequeue reads");
    }
    let floor: Vec<Duration> = (0..300)
        .map(|_| time(|| bare.c.query(&st, &refs(&args))).1)
        .collect();
    let cfloor: Vec<Duration> = (0..20)
        .map(|_| time(|| bare.c.query_one(&cst, &refs(&cargs))).1)
        .collect();
    let stages = f.stages.as_ref().map_or(0, Vec::len);
    out.push(Line {
        work: format!(
            "queue page: first {rows} rows of `{}`'s default view ({stages} stages), each_listed",
            actor.name
        ),
        budget: "p50 ≤ 3 ms".into(),
        ours: p50_p99(ours),
        raw: format!("same SELECT, prepared: {}", p50_p99(floor)),
    });
    out.push(Line {
        work: format!("  its total ({total} rows), Db::count"),
        budget: "-".into(),
        ours: p50_p99(counts),
        raw: format!("same count(*), prepared: {}", p50_p99(cfloor)),
    });
}

/// What a round of concurrent writers came to.
#[derive(Default)]
pub struct Tally {
    pub applied: u64,
    pub stale: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub took: Duration,
}

impl Tally {
    fn add(&mut self, o: Tally) {
        self.applied += o.applied;
        self.stale += o.stale;
        self.errors += o.errors;
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
        self.took += o.took;
    }

    pub fn rate(&self) -> f64 {
        self.applied as f64 / self.took.as_secs_f64().max(1e-9)
    }

    pub fn summary(&self) -> String {
        format!(
            "{:.0} changes/s ({} applied, {} stale, {} errors)",
            self.rate(),
            self.applied,
            self.stale,
            self.errors
        )
    }
}

fn fail(t: &mut Tally, e: String) {
    t.errors += 1;
    t.first_error.get_or_insert(e);
}

/// A small xorshift: which shared record a writer picks next.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

const NOTE: &str = "bench: a note from one of 8 concurrent writers";

/// `WRITERS` threads, each its own session, for `dur`: read a shared
/// record's version, then a note on it expecting that version. `bare`
/// picks the bare clients.
fn round(srv: &Server, url: &str, user: &str, ids: &[i64], dur: Duration, bare: bool) -> Tally {
    const WRITERS: usize = 8;
    let gate = Barrier::new(WRITERS + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let gate = &gate;
                s.spawn(move || {
                    let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ ((w as u64 + 1) * 0x1000_0001);
                    let mut t = Tally::default();
                    if bare {
                        let mut c = Bare::new(srv, user);
                        gate.wait();
                        let end = Instant::now() + dur;
                        while Instant::now() < end {
                            let id = ids[(next(&mut rng) % ids.len() as u64) as usize];
                            let v = match c.version(id) {
                                Ok(v) => v,
                                Err(e) => {
                                    fail(&mut t, e);
                                    continue;
                                }
                            };
                            match c.note(id, v, now().timestamp(), NOTE) {
                                Ok(Outcome::Applied) => t.applied += 1,
                                Ok(Outcome::Stale) => t.stale += 1,
                                Err(e) => fail(&mut t, e),
                            }
                        }
                    } else {
                        let (mut store, actor) = session(url, user);
                        gate.wait();
                        let end = Instant::now() + dur;
                        while Instant::now() < end {
                            let id = ids[(next(&mut rng) % ids.len() as u64) as usize];
                            let v = match store.record(id) {
                                Ok(r) => r.version,
                                Err(e) => {
                                    fail(&mut t, e.to_string());
                                    continue;
                                }
                            };
                            let g = ChangeOpts {
                                expect_version: Some(v),
                                op_id: None,
                            };
                            let db: &mut dyn Db = &mut store;
                            match ops::note(db, &actor, id, NOTE, g, now()) {
                                Ok(_) => t.applied += 1,
                                Err(OpError::Store(StoreError::Stale { .. })) => t.stale += 1,
                                Err(e) => fail(&mut t, e.to_string()),
                            }
                        }
                    }
                    t
                })
            })
            .collect();
        gate.wait();
        let start = Instant::now();
        let mut all = Tally::default();
        for h in handles {
            all.add(h.join().expect("a writer thread panicked"));
        }
        all.took = start.elapsed();
        all
    })
}

/// 8 concurrent writers on `ids` (a small shared set), carequeue and
/// bare clients taking turns, `rounds` rounds of `dur` each.
pub fn concurrent(
    srv: &Server,
    url: &str,
    user: &str,
    ids: &[i64],
    dur: Duration,
    rounds: usize,
) -> (Tally, Tally) {
    let (mut ours, mut floor) = (Tally::default(), Tally::default());
    for _ in 0..rounds {
        ours.add(round(srv, url, user, ids, dur, false));
        floor.add(round(srv, url, user, ids, dur, true));
    }
    (ours, floor)
}

/// `p50 x / p99 y (×r the floor's p50)`.
pub fn versus(ours: &[Duration], floor: &[Duration]) -> (String, String) {
    if ours.is_empty() || floor.is_empty() {
        let why = "not measured: no record here could be moved without a reason (a database changed by an earlier full run? delete target/bench-*.db)";
        return (why.into(), "-".into());
    }
    let (o, f) = (pct(ours.to_vec(), 0.5), pct(floor.to_vec(), 0.5));
    let ratio = o.as_secs_f64() / f.as_secs_f64().max(1e-9);
    (
        format!("{} (×{ratio:.1} the floor)", p50_p99(ours.to_vec())),
        p50_p99(floor.to_vec()),
    )
}
