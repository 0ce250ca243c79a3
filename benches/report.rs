//! The performance report: builds a large demo database once, then measures
//! each budget of SPEC.md's performance table next to the raw floor for the
//! same work (a bare rusqlite connection, a bare ratatui table), in one run.
//!
//!     cargo bench --bench report                       # 1,000,000 records
//!     CQ_BENCH_RECORDS=100000 cargo bench --bench report
//!
//! The database is kept in target/ and reused while its size matches.

use carequeue::app::service::{Service, pump};
use carequeue::app::{App, keymap};
use carequeue::domain::{DEFAULT_PIPELINE, Pipeline, check};
use carequeue::engine::FixedClock;
use carequeue::engine::rules::{MoveArgs, allowed_events};
use carequeue::ops::{self, Guard};
use carequeue::store::{Store, meta_get};
use carequeue::{demo, ui};
use chrono::{DateTime, Duration as Days, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::widgets::{Row, Table};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// As in the binary, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

fn bench_db(p: &Pipeline, records: usize, out: &mut Vec<Line>) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let path = dir.join(format!("bench-{records}.db"));
    // Read-only, so a stale file is neither migrated nor touched.
    let reuse =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()
            .and_then(|c| {
                let generator = meta_get(&c, "demo_generator").ok().flatten()?;
                let n: i64 = c
                    .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
                    .ok()?;
                Some(generator == demo::GENERATOR && n as usize == records)
            })
            .unwrap_or(false);
    if !reuse {
        // The bench's own stale file: gone without being opened (opening
        // would first migrate it).
        for suffix in ["", "-wal", "-shm"] {
            let mut f = path.as_os_str().to_owned();
            f.push(suffix);
            let _ = std::fs::remove_file(f);
        }
        let opts = demo::DemoOptions {
            records,
            seed: 1,
            allow_network_fs: false,
        };
        let (_, took) =
            time(|| demo::build(p, DEFAULT_PIPELINE, &path, &opts, now()).expect("demo builds"));
        let events: i64 = Store::open(&path)
            .and_then(|s| {
                Ok(s.conn()
                    .query_row("SELECT count(*) FROM events", [], |r| r.get(0))?)
            })
            .unwrap_or(0);
        out.push(Line {
            work: format!("demo build: {records} records, {events} events"),
            budget: "≤ 30 s (1M)".into(),
            ours: ms(took),
            raw: "-".into(),
        });
    }
    path
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
    app.height = ui::table_rows(ratatui::layout::Rect::new(0, 0, 120, 40));
    let reqs = app.start();
    pump(&mut app, &mut svc, reqs);
    (app, svc, term)
}

fn draw(app: &App, term: &mut Terminal<TestBackend>) {
    let theme = ui::theme::Theme { color: true };
    term.draw(|f| ui::draw(f, app, &theme)).expect("draw");
}

fn raw_first_frame(path: &Path) -> Duration {
    let conn = rusqlite::Connection::open(path).expect("open");
    let t = Instant::now();
    let mut st = conn
        .prepare("SELECT stage, count(*) FROM records GROUP BY stage")
        .expect("prep");
    let n: usize = st.query_map([], |r| r.get::<_, i64>(1)).expect("q").count();
    let mut st = conn
        .prepare("SELECT id, patient, stage, assignee, sort_due FROM records ORDER BY sort_due, id LIMIT 40")
        .expect("prep");
    let m: usize = st.query_map([], |r| r.get::<_, i64>(0)).expect("q").count();
    assert!(n + m > 0);
    t.elapsed()
}

fn raw_page_and_draw(
    path: &Path,
    term: &mut Terminal<TestBackend>,
    samples: usize,
) -> Vec<Duration> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut out = Vec::new();
    let mut after = 0i64;
    for _ in 0..samples {
        let t = Instant::now();
        let mut st = conn
            .prepare_cached(
                "SELECT id, patient, stage, assignee, sort_due FROM records WHERE (sort_due, id) > (0, ?1)
                 ORDER BY sort_due, id LIMIT 36",
            )
            .expect("prep");
        let rows: Vec<(i64, String, String)> = st
            .query_map([after], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("q")
            .filter_map(Result::ok)
            .collect();
        after = rows.first().map_or(0, |r| r.0);
        term.draw(|f| {
            let rows = rows
                .iter()
                .map(|r| Row::new(vec![r.0.to_string(), r.1.clone(), r.2.clone()]));
            f.render_widget(Table::new(rows, [20, 30, 30]), f.area());
        })
        .expect("draw");
        out.push(t.elapsed());
    }
    out
}

fn main() {
    // `cargo bench` passes --bench; nothing else is read from the arguments.
    let records: usize = std::env::var("CQ_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let p = pipeline();
    let mut out: Vec<Line> = Vec::new();
    let path = bench_db(&p, records, &mut out);
    let sup = {
        let s = Store::open(&path).expect("open");
        s.users()
            .expect("users")
            .into_iter()
            .find(|u| u.roles.iter().any(|r| r == "supervisor"))
            .expect("supervisor")
    };

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

    // Keypress to redrawn frame: scrolling, switching view, typing a filter.
    let (mut app, mut svc, mut term) = console(&p, &path, &sup.name);
    app.on_key(key('1'));
    // The console redraws on the input thread right after a key; the data
    // worker answers the key's queries and the next frame shows them. Both
    // are measured: to the redrawn frame, and to the frame with the data.
    let mut keys = Vec::new();
    let mut with_data = Vec::new();
    let mut press =
        |app: &mut App, svc: &mut Service, term: &mut Terminal<TestBackend>, k: KeyEvent| {
            let t = Instant::now();
            let reqs = app.on_key(k);
            draw(app, term);
            keys.push(t.elapsed());
            pump(app, svc, reqs);
            draw(app, term);
            with_data.push(t.elapsed());
        };
    for i in 0..600 {
        let k = if i % 50 == 49 {
            KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)
        } else {
            key('j')
        };
        press(&mut app, &mut svc, &mut term, k);
    }
    for _ in 0..16 {
        press(
            &mut app,
            &mut svc,
            &mut term,
            KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE),
        );
    }
    press(&mut app, &mut svc, &mut term, key('/'));
    for c in "Nguyen".chars() {
        press(&mut app, &mut svc, &mut term, key(c));
    }
    press(
        &mut app,
        &mut svc,
        &mut term,
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
    );
    let _ = keymap::Mode::Normal;
    let raw_keys = raw_page_and_draw(&path, &mut term, 600);
    out.push(Line {
        work: format!(
            "keypress to frame ({} keys: scroll, views, filter)",
            keys.len()
        ),
        budget: "p50 ≤ 2 ms, p99 ≤ 16 ms".into(),
        ours: p50_p99(keys),
        raw: p50_p99(raw_keys.clone()),
    });
    out.push(Line {
        work: "keypress to frame with its data (worker queries included)".into(),
        budget: "-".into(),
        ours: p50_p99(with_data),
        raw: p50_p99(raw_keys),
    });

    // One transition committed, as the console commits: checkpoints run
    // on the worker's idle ticks, not inside a commit.
    let mut store = Store::open(&path).expect("open");
    store.defer_checkpoints().expect("pragma");
    let every: Vec<String> = p.roles.iter().map(|r| r.id.clone()).collect();
    store.upsert_user("bench-all", &every, 0).expect("user");
    let all = ops::actor(&store, "bench-all").expect("bench user");
    let ids: Vec<i64> = {
        let mut st = store
            .conn()
            .prepare(
                "SELECT id FROM records WHERE stage IN ('form_submitted','pending_provider','rx_sent')
                 AND sort_due > ?1 ORDER BY id LIMIT 2000",
            )
            .expect("prep");
        // Records within their SLA: a breached one would first need its reason.
        st.query_map([now().timestamp()], |r| r.get(0))
            .expect("q")
            .filter_map(Result::ok)
            .collect()
    };
    let mut commits = Vec::new();
    for id in &ids {
        let Ok(r) = store.record(*id) else { continue };
        let Some(a) = allowed_events(&p, &r, &all, now())
            .into_iter()
            .find(|a| a.requires.is_empty())
        else {
            continue;
        };
        let args = MoveArgs::default();
        let (res, d) = time(|| {
            ops::move_record(
                &p,
                &mut store,
                &all,
                *id,
                &a.event,
                &args,
                Guard::default(),
                now(),
            )
        });
        match res {
            Ok(_) => commits.push(d),
            Err(e) if commits.is_empty() => eprintln!("move refused: {e}"),
            Err(_) => {}
        }
        if commits.len() % 50 == 0 {
            store.checkpoint().expect("idle checkpoint");
        }
    }
    let raw_commits: Vec<Duration> = {
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        conn.pragma_update(None, "synchronous", "NORMAL")
            .expect("pragma");
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .expect("pragma");
        ids.iter()
            .map(|id| {
                let t = Instant::now();
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).expect("tx");
                tx.execute("UPDATE records SET version = version + 1 WHERE id = ?1", [id]).expect("update");
                tx.execute(
                    "INSERT INTO events (record_id, at, actor, kind, hash) VALUES (?1, 0, 'raw', 'note', x'00')",
                    [id],
                )
                .expect("insert");
                tx.commit().expect("commit");
                let d = t.elapsed();
                if id % 50 == 0 {
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
                d
            })
            .collect()
    };
    out.push(Line {
        work: format!("one transition committed ({} moves)", commits.len()),
        budget: "p50 ≤ 0.2 ms, p99 ≤ 2 ms".into(),
        ours: p50_p99(commits),
        raw: p50_p99(raw_commits),
    });

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

    // The full stage audit, and the raw floor: read every event and reduce
    // it in Rust (a count per kind) through a bare connection.
    // On a connection of its own, as the console runs it.
    let audit_store = Store::open(&path).expect("open");
    let (audit, took) = time(|| {
        carequeue::store::audit_scan::audit(
            audit_store.conn(),
            &p,
            carequeue::engine::audit::AuditRange::ALL,
            now(),
        )
    });
    let raw_audit = time(|| {
        let conn = rusqlite::Connection::open(&path).expect("open");
        let mut st = conn
            .prepare("SELECT record_id, at, kind FROM events")
            .expect("prep");
        let mut kinds: std::collections::HashMap<String, (u64, i64)> = Default::default();
        let mut rows = st.query([]).expect("q");
        while let Ok(Some(r)) = rows.next() {
            let k: String = r.get(2).unwrap_or_default();
            let e = kinds.entry(k).or_default();
            e.0 += 1;
            e.1 = e.1.max(r.get::<_, i64>(1).unwrap_or(0));
        }
        kinds.len()
    })
    .1;
    out.push(Line {
        work: format!(
            "full audit ({} stages)",
            audit.map(|a| a.stages.len()).unwrap_or(0)
        ),
        budget: "≤ 3 s, never blocking input".into(),
        ours: ms(took),
        raw: format!("read + reduce all events {}", ms(raw_audit)),
    });

    // Import of 100,000 and 1,000,000 rows into an empty database.
    for n in [100_000usize, 1_000_000] {
        if n > records.max(100_000) {
            continue;
        }
        let (ours, raw) = import_rows(&p, n);
        out.push(Line {
            work: format!("import {n} rows (CSV, all or none)"),
            budget: "≤ 30 s (1M)".into(),
            ours: ms(ours),
            raw: format!("bare INSERT, indexes after {}", ms(raw)),
        });
    }

    // Resident memory of the real console on this database: as opened, and
    // with the Audit view (the full audit runs in the console's process).
    for (what, keys, wait) in [
        ("resident memory (console, peak)", &b""[..], 4),
        (
            "resident memory (console, Audit view open, peak)",
            &b"9"[..],
            20,
        ),
    ] {
        match console_rss(&path, &sup.name, keys, Duration::from_secs(wait)) {
            Some(kb) => out.push(Line {
                work: what.into(),
                budget: "≤ 150 MB".into(),
                ours: format!("{:.1} MB", kb as f64 / 1024.0),
                raw: "-".into(),
            }),
            None => eprintln!("resident memory: could not run the console in a pseudo-terminal"),
        }
    }

    println!("\ncarequeue performance report ({records} records)\n");
    let w = [
        out.iter().map(|l| l.work.len()).max().unwrap_or(4),
        out.iter()
            .map(|l| l.budget.chars().count())
            .max()
            .unwrap_or(6),
        out.iter()
            .map(|l| l.ours.chars().count())
            .max()
            .unwrap_or(4),
    ];
    println!(
        "| {:<w0$} | {:<w1$} | {:<w2$} | raw floor |",
        "work",
        "budget",
        "carequeue",
        w0 = w[0],
        w1 = w[1],
        w2 = w[2]
    );
    println!(
        "|{}|{}|{}|---|",
        "-".repeat(w[0] + 2),
        "-".repeat(w[1] + 2),
        "-".repeat(w[2] + 2)
    );
    for l in &out {
        println!(
            "| {:<w0$} | {:<w1$} | {:<w2$} | {} |",
            l.work,
            l.budget,
            l.ours,
            l.raw,
            w0 = w[0],
            w1 = w[1] - l.budget.chars().count() + l.budget.len(),
            w2 = w[2] - l.ours.chars().count() + l.ours.len()
        );
    }
}

/// Peak resident set (VmHWM, kB) of `carequeue` showing the console on
/// `db` in a pseudo-terminal, `keys` typed a second after it starts and
/// read `wait` later.
fn console_rss(db: &Path, user: &str, keys: &[u8], wait: Duration) -> Option<u64> {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .ok()?;
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_carequeue"));
    cmd.args([
        "--db",
        db.to_str()?,
        "--as",
        user,
        "--now",
        "2026-11-26T15:00:00Z",
    ]);
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).ok()?;
    let mut reader = pair.master.try_clone_reader().ok()?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while matches!(std::io::Read::read(&mut reader, &mut buf), Ok(n) if n > 0) {}
    });
    let mut w = pair.master.take_writer().ok()?;
    std::thread::sleep(Duration::from_secs(1));
    let _ = std::io::Write::write_all(&mut w, keys);
    std::thread::sleep(wait);
    let pid = child.process_id()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok();
    let _ = std::io::Write::write_all(&mut w, b"q");
    let _ = child.wait();
    kb
}

/// Imports an `n`-row CSV into a fresh database; returns our time and the
/// raw floor (the same rows through one prepared INSERT, indexes after).
fn import_rows(p: &Pipeline, n: usize) -> (Duration, Duration) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let csv_path = dir.join(format!("bench-import-{n}.csv"));
    {
        let mut w = csv::Writer::from_path(&csv_path).expect("csv");
        w.write_record(["patient", "dob", "state", "program", "phone", "days_supply"])
            .expect("header");
        for i in 0..n {
            let dob = format!("19{:02}-{:02}-{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28);
            let state = ["CA", "NY", "TX", "FL"][i % 4];
            let program = ["weight", "hair", "sleep", "dermatology"][i % 4];
            w.write_record([
                &format!("Patient {i}"),
                &dob,
                state,
                program,
                &format!("555-{:04}", i % 10_000),
                "30",
            ])
            .expect("row");
        }
        w.flush().expect("flush");
    }
    let db = dir.join(format!("bench-import-{n}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut store = Store::create(&db).expect("create");
    store
        .upsert_user("importer", &["ops".to_string()], 0)
        .expect("user");
    let who = ops::actor(&store, "importer").expect("importer");
    let size = std::fs::metadata(&csv_path).map(|m| m.len()).unwrap_or(0);
    let file = std::fs::File::open(&csv_path).expect("open csv");
    let (res, ours) = time(|| ops::import_csv(p, &mut store, &who, "bench.csv", file, size, now()));
    assert_eq!(res.ok(), Some(n), "import succeeds");
    drop(store);

    let raw_db = dir.join(format!("bench-import-raw-{n}.db"));
    let _ = std::fs::remove_file(&raw_db);
    let raw = time(|| {
        let mut conn = rusqlite::Connection::open(&raw_db).expect("open");
        conn.execute_batch(
            "CREATE TABLE r (id INTEGER PRIMARY KEY, patient TEXT, stage TEXT, fields TEXT, sort_due INTEGER);",
        )
        .expect("schema");
        let tx = conn.transaction().expect("tx");
        {
            let mut rdr = csv::Reader::from_path(&csv_path).expect("csv");
            let mut st = tx.prepare("INSERT INTO r (patient, stage, fields, sort_due) VALUES (?1, 'new', ?2, ?3)").expect("prep");
            for (i, row) in rdr.records().enumerate() {
                let row = row.expect("row");
                let fields = format!("{{\"dob\":\"{}\",\"state\":\"{}\"}}", &row[1], &row[2]);
                st.execute(rusqlite::params![&row[0], fields, i as i64]).expect("insert");
            }
        }
        tx.execute_batch("CREATE INDEX r_stage ON r(stage, sort_due, id);").expect("index");
        tx.commit().expect("commit");
    })
    .1;
    let _ = std::fs::remove_file(&raw_db);
    (ours, raw)
}
