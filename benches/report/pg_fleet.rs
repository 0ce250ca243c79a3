//! Many consoles on one server: `CQ_BENCH_CONSOLES` (default 200)
//! simulated consoles — the console's own app and data worker, no
//! terminal, each on its own connection, each listening and re-reading its
//! view once a second — while 8 writers note records at the top of that
//! view. Measured: the server's connections and memory, the page p99 (a
//! re-read asked for to its page answered) and the change-seen p99 (a
//! note's commit to a console's page showing it), across every console,
//! beside one console alone on the same server.

use super::pg_rows::session;
use super::{Line, now, p50_p99};
use carequeue::app::App;
use carequeue::app::service::{Request, Response, Service};
use carequeue::app::worker::{Msg, Worker};
use carequeue::domain::Pipeline;
use carequeue::engine::FixedClock;
use carequeue::ops::{self, ChangeOpts};
use carequeue::store::{Board, Db};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the consoles run with the writers at work.
const RUN: Duration = Duration::from_secs(20);
/// How often each console re-reads its view by itself (a person paging).
const PAGE_EVERY: Duration = Duration::from_secs(1);
/// Each writer's pace: one note per this.
const WRITE_EVERY: Duration = Duration::from_secs(1);
const WRITERS: usize = 8;

/// When each version of each record was committed.
type Commits = Arc<Mutex<HashMap<(i64, i64), Instant>>>;

/// What one console measured.
#[derive(Default)]
struct Seen {
    pages: Vec<Duration>,
    changes: Vec<Duration>,
}

/// One console: opened as `viewer`, run until `stop`.
fn console(
    p: &Arc<Pipeline>,
    url: &str,
    viewer: &str,
    commits: &Commits,
    stop: &AtomicBool,
    offset: Duration,
) -> Seen {
    let (store, actor) = session(url, viewer);
    let clock = Arc::new(FixedClock(now()));
    let mut app = App::new(p.clone(), actor.user().clone(), now());
    let store: Box<dyn Board> = Box::new(store);
    let worker = Worker::spawn(Service::new(p.clone(), store, clock, actor, None));
    let mut asked: Vec<Instant> = Vec::new();
    let send = |worker: &Worker, reqs: Vec<Request>, asked: &mut Vec<Instant>| {
        let pages = reqs
            .iter()
            .filter(|r| matches!(r, Request::Page { .. }))
            .count();
        asked.extend(std::iter::repeat_n(Instant::now(), pages));
        worker.send(reqs);
    };
    send(&worker, app.start(), &mut asked);
    let mut seen = Seen::default();
    let mut versions: HashMap<i64, i64> = HashMap::new();
    let mut next_page = Instant::now() + offset;
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if Instant::now() >= next_page {
            next_page += PAGE_EVERY;
            let reqs = app.on_data_changed();
            send(&worker, reqs, &mut asked);
        }
        let wait = next_page.saturating_duration_since(Instant::now());
        let Ok(msg) = worker.rx.recv_timeout(wait.min(Duration::from_millis(100))) else {
            continue;
        };
        match msg {
            Msg::Response(r) => {
                let page = matches!(r, Response::Page(_));
                let more = app.on_response(r);
                if page {
                    if !asked.is_empty() {
                        let t = asked.remove(0);
                        // The first page (the console opening) is not a page turn.
                        if started.elapsed() > Duration::from_secs(2) {
                            seen.pages.push(t.elapsed());
                        }
                    }
                    let log = commits.lock().unwrap_or_else(|e| e.into_inner());
                    for r in &app.page.rows {
                        let before = versions.insert(r.id, r.version);
                        if before.is_some_and(|v| v < r.version)
                            && let Some(t) = log.get(&(r.id, r.version))
                        {
                            seen.changes.push(t.elapsed());
                        }
                    }
                }
                send(&worker, more, &mut asked);
            }
            Msg::Changed => {
                let reqs = app.on_data_changed();
                send(&worker, reqs, &mut asked);
            }
            Msg::Link(lost) => app.link_lost = lost,
        }
    }
    drop(worker.finish());
    seen
}

/// A writer: notes one of `targets` each [`WRITE_EVERY`], recording when
/// each version was committed.
fn writer(url: &str, who: &str, targets: &[i64], commits: &Commits, stop: &AtomicBool, k: usize) {
    let (mut w, actor) = session(url, who);
    let mut i = k;
    while !stop.load(Ordering::Relaxed) {
        let id = targets[i % targets.len()];
        i += WRITERS;
        let Ok(r) = w.record(id) else { continue };
        let g = ChangeOpts {
            expect_version: Some(r.version),
            op_id: None,
        };
        let db: &mut dyn Db = &mut w;
        if let Ok(next) = ops::note(db, &actor, id, "bench: fleet", g, now()) {
            commits
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((id, next.version), Instant::now());
        }
        std::thread::sleep(WRITE_EVERY);
    }
}

/// The server's memory: the proportional set size of its processes (so
/// shared buffers count once), in MB.
fn server_memory(admin: &mut postgres::Client) -> f64 {
    let pids: Vec<i32> = admin
        .query(
            "SELECT pid FROM pg_stat_activity UNION SELECT pg_backend_pid()",
            &[],
        )
        .map(|rows| rows.iter().filter_map(|r| r.try_get(0).ok()).collect())
        .unwrap_or_default();
    let postmaster: Option<i32> = pids.first().and_then(|pid| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit(')').next().map(str::to_string))
            .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse().ok()))
    });
    let pss = |pid: i32| -> f64 {
        std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Pss:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
            .unwrap_or(0.0)
    };
    let total: f64 = pids.iter().copied().chain(postmaster).map(pss).sum();
    total / 1024.0
}

fn connections(admin: &mut postgres::Client, db: &str) -> i64 {
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
            &[&db],
        )
        .and_then(|r| r.try_get(0))
        .unwrap_or(-1)
}

/// `n` consoles as `viewer` and the writers as `writer` for [`RUN`]: what
/// they saw, and the server's peak connections and memory meanwhile.
fn run(
    p: &Arc<Pipeline>,
    url: &str,
    admin: &mut postgres::Client,
    db: &str,
    (viewer, writer_user): (&str, &str),
    targets: &[i64],
    n: usize,
) -> (Seen, i64, f64) {
    let commits: Commits = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let consoles: Vec<_> = (0..n)
        .map(|i| {
            let (p, url, viewer) = (p.clone(), url.to_string(), viewer.to_string());
            let (commits, stop) = (commits.clone(), stop.clone());
            // Spread over the second, as people are.
            let offset = PAGE_EVERY.mul_f64(i as f64 / n as f64);
            std::thread::spawn(move || console(&p, &url, &viewer, &commits, &stop, offset))
        })
        .collect();
    // Every console open before the writers start.
    std::thread::sleep(Duration::from_secs(3) + Duration::from_millis(10 * n as u64));
    let writers: Vec<_> = (0..WRITERS)
        .map(|k| {
            let (url, who, targets) = (url.to_string(), writer_user.to_string(), targets.to_vec());
            let (commits, stop) = (commits.clone(), stop.clone());
            std::thread::spawn(move || writer(&url, &who, &targets, &commits, &stop, k))
        })
        .collect();
    let (mut peak_conns, mut peak_mem) = (0, 0.0f64);
    let end = Instant::now() + RUN;
    while Instant::now() < end {
        peak_conns = peak_conns.max(connections(admin, db));
        peak_mem = peak_mem.max(server_memory(admin));
        std::thread::sleep(Duration::from_secs(2));
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.join();
    }
    let mut all = Seen::default();
    for c in consoles {
        if let Ok(s) = c.join() {
            all.pages.extend(s.pages);
            all.changes.extend(s.changes);
        }
    }
    (all, peak_conns, peak_mem)
}

/// The fleet row, and one console alone beside it.
pub fn fleet(
    p: &Arc<Pipeline>,
    url: &str,
    admin: &mut postgres::Client,
    db: &str,
    viewer: &str,
    writer_user: &str,
    out: &mut Vec<Line>,
) {
    // The writers note the records at the top of the consoles' view.
    let targets: Vec<i64> = {
        let (store, actor) = session(url, viewer);
        let app = App::new(p.clone(), actor.user().clone(), now());
        let mut f = app.list_filter();
        f.limit = Some(16);
        let mut ids = Vec::new();
        store
            .each_listed(&f, now().timestamp(), &mut |r| {
                ids.push(r.id);
                Ok(())
            })
            .expect("the view's first rows");
        ids
    };
    let targets = &targets[..];
    let n: usize = std::env::var("CQ_BENCH_CONSOLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let before = connections(admin, db);
    eprintln!("pg: one console alone, then {n} consoles, {WRITERS} writers…");
    let (alone, alone_conns, alone_mem) = run(p, url, admin, db, (viewer, writer_user), targets, 1);
    let (many, conns, mem) = run(p, url, admin, db, (viewer, writer_user), targets, n);
    out.push(Line {
        work: format!(
            "{n} consoles listening and re-reading each second, {WRITERS} writers (a note each per {} s; {} s): page, ask to answer",
            WRITE_EVERY.as_secs(),
            RUN.as_secs()
        ),
        budget: "p99 ≤ 20 ms".into(),
        ours: format!("{} ({} pages)", p50_p99(many.pages.clone()), many.pages.len()),
        raw: format!(
            "one console alone: {} ({} pages)",
            p50_p99(alone.pages.clone()),
            alone.pages.len()
        ),
    });
    out.push(Line {
        work: format!("  same: a note's commit to each console's page showing it ({n} consoles)"),
        budget: "p99 ≤ 1 s".into(),
        ours: format!(
            "{} ({} sightings)",
            p50_p99(many.changes.clone()),
            many.changes.len()
        ),
        raw: format!(
            "one console alone: {} ({} sightings)",
            p50_p99(alone.changes.clone()),
            alone.changes.len()
        ),
    });
    out.push(Line {
        work: "  same: the server's connections to the database, and its memory (PSS)".into(),
        budget: format!("connections ≤ consoles + 10 = {}", n + 10),
        ours: format!(
            "{conns} connections at most ({before} before: the bench's own), {mem:.0} MB"
        ),
        raw: format!("one console alone: {alone_conns} connections, {alone_mem:.0} MB"),
    });
}
