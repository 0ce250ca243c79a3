//! The performance report: builds a large demo database once, then measures
//! each budget of SPEC.md's performance table next to the raw floor for the
//! same work (a bare rusqlite connection, a bare ratatui table), in one run.
//!
//!     cargo bench --bench report                       # 1,000,000 records
//!     CQ_BENCH_RECORDS=100000 cargo bench --bench report
//!     CQ_BENCH_RECORDS=200000 CQ_BENCH_ONLY=list cargo bench --bench report
//!
//! `CQ_BENCH_ONLY=list` builds (or reuses) the database and measures only
//! `list --json` over every record; `CQ_BENCH_ONLY=power` only the
//! keypresses under a structured filter and order and a bulk action over
//! 1,000 marked records (also part of the full run); `CQ_BENCH_ONLY=keys`
//! only the keypress rows and the idle detail pane, reusing the database;
//! `CQ_BENCH_ONLY=feed` only issue 24's rows (ingest, the feed's latency),
//! each on a fresh database of its own; `CQ_BENCH_ONLY=deliver` only the
//! webhook deliveries per second to a local receiver, beside bare POSTs;
//! `CQ_BENCH_ONLY=audit` only issue 25's audit rows (the stays rebuilt,
//! the audit over them and from the log, the console with its Audit view);
//! `CQ_BENCH_ONLY=moves` only the row of one transition committed
//! (`CQ_BENCH_SLOW=N` prints the N slowest keys of the keypress row).
//!
//! `CQ_BENCH_ONLY=pg` measures only the PostgreSQL rows (also part of the
//! full run, printed after its table): a throwaway PostgreSQL server (needs its binaries under
//! /usr/lib/postgresql/*/bin; without them the rows say why), the database
//! copied to it with `carequeue migrate`, carequeue's `PgStore` beside a
//! bare `postgres` client; `CQ_BENCH_PG_RECORDS=N` for another size there.
//!
//! The database is kept in target/ and reused while its size matches.

use carequeue::app::App;
use carequeue::app::service::{Service, pump};
use carequeue::domain::{DEFAULT_PIPELINE, Pipeline, check};
use carequeue::engine::FixedClock;
use carequeue::ops;
use carequeue::store::Store;
use carequeue::ui;
use chrono::{DateTime, Duration as Days, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// As in the binary, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod access;
mod apply;
mod audit;
mod db;
mod deliver;
mod feed;
mod import;
mod keys;
mod listing;
mod memory;
mod moves;
mod pg;
mod pg_bare;
mod pg_console;
mod pg_copy;
mod pg_fleet;
mod pg_rows;
mod pg_server;
mod pg_watch;
mod power;
mod print;
mod raw;

use db::bench_db;
use print::{print_report, print_section};
use raw::raw_first_frame;

struct Line {
    work: String,
    budget: String,
    ours: String,
    raw: String,
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn p50_p99(v: Vec<Duration>) -> String {
    format!("p50 {} / p99 {}", ms(pct(v.clone(), 0.5)), ms(pct(v, 0.99)))
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn pipeline() -> Arc<Pipeline> {
    Arc::new(
        check(DEFAULT_PIPELINE)
            .pipeline
            .expect("the default pipeline is valid"),
    )
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T15:00:00Z")
        .expect("fixed time")
        .with_timezone(&Utc)
}

fn user(store: &Store, name: &str) -> ops::Actor {
    ops::actor(store, name).expect("demo user")
}

fn console(p: &Arc<Pipeline>, path: &Path, who: &str) -> (App, Service, Terminal<TestBackend>) {
    let store = Store::open(path).expect("open");
    let u = user(&store, who);
    let clock = Arc::new(FixedClock(now()));
    let mut app = App::new(p.clone(), u.user().clone(), now());
    let mut svc = Service::new(p.clone(), store, clock, u, None);
    let term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    ui::fit_app(&mut app, ratatui::layout::Rect::new(0, 0, 120, 40));
    let reqs = app.start();
    pump(&mut app, &mut svc, reqs);
    (app, svc, term)
}

fn draw(app: &App, term: &mut Terminal<TestBackend>) {
    let theme = ui::theme::Theme::named(carequeue::config::ThemeName::Default);
    term.draw(|f| ui::draw(f, app, &theme)).expect("draw");
}

fn main() {
    // `cargo bench` passes --bench; nothing else is read from the arguments.
    let records: usize = std::env::var("CQ_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let p = pipeline();
    let mut out: Vec<Line> = Vec::new();
    // CQ_BENCH_ONLY=feed: issue 24's rows, each on a database of its own.
    if std::env::var("CQ_BENCH_ONLY").as_deref() == Ok("feed") {
        feed::run(&mut out);
        print_report(0, &out);
        return;
    }
    // CQ_BENCH_ONLY=deliver: webhook deliveries per second.
    if std::env::var("CQ_BENCH_ONLY").as_deref() == Ok("deliver") {
        deliver::run(&mut out);
        print_report(0, &out);
        return;
    }
    let path = bench_db(&p, records, &mut out);
    // CQ_BENCH_ONLY=apply: only the pipeline apply figure.
    if std::env::var("CQ_BENCH_ONLY").as_deref() == Ok("apply") {
        apply::apply_sla_change(&p, &path, &mut out);
        print_report(records, &out);
        return;
    }
    let sup = {
        let s = Store::open(&path).expect("open");
        s.users()
            .expect("users")
            .into_iter()
            .find(|u| u.roles.iter().any(|r| r == "supervisor"))
            .expect("supervisor")
    };

    if std::env::var("CQ_BENCH_ONLY").as_deref() == Ok("list") {
        listing::list_json(&path, &sup.name, &mut out);
        print_report(records, &out);
        return;
    }
    // CQ_BENCH_ONLY=keys: the keypress rows and the idle detail pane only,
    // on the kept database (a minute a try, not the whole report).
    if std::env::var("CQ_BENCH_ONLY").as_deref() == Ok("keys") {
        let _ = console(&p, &path, &sup.name);
        access::detail_idle(&p, &path, &sup.name, &mut out);
        keys::scroll_views_filter(&p, &path, &sup.name, &mut out);
        power::filtered_keys(&p, &path, &sup.name, &mut out);
        print_report(records, &out);
        return;
    }
    // CQ_BENCH_ONLY=audit: issue 25's audit rows on the kept database.
    if std::env::var("CQ_BENCH_ONLY").as_deref() == Ok("audit") {
        audit::run(&p, &path, &sup.name, &mut out);
        print_report(records, &out);
        return;
    }
    // CQ_BENCH_ONLY=moves: one transition committed, as in the full run.
    if std::env::var("CQ_BENCH_ONLY").as_deref() == Ok("moves") {
        moves::one_transition(&p, &path, &mut out);
        print_report(records, &out);
        return;
    }
    // CQ_BENCH_ONLY=power: filtered and sorted keypresses, a bulk action.
    if std::env::var("CQ_BENCH_ONLY").as_deref() == Ok("power") {
        power::run(&p, &path, &sup.name, &mut out);
        print_report(records, &out);
        return;
    }

    // The PostgreSQL rows (CQ_BENCH_ONLY=pg: only them). Before the SQLite
    // rows, on a copy of the database as they find it (they change it: a
    // month of sweeps on, no record is within its SLA); its server is gone
    // before they start.
    let pg_part = pg::run(&p, records, &path, &mut out);
    if std::env::var("CQ_BENCH_ONLY").as_deref() == Ok("pg") {
        print_report(records, &out);
        print_section(&pg_part);
        return;
    }

    // Warm the file cache and let the first sweep catch up.
    let _ = console(&p, &path, &sup.name);

    // Start to first frame.
    let mut starts = Vec::new();
    for _ in 0..10 {
        let (_, d) = time(|| {
            let (app, _svc, mut term) = console(&p, &path, &sup.name);
            draw(&app, &mut term);
        });
        starts.push(d);
    }
    let raw_start: Vec<Duration> = (0..10).map(|_| raw_first_frame(&path)).collect();
    out.push(Line {
        work: "start to first frame (warm cache)".into(),
        budget: "≤ 150 ms".into(),
        ours: p50_p99(starts),
        raw: format!("p50 {}", ms(pct(raw_start, 0.5))),
    });

    // The detail pane with its access-log insert.
    access::detail_idle(&p, &path, &sup.name, &mut out);

    keys::scroll_views_filter(&p, &path, &sup.name, &mut out);

    power::run(&p, &path, &sup.name, &mut out);

    let mut store = moves::one_transition(&p, &path, &mut out);

    // Sweep: nothing due, then a day later with timers due.
    let _ = ops::sweep(&p, &mut store, now());
    let idle: Vec<Duration> = (0..20)
        .map(|_| time(|| ops::sweep(&p, &mut store, now())).1)
        .collect();
    let raw_scan: Vec<Duration> = (0..20)
        .map(|_| {
            time(|| {
                store
                    .conn()
                    .query_row(
                        "SELECT count(*) FROM records WHERE timer_at <= ?1",
                        [now().timestamp()],
                        |r| r.get::<_, i64>(0),
                    )
                    .ok()
            })
            .1
        })
        .collect();
    out.push(Line {
        work: "sweep with nothing due".into(),
        budget: "≤ 50 ms".into(),
        ours: p50_p99(idle),
        raw: format!("indexed due scan p50 {}", ms(pct(raw_scan, 0.5))),
    });
    let later = now() + Days::days(3);
    let (report, took) = time(|| ops::sweep(&p, &mut store, later).expect("sweep"));
    let fired = report.timers + report.escalations;
    out.push(Line {
        work: format!(
            "sweep firing ({} timers, {} escalations)",
            report.timers, report.escalations
        ),
        budget: "≥ 20,000 per s".into(),
        ours: format!(
            "{:.0} per s ({})",
            fired as f64 / took.as_secs_f64().max(1e-9),
            ms(took)
        ),
        raw: "-".into(),
    });

    // A month on, swept on a connection of its own while detail panes open.
    let month = later + Days::days(30);
    let (r, took) = access::detail_during_sweep(&p, &path, &sup.name, month, &mut out);
    out.push(Line {
        work: format!(
            "  that sweep ({} timers, {} escalations)",
            r.timers, r.escalations
        ),
        budget: "-".into(),
        ours: format!(
            "{:.0} per s ({})",
            (r.timers + r.escalations) as f64 / took.as_secs_f64().max(1e-9),
            ms(took)
        ),
        raw: "-".into(),
    });

    // The stage audit over stays and from the log, with their floors.
    audit::run(&p, &path, &sup.name, &mut out);

    // The whole database verified: every hash, every record and user
    // replayed, every transition re-checked.
    access::verify(&p, &path, &mut out);

    // An SLA change applied, its open records re-timed.
    apply::apply_sla_change(&p, &path, &mut out);

    // Import of 100,000 and 1,000,000 rows into an empty database.
    for n in [100_000usize, 1_000_000] {
        if n > records.max(100_000) {
            continue;
        }
        let (ours, raw) = import::import_rows(&p, n);
        out.push(Line {
            work: format!("import {n} rows (CSV, all or none)"),
            budget: "≤ 30 s (1M)".into(),
            ours: ms(ours),
            raw: format!("bare INSERT, indexes after {}", ms(raw)),
        });
    }

    // `list --json` over every record: streamed, so its memory is flat.
    listing::list_json(&path, &sup.name, &mut out);

    // Resident memory of the real console on this database: as opened, and
    // with the Audit view (the full audit runs in the console's process).
    for (what, keys, wait) in [("resident memory (console, peak)", &b""[..], 4)] {
        match memory::console_rss(&path, &sup.name, keys, Duration::from_secs(wait)) {
            Some(kb) => out.push(Line {
                work: what.into(),
                budget: "≤ 150 MB".into(),
                ours: format!("{:.1} MB", kb as f64 / 1024.0),
                raw: "-".into(),
            }),
            None => eprintln!("resident memory: could not run the console in a pseudo-terminal"),
        }
    }

    // Issue 24's rows, each on a fresh database of its own.
    feed::run(&mut out);
    deliver::run(&mut out);

    print_report(records, &out);
    print_section(&pg_part);
}
