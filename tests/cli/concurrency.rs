//! Several processes writing one database at once (SPEC "Store": several
//! consoles on one file must work; a change based on a stale view is refused
//! with a clear message, never applied over someone else's).
//!
//! 4 worker threads each run the real binary for 500 operations on the same
//! 5 records: read the record (`show --json`), then `move`, `claim`,
//! `release` or `note` it, usually with `--expect-version` set to what was
//! just read — so other workers' changes in between make some of them stale.
//! Some moves fire an event that is not valid from the stage, and some go
//! without `--expect-version`, so refusals of both kinds happen.
//!
//! Asserted: no process ever reports "database is locked" or "busy"; every
//! failure is a clear refusal (exit 1, one `error:` line naming a stale
//! version or a refused action); every read succeeds; the events added equal
//! the successful operations; versions equal event counts; `verify` passes.
//!
//! `CAREQUEUE_TEST_CONC_OPS` overrides the per-process count (default 500).

use crate::common::{BIN, Cq};
use carequeue::store::Store;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

const NOW: &str = "2026-03-02T14:00:00Z";
const WORKERS: usize = 4;
const RECORDS: usize = 5;

/// Happy-path event per stage for a user with every role; (stage, event, reason/note args).
const FLOW: &[(&str, &str)] = &[
    ("form_submitted", "start_review"),
    ("intake_review", "complete_intake"),
    ("intake_complete", "send_to_provider"),
    ("pending_provider", "begin_review"),
    ("in_review", "approve"),
    ("approved", "send_rx"),
    ("rx_sent", "pharmacy_confirm"),
    ("pharmacy_received", "ship"),
    ("shipped", "first_fill"),
    ("first_fill_complete", "checkin_done"),
    ("ongoing", "refill_window"),
    ("refill_due", "refill"),
];

/// Events fired at random, mostly not valid from the record's stage.
const WRONG: &[&str] = &["approve", "ship", "deny", "teleport", "begin_review"];

fn ops_per_worker() -> usize {
    std::env::var("CAREQUEUE_TEST_CONC_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

fn run(cq: &Cq, user: &str, args: &[String]) -> Output {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("CAREQUEUE_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(cq.dir.path())
        .arg("--db")
        .arg(&cq.db)
        .arg("--pipeline")
        .arg(&cq.pipeline)
        .arg("--as")
        .arg(user)
        .arg("--now")
        .arg(NOW)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run carequeue")
}

fn no_lock_errors(args: &[String], out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        !err.contains("locked") && !err.contains("busy"),
        "`{}` hit a lock error: {err}",
        args.join(" ")
    );
}

#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    stale: usize,
    refused: usize,
}

fn worker(cq: Arc<Cq>, w: usize, ids: Vec<i64>, ops: usize) -> Tally {
    let me = format!("w{w}");
    let mut rng = ChaCha8Rng::seed_from_u64(0xc0c0 + w as u64);
    let mut t = Tally::default();
    for n in 0..ops {
        let id = ids[rng.random_range(0..ids.len())];
        let sid = id.to_string();
        let show = vec!["show".to_string(), sid.clone(), "--json".to_string()];
        let out = run(&cq, &me, &show);
        no_lock_errors(&show, &out);
        assert!(
            out.status.success(),
            "a read never fails: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rec: Value = serde_json::from_slice(&out.stdout).expect("show --json");
        let version = rec["version"].as_i64().expect("version");
        let stage = rec["stage"].as_str().expect("stage").to_string();
        let mine = rec["owner"].as_str() == Some(me.as_str());
        let owned = !rec["owner"].is_null();
        let mut args: Vec<String> = match rng.random_range(0..10) {
            0 => vec!["note".into(), sid, format!("w{w} op {n}")],
            1 | 2 if mine || (owned && rng.random_bool(0.3)) => vec!["release".into(), sid],
            1 | 2 => vec!["claim".into(), sid],
            3 => vec![
                "move".into(),
                sid,
                WRONG[rng.random_range(0..WRONG.len())].into(),
            ],
            _ => {
                let event = FLOW
                    .iter()
                    .find(|(s, _)| *s == stage)
                    .map(|(_, e)| *e)
                    .expect("records stay on the flow");
                vec!["move".into(), sid, event.into()]
            }
        };
        if rng.random_bool(0.8) {
            args.push("--expect-version".into());
            args.push(version.to_string());
        }
        let out = run(&cq, &me, &args);
        no_lock_errors(&args, &out);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        match out.status.code() {
            Some(0) => t.ok += 1,
            Some(1) => {
                assert!(
                    err.starts_with("error: ") && err.trim_end().lines().count() == 1,
                    "`{}`: a refusal is one `error:` line: {err:?}",
                    args.join(" ")
                );
                assert!(
                    out.stdout.is_empty(),
                    "`{}`: a refusal prints nothing on stdout",
                    args.join(" ")
                );
                if err.contains("changed since you read it") {
                    t.stale += 1;
                } else if err.contains("refused in stage") {
                    t.refused += 1;
                } else {
                    panic!("`{}`: not a clear refusal: {err}", args.join(" "));
                }
            }
            other => panic!("`{}` exited {other:?}: {err}", args.join(" ")),
        }
    }
    t
}

fn counts(cq: &Cq) -> (i64, Vec<(i64, i64, i64)>) {
    let store = Store::open(&cq.db).expect("open");
    let c = store.conn();
    let total: i64 = c
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    let mut st = c
        .prepare(
            "SELECT r.id, r.version, (SELECT count(*) FROM events e WHERE e.record_id = r.id)
             FROM records r ORDER BY r.id",
        )
        .unwrap();
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (total, rows)
}

#[test]
fn four_processes_on_overlapping_records() {
    let ops = ops_per_worker();
    let cq = Cq::init_default(NOW);
    for w in 0..WORKERS {
        cq.ok(
            "nobody",
            NOW,
            &[
                "user",
                "add",
                &format!("w{w}"),
                "--role",
                "ops",
                "--role",
                "provider",
                "--role",
                "pharmacy",
                "--role",
                "supervisor",
            ],
        );
    }
    let ids: Vec<i64> = (0..RECORDS)
        .map(|i| cq.add("w0", NOW, &format!("Patient {i}"), &[]))
        .collect();
    let (before, _) = counts(&cq);
    let cq = Arc::new(cq);
    let handles: Vec<_> = (0..WORKERS)
        .map(|w| {
            let cq = cq.clone();
            let ids = ids.clone();
            std::thread::spawn(move || worker(cq, w, ids, ops))
        })
        .collect();
    let tallies: Vec<Tally> = handles
        .into_iter()
        .map(|h| h.join().expect("worker panicked"))
        .collect();
    let ok: usize = tallies.iter().map(|t| t.ok).sum();
    let stale: usize = tallies.iter().map(|t| t.stale).sum();
    let refused: usize = tallies.iter().map(|t| t.refused).sum();
    eprintln!(
        "concurrency: {WORKERS} processes x {ops} ops on {RECORDS} records: {ok} applied, {stale} stale, {refused} refused"
    );
    assert_eq!(ok + stale + refused, WORKERS * ops);
    let (after, rows) = counts(&cq);
    assert_eq!(
        after - before,
        ok as i64,
        "one event per successful operation, none for refusals"
    );
    for (id, version, events) in rows {
        assert_eq!(version, events, "record {id}: version = number of events");
    }
    assert!(ok > 0, "some operations succeed");
    let out = run(&cq, "w0", &["verify".to_string()]);
    assert!(
        out.status.success(),
        "verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
