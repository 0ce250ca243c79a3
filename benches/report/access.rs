//! The access issue's rows: the detail pane with its access-log insert
//! (idle, and while a sweep commits), `verify` of the whole database, and
//! the floors they are read against.

use super::{Line, ms, now, p50_p99, time, user};
use carequeue::app::service::{Request, Response, Service};
use carequeue::domain::Pipeline;
use carequeue::engine::FixedClock;
use carequeue::ops;
use carequeue::store::Store;
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Record ids spread over the table, for detail panes.
fn sample_ids(path: &Path, n: usize) -> Vec<i64> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let max: i64 = conn
        .query_row("SELECT max(id) FROM records", [], |r| r.get(0))
        .expect("max id");
    (0..n as i64).map(|i| 1 + (i * 7919) % max.max(1)).collect()
}

/// As the console's data worker runs it: WAL checkpoints deferred to idle
/// ticks, so a pane's commit never copies a sweep's WAL into the file.
fn service(p: &Arc<Pipeline>, path: &Path, who: &str) -> Service {
    let store = Store::open(path).expect("open");
    store.defer_checkpoints().expect("defer checkpoints");
    let u = user(&store, who);
    Service::new(p.clone(), store, Arc::new(FixedClock(now())), u, None)
}

/// One detail pane as the console opens it: the record, its history and
/// the access-log entry, in the data worker's own call.
fn open(svc: &mut Service, id: i64) -> Duration {
    let t = Instant::now();
    match svc.handle(Request::Detail(id)) {
        Response::Detail(_) => {}
        other => panic!("detail {id}: {other:?}"),
    }
    t.elapsed()
}

/// The floor: the same two reads and one INSERT of a row of the same shape
/// into a scratch table, in one IMMEDIATE transaction, on a bare connection.
fn raw_open(conn: &mut rusqlite::Connection, id: i64) -> Duration {
    let t = Instant::now();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .expect("tx");
    tx.query_row("SELECT * FROM records WHERE id = ?1", [id], |_| Ok(()))
        .expect("record");
    let n = tx
        .prepare_cached("SELECT * FROM events WHERE record_id = ?1 ORDER BY id")
        .expect("prep")
        .query_map([id], |_| Ok(()))
        .expect("history")
        .count();
    tx.execute(
        "INSERT INTO bench_floor_access (at, actor, action, record, hash) VALUES (0, 'raw', 'detail', ?1, x'00')",
        [id],
    )
    .expect("insert");
    tx.commit().expect("commit");
    assert!(n > 0);
    t.elapsed()
}

fn raw_conn(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.busy_timeout(Duration::from_secs(30)).expect("busy");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("pragma");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS bench_floor_access (id INTEGER PRIMARY KEY, at INTEGER, actor TEXT, action TEXT, record INTEGER, detail TEXT, hash BLOB)",
    )
    .expect("scratch table");
    conn
}

/// Detail panes opened with nothing else running, beside the floor.
pub fn detail_idle(p: &Arc<Pipeline>, path: &Path, who: &str, out: &mut Vec<Line>) {
    let ids = sample_ids(path, 500);
    let mut svc = service(p, path, who);
    let ours: Vec<Duration> = ids.iter().map(|id| open(&mut svc, *id)).collect();
    let mut conn = raw_conn(path);
    let raw: Vec<Duration> = ids.iter().map(|id| raw_open(&mut conn, *id)).collect();
    out.push(Line {
        work: format!("detail pane with its access insert ({} opens)", ours.len()),
        budget: "-".into(),
        ours: p50_p99(ours),
        raw: p50_p99(raw),
    });
}

/// The sweep at `at` on its own connection and thread, as a second console
/// would run it, while panes open every 5 ms here. Returns the sweep's
/// report and time.
pub fn detail_during_sweep(
    p: &Arc<Pipeline>,
    path: &Path,
    who: &str,
    at: DateTime<Utc>,
    out: &mut Vec<Line>,
) -> (ops::SweepReport, Duration) {
    let ids = sample_ids(path, 20_000);
    let mut svc = service(p, path, who);
    let sweeper = {
        let (p, path) = (p.clone(), path.to_path_buf());
        std::thread::spawn(move || {
            let mut store = Store::open(&path).expect("open");
            time(|| ops::sweep(&p, &mut store, at).expect("sweep"))
        })
    };
    let mut ours = Vec::new();
    for id in ids.iter().cycle() {
        if sweeper.is_finished() {
            break;
        }
        ours.push(open(&mut svc, *id));
        std::thread::sleep(Duration::from_millis(5));
    }
    let (report, took) = sweeper.join().expect("the sweep thread");
    // The floor: as many bare opens with no writer beside them, so the
    // difference is the wait for the sweep's transactions.
    let mut conn = raw_conn(path);
    let raw: Vec<Duration> = ids
        .iter()
        .take(ours.len().max(1))
        .map(|id| raw_open(&mut conn, *id))
        .collect();
    if ours.is_empty() {
        eprintln!("the sweep finished before any pane opened");
    } else {
        out.push(Line {
            work: format!("detail pane while a sweep commits ({} opens)", ours.len()),
            budget: "-".into(),
            ours: p50_p99(ours),
            raw: format!("bare, no writer: {}", p50_p99(raw)),
        });
    }
    (report, took)
}

/// `verify` of the whole database beside a bare read of every event.
pub fn verify(p: &Pipeline, path: &Path, out: &mut Vec<Line>) {
    let store = Store::open(path).expect("open");
    let (res, took) = time(|| carequeue::ops::verify::verify(p, &store).expect("verify runs"));
    if let Some(problem) = res.problems.shown().first() {
        panic!("the bench database does not verify: {problem}");
    }
    let events = res.report.events;
    let raw = time(|| {
        let conn = rusqlite::Connection::open(path).expect("open");
        let mut st = conn
            .prepare("SELECT id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, hash FROM events ORDER BY id")
            .expect("prep");
        let mut rows = st.query([]).expect("q");
        let mut bytes = 0usize;
        while let Ok(Some(r)) = rows.next() {
            for i in 3..12 {
                bytes += match r.get_ref(i) {
                    Ok(v) => v.as_bytes_or_null().ok().flatten().map_or(0, <[u8]>::len),
                    Err(_) => 0,
                };
            }
        }
        bytes
    })
    .1;
    out.push(Line {
        work: format!("verify ({events} events, full replay)"),
        budget: "-".into(),
        ours: ms(took),
        raw: format!("bare read of every event {}", ms(raw)),
    });
}

/// The demo build's floor: the same numbers of records and events written
/// through one prepared INSERT each into bare tables, no simulation, no
/// hashing, indexes after.
pub fn demo_floor(records: i64, events: i64, dir: &Path) -> Duration {
    let db = dir.join("bench-demo-floor.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let took = time(|| {
        let mut conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             CREATE TABLE r (id INTEGER PRIMARY KEY, patient TEXT, stage TEXT, assignee TEXT, fields TEXT, sort_due INTEGER);
             CREATE TABLE e (id INTEGER PRIMARY KEY, record_id INTEGER, at INTEGER, actor TEXT, kind TEXT, to_stage TEXT, data TEXT, hash BLOB);",
        )
        .expect("schema");
        let tx = conn.transaction().expect("tx");
        {
            let mut r = tx
                .prepare("INSERT INTO r (patient, stage, assignee, fields, sort_due) VALUES (?1, 'intake_review', 'maria', '{\"state\":\"NY\"}', ?2)")
                .expect("prep");
            for i in 0..records {
                r.execute(rusqlite::params![format!("Patient {i}"), i]).expect("record");
            }
            let mut e = tx
                .prepare("INSERT INTO e (record_id, at, actor, kind, to_stage, data, hash) VALUES (?1, ?2, 'maria', 'transition', 'intake_review', NULL, ?3)")
                .expect("prep");
            let hash = [7u8; 32];
            for i in 0..events {
                e.execute(rusqlite::params![1 + i % records.max(1), i, &hash[..]])
                    .expect("event");
            }
        }
        tx.execute_batch(
            "CREATE INDEX r_stage ON r(stage, sort_due, id); CREATE INDEX r_assignee ON r(assignee, sort_due, id);
             CREATE INDEX r_due ON r(sort_due, id); CREATE INDEX e_record ON e(record_id, id);",
        )
        .expect("indexes");
        tx.commit().expect("commit");
    })
    .1;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    took
}
