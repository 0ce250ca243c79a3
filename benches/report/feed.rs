//! Issue 24's rows (`CQ_BENCH_ONLY=feed`, also part of the full run), each
//! on a fresh database of its own, beside a floor doing the same work on a
//! bare connection:
//!
//! - `ingest` of 100,000 lines (`CQ_BENCH_INGEST=N` for another count), the
//!   real binary, a transaction a line, against a bare connection inserting
//!   the same rows (a record and its event, a transaction each) under the
//!   same journal settings;
//! - how soon `events --follow` (the real binary, in its own process) shows
//!   a commit, over 100 commits a tenth of a second apart, against a bare
//!   loop asking the log's head at the same interval.

use super::{Line, ms, p50_p99};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-26T15:00:00Z";

pub(super) fn carequeue(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_carequeue"))
        .arg("--db")
        .arg(db)
        .args(["--as", "bench", "--now", NOW])
        .args(args)
        .output()
        .expect("run carequeue")
}

/// A trust-mode database with `bench` holding every role.
pub(super) fn fresh(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("feed.db");
    let out = Command::new(env!("CARGO_BIN_EXE_carequeue"))
        .arg("--db")
        .arg(&db)
        .args(["--now", NOW, "init", "--trust"])
        .output()
        .expect("init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin = String::from_utf8_lossy(
        &Command::new(env!("CARGO_BIN_EXE_carequeue"))
            .arg("--db")
            .arg(&db)
            .args(["user", "list", "--json"])
            .output()
            .expect("users")
            .stdout,
    )
    .to_string();
    let admin: serde_json::Value = serde_json::from_str(&admin).expect("json");
    let admin = admin[0]["name"].as_str().expect("the founder").to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_carequeue"))
        .arg("--db")
        .arg(&db)
        .args(["--as", &admin, "--now", NOW, "user", "add", "bench"])
        .args(["--role", "ops", "--role", "supervisor"])
        .output()
        .expect("user add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

pub fn run(out: &mut Vec<Line>) {
    let n: usize = std::env::var("CQ_BENCH_INGEST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    ingest(n, out);
    follow(out);
}

fn ingest(n: usize, out: &mut Vec<Line>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = fresh(dir.path());
    let file = dir.path().join("in.ndjson");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("file"));
        for i in 0..n {
            writeln!(
                w,
                r#"{{"op":"add","op_id":"b{i}","patient":"Bench Patient {i}","fields":{{"state":"TX"}}}}"#
            )
            .expect("write");
        }
    }
    let t = Instant::now();
    let o = carequeue(&db, &["ingest", &file.display().to_string()]);
    let ours = t.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The floor: the same rows on a bare connection, a record and its
    // event a transaction, WAL and synchronous=NORMAL as the store runs.
    let bare = dir.path().join("bare.db");
    let conn = rusqlite::Connection::open(&bare).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE r (id INTEGER PRIMARY KEY, patient TEXT, stage TEXT, fields TEXT, created_at INT);
         CREATE TABLE e (id INTEGER PRIMARY KEY, record_id INT, at INT, kind TEXT, data TEXT, op_id TEXT);
         CREATE UNIQUE INDEX e_op ON e(op_id);",
    )
    .expect("schema");
    let t = Instant::now();
    for i in 0..n {
        let tx = conn.unchecked_transaction().expect("tx");
        let name = format!("Bench Patient {i}");
        tx.execute(
            "INSERT INTO r (patient, stage, fields, created_at) VALUES (?1, 'form_submitted', '{\"state\":\"TX\"}', 0)",
            [&name],
        )
        .expect("insert");
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO e (record_id, at, kind, data, op_id) VALUES (?1, 0, 'create', ?2, ?3)",
            rusqlite::params![id, name, format!("b{i}")],
        )
        .expect("insert");
        tx.commit().expect("commit");
    }
    let floor = t.elapsed();
    out.push(Line {
        work: format!("ingest of {n} lines, a transaction a line (the binary)"),
        budget: "- (the issue: beside a bare insert)".into(),
        ours: format!(
            "{:.1} s ({:.0} lines/s), ×{:.1} its floor",
            ours.as_secs_f64(),
            n as f64 / ours.as_secs_f64(),
            ours.as_secs_f64() / floor.as_secs_f64()
        ),
        raw: format!(
            "bare insert, the same rows, a transaction each: {:.1} s",
            floor.as_secs_f64()
        ),
    });
}

fn follow(out: &mut Vec<Line>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = fresh(dir.path());
    let o = carequeue(&db, &["add", "--patient", "Feed Bench"]);
    assert!(o.status.success());
    let id = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let head: i64 = {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.query_row("SELECT max(id) FROM events", [], |r| r.get(0))
            .expect("head")
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_carequeue"))
        .arg("--db")
        .arg(&db)
        .args([
            "--as", "bench", "--now", NOW, "events", "--json", "--follow",
        ])
        .args(["--since", &head.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("follower");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<(i64, Instant)>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let seq = serde_json::from_str::<serde_json::Value>(&line)
                .ok()
                .and_then(|v| v["seq"].as_i64())
                .unwrap_or(0);
            if tx.send((seq, Instant::now())).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    // Commits through a connection of the store's own, as a writer does.
    let mut store = carequeue::store::Store::open(&db).expect("open");
    let actor = carequeue::ops::actor(&store, "bench").expect("bench");
    let rid: i64 = id.parse().expect("id");
    let mut committed = Vec::new();
    for i in 0..100 {
        carequeue::ops::note(
            &mut store,
            &actor,
            rid,
            &format!("note {i}"),
            carequeue::ops::ChangeOpts::default(),
            super::now(),
        )
        .expect("note");
        committed.push(Instant::now());
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut seen = Vec::new();
    while seen.len() < committed.len() {
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok((_, at)) => seen.push(at),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    let lat: Vec<Duration> = committed
        .iter()
        .zip(&seen)
        .map(|(c, s)| s.saturating_duration_since(*c))
        .collect();

    // The floor: a bare connection asking the log's head at the same
    // interval (200 ms), for commits made the same way.
    let conn = rusqlite::Connection::open(&db).expect("open");
    let mut last: i64 = conn
        .query_row("SELECT max(id) FROM events", [], |r| r.get(0))
        .expect("head");
    let (ftx, frx) = std::sync::mpsc::channel::<Instant>();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let stop = stop.clone();
        let db = db.clone();
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&db).expect("open");
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let head: i64 = conn
                    .query_row("SELECT max(id) FROM events", [], |r| r.get(0))
                    .expect("head");
                while last < head {
                    last += 1;
                    let _ = ftx.send(Instant::now());
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    drop(conn);
    let mut fcommitted = Vec::new();
    for i in 0..100 {
        carequeue::ops::note(
            &mut store,
            &actor,
            rid,
            &format!("floor note {i}"),
            carequeue::ops::ChangeOpts::default(),
            super::now(),
        )
        .expect("note");
        fcommitted.push(Instant::now());
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut fseen = Vec::new();
    while fseen.len() < fcommitted.len() {
        match frx.recv_timeout(Duration::from_secs(5)) {
            Ok(at) => fseen.push(at),
            Err(_) => break,
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = poller.join();
    let flat: Vec<Duration> = fcommitted
        .iter()
        .zip(&fseen)
        .map(|(c, s)| s.saturating_duration_since(*c))
        .collect();
    out.push(Line {
        work: format!(
            "a commit seen by `events --follow` ({} of {} seen)",
            lat.len(),
            committed.len()
        ),
        budget: "p99 ≤ 1 s".into(),
        ours: format!(
            "{} (max {})",
            p50_p99(lat.clone()),
            ms(lat.iter().max().copied().unwrap_or_default())
        ),
        raw: format!(
            "a bare poll of the log's head every 200 ms: {}",
            p50_p99(flat)
        ),
    });
}
