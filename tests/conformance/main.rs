//! One behaviour suite, two stores: each case runs the real binary on a
//! SQLite file and on a PostgreSQL database (on the binary's shared
//! cluster, started on first use: one database per case, reached over TCP
//! with TLS and scram-sha-256). The PostgreSQL database is made the
//! way a team gets one: `init` on SQLite, the team added, `migrate`.
//! Trust mode: a `driver` login that may `SET ROLE` to each user's login,
//! so every write on the server is made as that user's own login.
//!
//! Each case is two tests, `sqlite_CASE` and `postgres_CASE` (the `cases!`
//! macro below). The engine's model test (`engine_model`) runs on both
//! stores too, and lives here.

#[path = "../common/mod.rs"]
mod common;
mod engine_model;

use common::pg::{Cluster, Passwords, available, shared};
use common::{Cq, command};
use serde_json::Value;
use std::process::Output;
use std::sync::OnceLock;

const NOW: &str = "2026-11-02T09:00:00Z";
const USERS: [(&str, &str); 4] = [
    ("kim", "supervisor"),
    ("maria", "ops"),
    ("dev", "ops"),
    ("okafor", "provider"),
];

/// A login on the server (and an OS account name on SQLite) that no user
/// is linked to until a case adds one.
const NEWCOMER: &str = "lee";

struct Server {
    cluster: &'static Cluster,
    passwords: Passwords,
}

/// The shared cluster with the suite's logins, made once per binary.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let cluster = shared();
        let mut logins = vec!["owner", "driver", NEWCOMER];
        logins.extend(USERS.iter().map(|(u, _)| *u));
        let passwords = cluster.logins(&logins);
        let mut users: Vec<&str> = USERS.iter().map(|(u, _)| *u).collect();
        users.push(NEWCOMER);
        cluster.alter_roles(&format!("GRANT {} TO driver", users.join(", ")));
        Server { cluster, passwords }
    })
}

/// One case's database, of either kind.
struct Target {
    cq: Cq,
    /// PostgreSQL: the server, and this case's database.
    pg: Option<(&'static Server, String)>,
}

impl Target {
    /// A SQLite target, or (`pg`: the case's name) a PostgreSQL one in a
    /// database of its own named after the case.
    fn new(pg: Option<&str>) -> Target {
        let cq = Cq::init_default(NOW);
        for (u, role) in USERS {
            cq.ok("nobody", NOW, &["user", "add", u, "--role", role]);
        }
        let Some(case) = pg else {
            return Target { cq, pg: None };
        };
        let s = server();
        let name = s.cluster.database_owned(case, "owner");
        let t = Target {
            cq,
            pg: Some((s, name)),
        };
        let url = t.url("owner");
        let from = t.cq.db.display().to_string();
        ok(&t.bare(&[
            "--as", "nobody", "--now", NOW, "migrate", "--from", &from, "--to", &url,
        ]));
        t
    }

    fn url(&self, login: &str) -> String {
        let (s, db) = self.pg.as_ref().expect("a PostgreSQL target");
        format!("postgres://{login}@localhost:{}/{db}", s.cluster.port)
    }

    fn kind(&self) -> &'static str {
        if self.pg.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// The binary with only these arguments (and the connection settings).
    fn bare(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run carequeue")
    }

    /// The binary with only these arguments (and the connection
    /// settings), not yet started.
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = command();
        for k in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
            cmd.env_remove(k);
        }
        if let Some((s, _)) = &self.pg {
            cmd.env("PGPASSFILE", &s.passwords.file)
                .env("PGSSLROOTCERT", s.cluster.ca())
                .env("PGSSLMODE", "verify-full");
        }
        cmd.current_dir(self.cq.dir.path()).args(args);
        cmd
    }

    /// `args` as `user` on this case's database.
    fn run(&self, user: &str, args: &[&str]) -> Output {
        self.run_at(user, NOW, args)
    }

    /// `args` as `user` at `now`.
    fn run_at(&self, user: &str, now: &str, args: &[&str]) -> Output {
        self.command_at(user, now, args)
            .output()
            .expect("run carequeue")
    }

    /// The command for `args` as `user` at `now`, not yet started.
    fn command_at(&self, user: &str, now: &str, args: &[&str]) -> std::process::Command {
        let db = match &self.pg {
            Some(_) => self.url("driver"),
            None => self.cq.db.display().to_string(),
        };
        let pipeline = self.cq.pipeline.display().to_string();
        let mut all = vec![
            "--db",
            &db,
            "--pipeline",
            &pipeline,
            "--as",
            user,
            "--now",
            now,
        ];
        all.extend_from_slice(args);
        self.command(&all)
    }

    #[track_caller]
    fn ok(&self, user: &str, args: &[&str]) -> String {
        ok(&self.run(user, args))
    }

    #[track_caller]
    fn refused(&self, user: &str, args: &[&str]) -> String {
        refused(&self.run(user, args))
    }

    fn json(&self, user: &str, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(user, args)).expect("json")
    }

    fn add(&self, user: &str, patient: &str) -> i64 {
        self.ok(user, &["add", "--patient", patient])
            .trim()
            .parse()
            .expect("id")
    }

    /// `verify`, as an admin login on PostgreSQL (it reads the access log).
    fn verify(&self) -> String {
        match &self.pg {
            Some(_) => ok(&self.bare(&["--db", &self.url("owner"), "verify"])),
            None => self.ok("nobody", &["verify"]),
        }
    }
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "expected success:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn refused(out: &Output) -> String {
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "expected exit 1:\n{o}\n{e}");
    assert!(o.is_empty(), "nothing on stdout on a refusal: {o}");
    assert!(
        e.starts_with("error: ") && e.trim_end().lines().count() == 1,
        "one error line: {e}"
    );
    e.into_owned()
}

/// The number before `word` in a verify line.
fn count_before(line: &str, word: &str) -> i64 {
    let words: Vec<&str> = line
        .split([' ', ',', ';'])
        .filter(|w| !w.is_empty())
        .collect();
    let at = words
        .iter()
        .position(|w| *w == word)
        .unwrap_or_else(|| panic!("no `{word}` in {line}"));
    words[at - 1]
        .parse()
        .unwrap_or_else(|_| panic!("no count before `{word}` in {line}"))
}

mod admin;
mod deliver;
mod drill;
mod feed;
mod ingest;
mod records;

use admin::*;
use deliver::*;
use drill::*;
use feed::*;
use ingest::*;
use records::*;

/// Two tests per case, `sqlite_CASE` and `postgres_CASE`, so a failing
/// case on either store hides none of the others. (`macro_rules!` cannot
/// make a name from parts, so each line spells both; every test checks
/// that its name is its case's.)
macro_rules! cases {
    ($($case:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[test]
        fn $sqlite() {
            assert_eq!(stringify!($sqlite), concat!("sqlite_", stringify!($case)));
            $case(&Target::new(None));
        }

        #[test]
        fn $postgres() {
            assert_eq!(stringify!($postgres), concat!("postgres_", stringify!($case)));
            if !available(stringify!($postgres)) {
                return;
            }
            $case(&Target::new(Some(stringify!($case))));
        }
    )*};
}

cases! {
    lifecycle => sqlite_lifecycle, postgres_lifecycle;
    refusals => sqlite_refusals, postgres_refusals;
    retries => sqlite_retries, postgres_retries;
    listing => sqlite_listing, postgres_listing;
    reads_are_logged => sqlite_reads_are_logged, postgres_reads_are_logged;
    concurrent_writers => sqlite_concurrent_writers, postgres_concurrent_writers;
    described => sqlite_described, postgres_described;
    sweeps => sqlite_sweeps, postgres_sweeps;
    exported => sqlite_exported, postgres_exported;
    access_log => sqlite_access_log, postgres_access_log;
    team_changes => sqlite_team_changes, postgres_team_changes;
    imported => sqlite_imported, postgres_imported;
    bulk_imported => sqlite_bulk_imported, postgres_bulk_imported;
    pipeline_applied => sqlite_pipeline_applied, postgres_pipeline_applied;
    killed_clients => sqlite_killed_clients, postgres_killed_clients;
    audit_drilled => sqlite_audit_drilled, postgres_audit_drilled;
    events_fed => sqlite_events_fed, postgres_events_fed;
    events_followed => sqlite_events_followed, postgres_events_followed;
    ingested => sqlite_ingested, postgres_ingested;
    deliveries_dry_run => sqlite_deliveries_dry_run, postgres_deliveries_dry_run;
    deliveries_sent => sqlite_deliveries_sent, postgres_deliveries_sent;
    warned => sqlite_warned, postgres_warned;
}
