//! Shared helpers for tests that run the real `carequeue` binary.
//!
//! Every [`Cq`] owns a fresh temporary directory with its own database; every
//! command is run with explicit `--db`, `--pipeline`, `--as` and `--now`, and
//! with the `CAREQUEUE_*` environment cleared, so a test sees nothing of the
//! machine it runs on. [`Clock`] is a fixed "now" that tests advance
//! explicitly, and [`Journal`] remembers what each action should have logged
//! so a test can check a record's history event by event.
#![allow(dead_code)]

pub mod accounts;
pub mod forged;
pub mod peak;
pub mod pg;
pub mod pg_team;
pub mod screen;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_carequeue");

/// The admin of every database [`Cq::init`] makes.
pub const ADMIN: &str = "nobody";

/// The repository's default pipeline.
pub fn default_pipeline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pipeline.toml")
}

/// A pipeline under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The binary, with the `CAREQUEUE_*` environment of the test run cleared.
pub fn command() -> Command {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("CAREQUEUE_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// One isolated carequeue installation: a temp dir, a database, a pipeline.
pub struct Cq {
    pub dir: TempDir,
    pub db: PathBuf,
    pub pipeline: PathBuf,
}

fn describe(args: &[&str], as_user: &str, now: &str, out: &Output) -> String {
    format!(
        "carequeue --as {as_user} --now {now} {}\n  exit: {:?}\n  stdout: {}\n  stderr: {}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim_end(),
        String::from_utf8_lossy(&out.stderr).trim_end()
    )
}

impl Cq {
    /// A fresh installation on `pipeline`; the database is not created yet.
    pub fn new(pipeline: impl Into<PathBuf>) -> Cq {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("care.db");
        Cq {
            dir,
            db,
            pipeline: pipeline.into(),
        }
    }

    /// A fresh installation on the default pipeline with `init --trust`
    /// already run: a trust-mode database whose admin is `nobody`.
    pub fn init_default(now: &str) -> Cq {
        Cq::init(default_pipeline(), now)
    }

    /// A fresh installation on `pipeline` with `init --trust` already run
    /// (tests name their actors with `--as` and date writes with `--now`);
    /// `nobody` holds every admin role and nothing else.
    pub fn init(pipeline: impl Into<PathBuf>, now: &str) -> Cq {
        let cq = Cq::new(pipeline);
        cq.ok("nobody", now, &["init", "--trust"]);
        cq
    }

    /// [`Cq::init_default`] with a supervisor `sup` and `n` records
    /// imported, each name padded to about `name_bytes` (for output far
    /// larger than a pipe or a buffer holds).
    pub fn with_records(now: &str, n: usize, name_bytes: usize) -> Cq {
        let cq = Cq::init_default(now);
        cq.ok(
            "nobody",
            now,
            &["user", "add", "sup", "--role", "supervisor"],
        );
        let pad = "n".repeat(name_bytes);
        let mut csv = String::with_capacity(n * (name_bytes + 32));
        csv.push_str("patient,phone\n");
        for i in 0..n {
            csv.push_str(&format!("Patient {i} {pad},555-{i:04}\n"));
        }
        let file = cq.dir.path().join("many.csv");
        std::fs::write(&file, csv).expect("write csv");
        cq.ok(ADMIN, now, &["import", file.to_str().expect("path")]);
        cq
    }

    /// Runs the binary as `as_user` at `now` with `args`; any exit status.
    /// Team changes are admin work: the harness runs them as
    /// the database's admin `nobody` (use [`Cq::run_exact`] to test who
    /// may do them).
    pub fn run(&self, as_user: &str, now: &str, args: &[&str]) -> Output {
        let admin_work = matches!(args, ["user", "add", ..]);
        self.run_exact(if admin_work { ADMIN } else { as_user }, now, args)
    }

    /// Runs the binary exactly as `as_user`.
    pub fn run_exact(&self, as_user: &str, now: &str, args: &[&str]) -> Output {
        let mut cmd = command();
        cmd.current_dir(self.dir.path())
            .arg("--db")
            .arg(&self.db)
            .arg("--pipeline")
            .arg(&self.pipeline)
            .arg("--as")
            .arg(as_user)
            .arg("--now")
            .arg(now)
            .args(args)
            .output()
            .expect("run carequeue")
    }

    /// Runs and asserts exit 0; returns stdout.
    #[track_caller]
    pub fn ok(&self, as_user: &str, now: &str, args: &[&str]) -> String {
        let out = self.run(as_user, now, args);
        assert!(
            out.status.success(),
            "expected success:\n{}",
            describe(args, as_user, now, &out)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs and asserts a refusal: exit 1, exactly one line on stderr,
    /// starting `error: `, and nothing on stdout. Returns stderr.
    #[track_caller]
    /// A refusal that first lists problems (import: one `FILE:ROW:COLUMN:`
    /// line each) and ends with its one `error:` line; nothing on stdout.
    pub fn fail_with_report(&self, as_user: &str, now: &str, args: &[&str]) -> String {
        let out = self.run(as_user, now, args);
        let err = String::from_utf8(out.stderr.clone()).expect("utf-8 stderr");
        let ctx = describe(args, as_user, now, &out);
        assert_eq!(out.status.code(), Some(1), "expected exit 1:\n{ctx}");
        assert!(
            out.stdout.is_empty(),
            "a refusal prints nothing on stdout:\n{ctx}"
        );
        let lines: Vec<&str> = err.trim_end().lines().collect();
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("error: ")).count(),
            1,
            "one error line:\n{ctx}"
        );
        assert!(
            lines.last().is_some_and(|l| l.starts_with("error: ")),
            "the error line comes last:\n{ctx}"
        );
        for l in &lines[..lines.len() - 1] {
            let parts: Vec<&str> = l.splitn(4, ':').collect();
            assert!(
                parts.len() == 4 && parts[1].parse::<usize>().is_ok(),
                "a problem line is FILE:ROW:COLUMN: message, got `{l}`:\n{ctx}"
            );
        }
        err
    }

    pub fn fail(&self, as_user: &str, now: &str, args: &[&str]) -> String {
        let out = self.run(as_user, now, args);
        let err = String::from_utf8(out.stderr.clone()).expect("utf-8 stderr");
        assert_eq!(
            out.status.code(),
            Some(1),
            "expected exit 1:\n{}",
            describe(args, as_user, now, &out)
        );
        assert!(
            err.starts_with("error: "),
            "stderr must start with `error: `:\n{}",
            describe(args, as_user, now, &out)
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "a refusal is one line:\n{}",
            describe(args, as_user, now, &out)
        );
        assert!(
            out.stdout.is_empty(),
            "a refusal prints nothing on stdout:\n{}",
            describe(args, as_user, now, &out)
        );
        err
    }

    /// Runs and asserts a usage error: exit 2. Returns stderr.
    #[track_caller]
    pub fn usage(&self, as_user: &str, now: &str, args: &[&str]) -> String {
        let out = self.run(as_user, now, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "expected usage error (exit 2):\n{}",
            describe(args, as_user, now, &out)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Runs (asserting success) and parses stdout as JSON.
    #[track_caller]
    pub fn json(&self, as_user: &str, now: &str, args: &[&str]) -> Value {
        let out = self.ok(as_user, now, args);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("`{}` did not print JSON ({e}):\n{out}", args.join(" ")))
    }

    /// `show ID --json`.
    #[track_caller]
    pub fn show(&self, as_user: &str, now: &str, id: i64) -> Value {
        self.json(as_user, now, &["show", &id.to_string(), "--json"])
    }

    /// `list --json` with extra filter args; returns the rows.
    #[track_caller]
    pub fn list(&self, as_user: &str, now: &str, filters: &[&str]) -> Vec<Value> {
        let mut args = vec!["list", "--json"];
        args.extend_from_slice(filters);
        match self.json(as_user, now, &args) {
            Value::Array(rows) => rows,
            v => panic!("list --json is not an array: {v}"),
        }
    }

    /// `add --patient NAME [--field K=V]...`; returns the new id.
    #[track_caller]
    pub fn add(&self, as_user: &str, now: &str, patient: &str, fields: &[&str]) -> i64 {
        let mut args = vec!["add", "--patient", patient];
        for f in fields {
            args.push("--field");
            args.push(f);
        }
        let out = self.ok(as_user, now, &args);
        out.trim()
            .parse()
            .unwrap_or_else(|_| panic!("add must print the id alone, got {out:?}"))
    }
}

/// A fixed clock that tests advance explicitly.
#[derive(Debug, Clone, Copy)]
pub struct Clock(pub DateTime<Utc>);

impl Clock {
    pub fn at(rfc3339: &str) -> Clock {
        Clock(
            DateTime::parse_from_rfc3339(rfc3339)
                .expect("RFC 3339")
                .with_timezone(&Utc),
        )
    }

    /// The current instant as carequeue prints it (seconds, `Z`).
    pub fn now(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// Moves on by `secs` seconds and returns the new instant.
    pub fn advance(&mut self, secs: i64) -> String {
        self.0 += Duration::seconds(secs);
        self.now()
    }

    /// Moves on by one minute.
    pub fn tick(&mut self) -> String {
        self.advance(60)
    }

    /// The instant `secs` from now, without moving the clock.
    pub fn plus(&self, secs: i64) -> String {
        let mut c = *self;
        c.advance(secs)
    }
}

/// One action we expect in a record's history.
#[derive(Debug, Clone)]
pub struct Expected {
    pub at: String,
    pub actor: String,
    /// For transitions: the event fired and the stage it led to.
    pub event: Option<(String, String)>,
}

/// A test walk: a clock that ticks before every action, and the history
/// every record should have as a result.
pub struct Walk {
    pub cq: Cq,
    pub clock: Clock,
    pub expected: BTreeMap<i64, Vec<Expected>>,
}

impl Walk {
    pub fn new(cq: Cq, start: &str) -> Walk {
        Walk {
            cq,
            clock: Clock::at(start),
            expected: BTreeMap::new(),
        }
    }

    fn log(&mut self, id: i64, at: String, actor: &str, event: Option<(String, String)>) {
        self.expected.entry(id).or_default().push(Expected {
            at,
            actor: actor.to_string(),
            event,
        });
    }

    /// Adds a record one minute later.
    #[track_caller]
    pub fn add(&mut self, actor: &str, patient: &str, fields: &[&str]) -> i64 {
        let now = self.clock.tick();
        let id = self.cq.add(actor, &now, patient, fields);
        self.log(id, now, actor, None);
        id
    }

    /// Fires `event` one minute later; asserts it landed in stage `to`.
    #[track_caller]
    pub fn mv(&mut self, actor: &str, id: i64, event: &str, extra: &[&str], to: &str) {
        let now = self.clock.tick();
        let sid = id.to_string();
        let mut args = vec!["move", sid.as_str(), event];
        args.extend_from_slice(extra);
        self.cq.ok(actor, &now, &args);
        let rec = self.cq.show(actor, &now, id);
        assert_eq!(
            rec["stage"], to,
            "record {id} after `{event}` should be in `{to}`: {rec:#}"
        );
        self.log(id, now, actor, Some((event.to_string(), to.to_string())));
    }

    /// Any other action (`claim`, `assign`, `substatus`, `note`, ...) on
    /// record `id`, one minute later: `args` follow the subcommand and id.
    #[track_caller]
    pub fn act(&mut self, actor: &str, cmd: &str, id: i64, args: &[&str]) -> String {
        let now = self.clock.tick();
        let sid = id.to_string();
        let mut all = vec![cmd, sid.as_str()];
        all.extend_from_slice(args);
        let out = self.cq.ok(actor, &now, &all);
        self.log(id, now, actor, None);
        out
    }

    /// A refused move one minute later: asserts nothing changed and
    /// returns stderr.
    #[track_caller]
    pub fn refused(&mut self, actor: &str, args: &[&str], id: i64) -> String {
        let now = self.clock.tick();
        let before = self.cq.show("nobody", &now, id);
        let err = self.cq.fail(actor, &now, args);
        let after = self.cq.show("nobody", &now, id);
        assert_eq!(
            before,
            after,
            "a refused `{}` must change nothing",
            args.join(" ")
        );
        err
    }

    /// Checks record `id`'s history against the actions performed: one
    /// entry per action, in order, each with its actor and `--now`.
    #[track_caller]
    pub fn verify_history(&self, id: i64) -> Value {
        let rec = self.cq.show("nobody", &self.clock.now(), id);
        let hist = rec["history"].as_array().expect("history array");
        let want = &self.expected[&id];
        let got: Vec<String> = hist
            .iter()
            .map(|h| format!("{} {} {} {}", h["at"], h["actor"], h["kind"], h["event"]))
            .collect();
        assert_eq!(
            hist.len(),
            want.len(),
            "record {id}: one history entry per action; got {got:#?}\nwant {want:#?}"
        );
        for (i, (h, w)) in hist.iter().zip(want).enumerate() {
            let actor = h["actor"].as_str().unwrap_or("");
            assert!(!actor.is_empty(), "record {id} entry {i}: empty actor");
            assert_eq!(actor, w.actor, "record {id} entry {i} actor: {h}");
            assert_eq!(h["at"], w.at.as_str(), "record {id} entry {i} at: {h}");
            if let Some((event, to)) = &w.event {
                assert_eq!(h["event"], event.as_str(), "record {id} entry {i}: {h}");
                assert_eq!(h["to"], to.as_str(), "record {id} entry {i}: {h}");
            }
        }
        assert_eq!(
            hist[0]["kind"], "create",
            "record {id}: first entry is create"
        );
        rec
    }
}

/// The `event` names of a `show --json`'s `allowed_events`.
pub fn allowed(rec: &Value) -> Vec<String> {
    rec["allowed_events"]
        .as_array()
        .expect("allowed_events array")
        .iter()
        .map(|a| a["event"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The ids of `list --json` rows, in order.
pub fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["id"].as_i64().expect("id")).collect()
}
