//! Crash safety: the real binary is SIGKILLed at random moments while it
//! changes records, and the database must come out whole every time.
//!
//! A small database (a team, 30 records) takes rounds of commands — `move`,
//! `claim`, `release`, `note`, each with a unique `--op-id` — run one after
//! another; the last command of every round is killed with SIGKILL after a
//! random delay (seeded, so a failure replays). A command that exited 0 is
//! *acknowledged*. After every kill:
//! - `carequeue verify` passes;
//! - the hash chain, recomputed here from the rows, is intact and its head
//!   and count in `meta` match;
//! - no transition is half-applied: every record's version equals its
//!   number of events, and its stage and owner equal the replay of them;
//! - every acknowledged change is present, exactly once (by its op-id);
//! - the killed command, retried with the same `--op-id`, is applied
//!   exactly once (whether or not the killed run had committed).
//!
//! It also kills `import` mid-run: all rows or none (an `import` that does
//! not work here fails the test). At the end, acknowledged commands re-run
//! with their `--op-id` change nothing.
//!
//! The premise is checked, not assumed: each kill is classed by what the
//! test can see (did the process die of the SIGKILL or exit first; had it
//! opened the database, which leaves its WAL file behind when killed, since
//! a clean close removes it; had its change committed), and the test fails
//! unless enough kills landed mid-command (the database opened, the change
//! not committed), and at least one import was killed mid-run.

use crate::common::{BIN, Cq};
use carequeue::domain::{self, DEFAULT_PIPELINE, Pipeline};
use carequeue::store::{EventRow, Store, events::GENESIS, sqlite::meta_get};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-03-02T14:00:00Z";
const USER: &str = "ann";
const RECORDS: usize = 30;
const ROUNDS: usize = 40;
const SEED: u64 = 0x5eed_c4a5;

/// The happy path for a user holding every role: (stage, event, needs an assignee).
const FLOW: &[(&str, &str, bool)] = &[
    ("form_submitted", "start_review", false),
    ("intake_review", "complete_intake", true),
    ("intake_complete", "send_to_provider", false),
    ("pending_provider", "begin_review", false),
    ("in_review", "approve", true),
    ("approved", "send_rx", false),
    ("rx_sent", "pharmacy_confirm", false),
    ("pharmacy_received", "ship", false),
    ("shipped", "first_fill", false),
    ("first_fill_complete", "checkin_done", false),
    ("ongoing", "refill_window", false),
    ("refill_due", "refill", false),
];

fn pipeline() -> Pipeline {
    domain::check(DEFAULT_PIPELINE)
        .pipeline
        .expect("default pipeline")
}

#[derive(Debug, Clone)]
struct Rec {
    stage: String,
    assignee: Option<String>,
}

/// One command: its arguments after the global flags, and its op-id.
#[derive(Debug, Clone)]
struct Op {
    id: i64,
    op_id: String,
    args: Vec<String>,
}

fn command(cq: &Cq, args: &[String]) -> Command {
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
        .arg(USER)
        .arg("--now")
        .arg(NOW)
        .args(args)
        .stdin(Stdio::null());
    cmd
}

/// Picks a command that the model says will succeed on a random record.
fn next_op(rng: &mut ChaCha8Rng, recs: &BTreeMap<i64, Rec>, n: usize) -> Op {
    let ids: Vec<i64> = recs.keys().copied().collect();
    let id = ids[rng.random_range(0..ids.len())];
    let r = &recs[&id];
    let op_id = format!("crash-op-{n}");
    let sid = id.to_string();
    let mine = r.assignee.as_deref() == Some(USER);
    let args: Vec<String> = match rng.random_range(0..10) {
        0..=1 => vec!["note".into(), sid, format!("note {n}")],
        2 if mine => vec!["release".into(), sid],
        2 | 3 if !mine => vec!["claim".into(), sid],
        _ => {
            let (_, event, needs) = FLOW
                .iter()
                .find(|(s, _, _)| *s == r.stage)
                .expect("records stay on the flow");
            if *needs && r.assignee.is_none() {
                vec!["claim".into(), sid]
            } else {
                vec!["move".into(), sid, event.to_string()]
            }
        }
    };
    let mut args = args;
    args.push("--op-id".into());
    args.push(op_id.clone());
    Op { id, op_id, args }
}

/// What the model expects after `op` succeeded.
fn apply(p: &Pipeline, recs: &mut BTreeMap<i64, Rec>, op: &Op) {
    let r = recs.get_mut(&op.id).expect("record");
    match op.args[0].as_str() {
        "note" => {}
        "claim" => r.assignee = Some(USER.into()),
        "release" => r.assignee = None,
        "move" => {
            let t = p.transition(p.transition_ix(&op.args[2]).expect("event"));
            let from = p.stage_ix(&r.stage).expect("stage");
            if p.stage(from).owner != p.stage(t.to).owner {
                r.assignee = None;
            }
            r.stage = p.stage(t.to).id.clone();
        }
        other => unreachable!("{other}"),
    }
}

fn verify(cq: &Cq, when: &str) {
    let out = command(cq, &["verify".into()])
        .output()
        .expect("run verify");
    assert!(
        out.status.success(),
        "verify failed {when}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The database's own invariants, checked from its rows: the hash chain,
/// versions against events, and every record equal to the replay of its
/// events (stage and owner).
fn check_integrity(p: &Pipeline, cq: &Cq, when: &str) -> Vec<(i64, String, Option<String>)> {
    let store = Store::open(&cq.db).expect("open");
    let conn = store.conn();
    let mut st = conn
        .prepare(&format!(
            "SELECT {} FROM events ORDER BY id",
            carequeue::store::sqlite::events::COLUMNS
        ))
        .unwrap();
    let evs: Vec<EventRow> = st
        .query_map([], carequeue::store::sqlite::events::row)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = GENESIS.to_string();
    for (i, e) in evs.iter().enumerate() {
        assert_eq!(e.id, i as i64 + 1, "{when}: event ids are contiguous");
        assert_eq!(
            e.hash,
            e.expected_hash(&prev),
            "{when}: event {} hash",
            e.id
        );
        prev = e.hash.clone();
    }
    assert_eq!(
        meta_get(conn, "chain_head")
            .unwrap()
            .unwrap_or(GENESIS.into()),
        prev,
        "{when}: chain head"
    );
    assert_eq!(
        meta_get(conn, "chain_count")
            .unwrap()
            .map(|c| c.parse::<usize>().unwrap())
            .unwrap_or(0),
        evs.len(),
        "{when}: chain count"
    );
    // Replay every record from its events.
    let mut replay: BTreeMap<i64, (String, Option<String>, i64)> = BTreeMap::new();
    for e in &evs {
        // Events about the team, the pipeline or the database have no record.
        let Some(record_id) = e.record_id else {
            continue;
        };
        match e.kind.as_str() {
            "create" => {
                assert!(!replay.contains_key(&record_id), "{when}: two creates");
                replay.insert(record_id, (e.to.clone().unwrap(), None, 1));
            }
            kind => {
                let r = replay
                    .get_mut(&record_id)
                    .unwrap_or_else(|| panic!("{when}: event {} before its create", e.id));
                r.2 += 1;
                match kind {
                    "transition" | "timer" | "override" => {
                        assert_eq!(
                            e.from.as_deref(),
                            Some(r.0.as_str()),
                            "{when}: event {}",
                            e.id
                        );
                        let to = e.to.clone().unwrap();
                        let a = p.stage_ix(&r.0).unwrap();
                        let b = p.stage_ix(&to).unwrap();
                        if p.stage(a).owner != p.stage(b).owner {
                            r.1 = None;
                        }
                        r.0 = to;
                    }
                    "claim" | "assign" => r.1 = e.to.clone(),
                    "release" => r.1 = None,
                    _ => {}
                }
            }
        }
    }
    let mut st = conn
        .prepare("SELECT id, stage, assignee, version FROM records ORDER BY id")
        .unwrap();
    let rows: Vec<(i64, String, Option<String>, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), replay.len(), "{when}: one create per record");
    for (id, stage, assignee, version) in &rows {
        let (s, a, n) = &replay[id];
        assert_eq!(
            version, n,
            "{when}: record {id}: version = number of its events"
        );
        assert_eq!(
            stage, s,
            "{when}: record {id}: stage = replay of its events"
        );
        assert_eq!(
            assignee, a,
            "{when}: record {id}: owner = replay of its events"
        );
    }
    rows.into_iter().map(|(id, s, a, _)| (id, s, a)).collect()
}

fn events_with_op(cq: &Cq, op_id: &str) -> Vec<i64> {
    let store = Store::open(&cq.db).expect("open");
    let mut st = store
        .conn()
        .prepare("SELECT record_id FROM events WHERE op_id = ?1")
        .unwrap();
    st.query_map([op_id], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn event_count(cq: &Cq) -> i64 {
    let store = Store::open(&cq.db).expect("open");
    store
        .conn()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap()
}

fn record_count(cq: &Cq) -> i64 {
    let store = Store::open(&cq.db).expect("open");
    store
        .conn()
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .unwrap()
}

/// The database's WAL file: SQLite makes it when a connection opens the
/// database, and removes it when the last one closes cleanly.
fn wal(cq: &Cq) -> PathBuf {
    let mut name = cq.db.clone().into_os_string();
    name.push("-wal");
    PathBuf::from(name)
}

/// How a killed command ended, as far as the test can see.
struct Killed {
    status: ExitStatus,
    /// The SIGKILL ended it: it had not exited before the kill.
    by_signal: bool,
    /// Its WAL file was left behind: it had opened the database.
    opened: bool,
}

/// Starts `args`, SIGKILLs it after `delay`, and returns how it ended.
fn run_and_kill(cq: &Cq, args: &[String], delay: Duration) -> Killed {
    assert!(
        !wal(cq).exists(),
        "no WAL file before the command: what is left after the kill is its own"
    );
    let mut child = command(cq, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // The random moment itself (what this test is about), not a wait for
    // something to happen.
    std::thread::sleep(delay);
    // SIGKILL; harmless if it already exited (not reaped yet, so the pid is still ours).
    let _ = child.kill();
    let status = child.wait().expect("wait");
    Killed {
        status,
        by_signal: status.signal() == Some(libc::SIGKILL),
        // Read before anything else opens the database.
        opened: wal(cq).exists(),
    }
}

fn csv(rows: usize, tag: usize) -> String {
    let mut s = String::from("patient,state,program,phone\n");
    for i in 0..rows {
        s.push_str(&format!(
            "Imported {tag}-{i},NY,weight,555-{:04}\n",
            i % 10_000
        ));
    }
    s
}

/// The test's user: every role, so every command on the flow (and
/// `import`, an admin's) is theirs to run.
const USER_ADD: &[&str] = &[
    "user",
    "add",
    USER,
    "--role",
    "ops",
    "--role",
    "provider",
    "--role",
    "pharmacy",
    "--role",
    "supervisor",
];

/// `import` works here, for this test's user, with the CSV shape this test
/// writes: else the killed-import half could not test anything, and the
/// test fails. Returns the probe's database, where each killed import is
/// first timed whole.
fn assert_import_works() -> Cq {
    let probe = Cq::init_default(NOW);
    probe.ok("nobody", NOW, USER_ADD);
    let file = probe.dir.path().join("probe.csv");
    std::fs::write(&file, csv(3, 0)).unwrap();
    probe.ok(USER, NOW, &["import", file.to_str().unwrap()]);
    probe
}

/// Kills that landed mid-command (the database opened, the change not
/// committed) the test needs before its outcomes mean anything; and
/// imports killed mid-run.
const MID_COMMAND_AT_LEAST: usize = 5;
const MID_IMPORT_AT_LEAST: usize = 1;

#[test]
fn sigkill_at_random_moments_never_half_applies_or_loses_acknowledged_changes() {
    let p = pipeline();
    let cq = Cq::init_default(NOW);
    cq.ok("nobody", NOW, USER_ADD);
    let mut recs: BTreeMap<i64, Rec> = BTreeMap::new();
    for i in 0..RECORDS {
        let id = cq.add(USER, NOW, &format!("Patient {i}"), &["state=NY"]);
        recs.insert(
            id,
            Rec {
                stage: "form_submitted".into(),
                assignee: None,
            },
        );
    }
    let probe = assert_import_works();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut acked: Vec<Op> = Vec::new();
    let mut n = 0;
    let (mut killed_mid, mut finished_first, mut landed_before_kill) = (0, 0, 0);
    // Of the kills before the command exited: before it opened the
    // database, between that and its commit (after its commit:
    // landed_before_kill).
    let (mut before_open, mut mid_command) = (0, 0);
    let (mut imports, mut imports_mid) = (0, 0);
    let mut took: Vec<Duration> = Vec::new();
    let mut rounds = 0;
    for round in 0.. {
        // ROUNDS rounds; and more, up to twice as many, while fewer kills
        // than the test needs have landed mid-command (the delays are
        // random: some kills land before a command opens the database or
        // after it exits, and those rounds are checked too).
        let enough = mid_command >= MID_COMMAND_AT_LEAST && imports_mid >= MID_IMPORT_AT_LEAST;
        if round >= ROUNDS && (enough || round >= 2 * ROUNDS) {
            break;
        }
        rounds += 1;
        // A few acknowledged commands...
        for _ in 0..rng.random_range(3..10) {
            n += 1;
            let op = next_op(&mut rng, &recs, n);
            let started = Instant::now();
            let out = command(&cq, &op.args).output().expect("run");
            took.push(started.elapsed());
            assert!(
                out.status.success(),
                "round {round}: {:?} should succeed: {}",
                op.args,
                String::from_utf8_lossy(&out.stderr)
            );
            apply(&p, &mut recs, &op);
            acked.push(op);
        }
        // Kill somewhere in a command's usual lifetime (calibrated on the
        // commands just run, so start-up, the transaction and the exit are
        // all hit on slow and fast machines alike).
        took.sort();
        let typical = took[took.len() / 2].as_micros() as u64;
        let delay = Duration::from_micros(rng.random_range(typical / 2..typical * 13 / 10 + 1));
        let when = format!("after the kill in round {round} ({delay:?})");
        if round % 10 == 5 {
            // ... or a killed import: all rows or none.
            imports += 1;
            let rows = 400;
            let file = cq.dir.path().join(format!("import-{round}.csv"));
            std::fs::write(&file, csv(rows, round)).unwrap();
            let before = record_count(&cq);
            let args = vec!["import".to_string(), file.to_str().unwrap().to_string()];
            // Killed within the time the same import takes whole, timed
            // just now on the probe's database.
            let started = Instant::now();
            probe.ok(USER, NOW, &["import", file.to_str().unwrap()]);
            let whole = started.elapsed().as_micros() as u64;
            let delay = Duration::from_micros(rng.random_range(whole / 5..whole * 9 / 10 + 1));
            let when = format!("after the import killed in round {round} ({delay:?} of {whole}µs)");
            let k = run_and_kill(&cq, &args, delay);
            let added = record_count(&cq) - before;
            verify(&cq, &when);
            check_integrity(&p, &cq, &when);
            assert!(
                k.status.success() || k.by_signal,
                "{when}: the import failed on its own: {:?}",
                k.status
            );
            if k.status.success() {
                assert_eq!(
                    added, rows as i64,
                    "{when}: an acknowledged import is whole"
                );
            } else {
                assert!(
                    added == 0 || added == rows as i64,
                    "{when}: a killed import added {added} of {rows} rows"
                );
                if k.opened && added == 0 {
                    imports_mid += 1;
                }
            }
            // Imported records join the flow at the entry stage.
            let rows_now = check_integrity(&p, &cq, &when);
            for (id, stage, assignee) in rows_now {
                recs.entry(id).or_insert(Rec { stage, assignee });
            }
            continue;
        }
        // ... then one command killed at a random moment.
        n += 1;
        let op = next_op(&mut rng, &recs, n);
        let k = run_and_kill(&cq, &op.args, delay);
        verify(&cq, &when);
        check_integrity(&p, &cq, &when);
        let landed = events_with_op(&cq, &op.op_id);
        assert!(landed.len() <= 1, "{when}: op applied twice");
        assert!(
            k.status.success() || k.by_signal,
            "{when}: {:?} failed on its own: {:?}",
            op.args,
            k.status
        );
        if k.status.success() {
            finished_first += 1;
            assert_eq!(
                landed,
                vec![op.id],
                "{when}: acknowledged op {:?} is present",
                op.args
            );
        } else {
            killed_mid += 1;
            landed_before_kill += landed.len();
            // Committed (and maybe closed already): counted above.
            if landed.is_empty() {
                if k.opened {
                    mid_command += 1;
                } else {
                    before_open += 1;
                }
            }
        }
        // Every acknowledged change so far is present, exactly once.
        for a in &acked {
            assert_eq!(
                events_with_op(&cq, &a.op_id),
                vec![a.id],
                "{when}: acknowledged {:?} is present once",
                a.args
            );
        }
        // The killed command, retried with its op-id, lands exactly once.
        let out = command(&cq, &op.args).output().expect("retry");
        assert!(
            out.status.success(),
            "{when}: retry of {:?}: {}",
            op.args,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            events_with_op(&cq, &op.op_id),
            vec![op.id],
            "{when}: retried op"
        );
        apply(&p, &mut recs, &op);
        acked.push(op);
        // The model and the database agree on every record.
        for (id, stage, assignee) in check_integrity(&p, &cq, &when) {
            let r = &recs[&id];
            assert_eq!(
                (&r.stage, &r.assignee),
                (&stage, &assignee),
                "{when}: record {id}"
            );
        }
    }
    eprintln!(
        "crash: {rounds} rounds, {} acknowledged commands, {killed_mid} killed before exiting \
         ({before_open} before opening the database, {mid_command} with it open and nothing \
         committed, {landed_before_kill} after committing), {finished_first} finished before \
         the kill, {imports} killed imports ({imports_mid} mid-run)",
        acked.len()
    );
    // The premise: the kills landed while commands were at work.
    assert!(
        mid_command >= MID_COMMAND_AT_LEAST,
        "only {mid_command} of {killed_mid} kills landed mid-command (the database open, \
         the change not committed); the test needs {MID_COMMAND_AT_LEAST}"
    );
    assert!(
        imports_mid >= MID_IMPORT_AT_LEAST,
        "{imports_mid} of the {imports} killed imports were killed mid-run (the database \
         open, nothing committed); the test needs {MID_IMPORT_AT_LEAST}"
    );

    // Re-running acknowledged commands with their op-ids changes nothing.
    let events = event_count(&cq);
    let before = check_integrity(&p, &cq, "before re-runs");
    for i in 0..15 {
        let a = &acked[rng.random_range(0..acked.len())];
        let out = command(&cq, &a.args).output().expect("re-run");
        assert!(
            out.status.success(),
            "re-run {i} of {:?}: {}",
            a.args,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        event_count(&cq),
        events,
        "re-runs with the same op-id add no event"
    );
    assert_eq!(check_integrity(&p, &cq, "after re-runs"), before);
    verify(&cq, "at the end");
}

#[test]
fn same_op_id_is_applied_once() {
    let cq = Cq::init_default(NOW);
    cq.ok("nobody", NOW, &["user", "add", USER, "--role", "ops"]);
    let id = cq.add(USER, NOW, "P", &[]).to_string();
    for args in [
        vec!["move", &id, "start_review", "--op-id", "m1"],
        vec!["claim", &id, "--op-id", "c1"],
        vec!["note", &id, "hello", "--op-id", "n1"],
        vec!["release", &id, "--op-id", "r1"],
    ] {
        cq.ok(USER, NOW, &args);
        let v1 = cq.show(USER, NOW, id.parse().unwrap());
        // The same op again — even with a now-stale --expect-version — is a no-op success.
        cq.ok(USER, NOW, &args);
        let mut stale = args.clone();
        stale.extend(["--expect-version", "1"]);
        cq.ok(USER, NOW, &stale);
        let v2 = cq.show(USER, NOW, id.parse().unwrap());
        assert_eq!(v1, v2, "{args:?} applied twice");
    }
    // The same op-id on another record is a different operation: refused, not skipped.
    let other = cq.add(USER, NOW, "Q", &[]).to_string();
    let err = cq.fail(USER, NOW, &["note", &other, "hello", "--op-id", "n1"]);
    assert!(
        err.contains("n1") && err.contains(&format!("record {id}")),
        "{err}"
    );
    assert_eq!(cq.show(USER, NOW, other.parse().unwrap())["version"], 1);
    let rec = cq.show(USER, NOW, id.parse().unwrap());
    assert_eq!(rec["version"], 5);
    assert_eq!(rec["history"].as_array().unwrap().len(), 5);
    // A retried `add` returns the record the first one made, and makes no other.
    let records = cq.list(USER, NOW, &[]).len();
    let first = cq.ok(
        USER,
        NOW,
        &["add", "--patient", "Retried Patient", "--op-id", "a1"],
    );
    let again = cq.ok(
        USER,
        NOW,
        &["add", "--patient", "Retried Patient", "--op-id", "a1"],
    );
    assert_eq!(first, again, "a retried add names the first record");
    assert_eq!(
        cq.list(USER, NOW, &[]).len(),
        records + 1,
        "one record made"
    );
    let third = cq.ok(
        USER,
        NOW,
        &["add", "--patient", "Retried Patient", "--op-id", "a2"],
    );
    assert_ne!(first, third, "another op-id is another record");
    verify(&cq, "after retries");
}
