//! `init` and `demo` on PostgreSQL, run by the database's owner (no
//! superuser). `init`: the schema and the first events, the owner's login
//! the first admin; the admin adds a user whose login the server then lets
//! act; a second `init` is refused and changes nothing; `verify` passes.
//! `demo`: a trust-mode team whose members the owner acts as (`SET ROLE`),
//! rebuilt when run again, never over a database that is not a demo.

use crate::common;
use crate::common::command;
use crate::common::pg::{Cluster, available, shared};
use std::process::Output;

struct Server {
    cluster: &'static Cluster,
    passwords: common::pg::Passwords,
    /// The database `init` runs on (this test's own, on the shared cluster).
    fresh: String,
    dir: tempfile::TempDir,
}

impl Server {
    fn url(&self, login: &str) -> String {
        self.url_of(login, &self.fresh)
    }

    fn url_of(&self, login: &str, db: &str) -> String {
        format!("postgres://{login}@localhost:{}/{db}", self.cluster.port)
    }

    fn run(&self, login: &str, args: &[&str]) -> Output {
        self.run_on(&self.url(login), args)
    }

    fn run_on(&self, url: &str, args: &[&str]) -> Output {
        let mut cmd = command();
        for k in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
            cmd.env_remove(k);
        }
        cmd.env("PGPASSFILE", &self.passwords.file)
            .env("PGSSLROOTCERT", self.cluster.ca())
            .env("PGSSLMODE", "verify-full")
            .current_dir(self.dir.path())
            .args(["--db", url])
            .args(args)
            .output()
            .expect("run carequeue")
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
    let e = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "exit 1: {e}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    assert!(
        e.starts_with("error: ") && e.trim_end().lines().count() == 1,
        "{e}"
    );
    e
}

#[test]
fn init_on_postgres_makes_a_database_a_team_can_use() {
    if !available("init_on_postgres_makes_a_database_a_team_can_use") {
        return;
    }
    let cluster = shared();
    let passwords = cluster.logins(&["owner", "ann"]);
    let fresh = cluster.database_owned("fresh", "owner");
    let s = Server {
        cluster,
        passwords,
        fresh,
        dir: tempfile::tempdir().expect("dir"),
    };
    let out = ok(&s.run("owner", &["init"]));
    assert!(
        out.contains("created for pipeline \"Telehealth care pipeline\"")
            && out.contains("admin user `owner` (database login `owner`)"),
        "{out}"
    );
    let info: serde_json::Value =
        serde_json::from_str(&ok(&s.run("owner", &["info", "--json"]))).expect("json");
    assert_eq!(info["store"], "postgres", "{info}");
    assert_eq!(info["trust_mode"], false, "{info}");
    assert_eq!(info["user"], "owner", "{info}");
    assert_eq!(info["pipeline_version"], 1, "{info}");

    // The admin adds ann; the server links her login, and she works.
    ok(&s.run(
        "owner",
        &["user", "add", "ann", "--role", "ops", "--login", "ann"],
    ));
    let id = ok(&s.run("ann", &["add", "--patient", "Ivy Init"]));
    assert_eq!(id.trim(), "1");
    let rows: serde_json::Value =
        serde_json::from_str(&ok(&s.run("ann", &["list", "--json"]))).expect("json");
    assert_eq!(rows[0]["patient"], "Ivy Init", "{rows}");
    // Outside trust mode nobody acts as another.
    let e = refused(&s.run("ann", &["--as", "owner", "list"]));
    assert!(e.contains("trust"), "{e}");

    // A second init changes nothing.
    let e = refused(&s.run("owner", &["init"]));
    assert!(e.contains("already"), "{e}");
    let e = refused(&s.run("owner", &["init", "--group", "staff"]));
    assert!(e.contains("--group"), "{e}");
    let v = ok(&s.run("owner", &["verify"]));
    assert!(v.starts_with("ok:") && v.contains(" 1 records"), "{v}");
    // `init`'s own first events are the owner's, not migrated history.
    assert!(
        v.contains("every event matches the login that wrote it") && !v.contains("migrate"),
        "{v}"
    );
    let logins = s.cluster.psql(
        &s.fresh,
        "SELECT string_agg(DISTINCT login, ',') FROM carequeue.events
         WHERE id < (SELECT min(id) FROM carequeue.events WHERE kind = 'create')",
    );
    assert_eq!(logins.trim(), "owner", "the first events' login");
    let migrated = s.cluster.psql(
        &s.fresh,
        "SELECT value FROM carequeue.meta WHERE key = 'migrated_events'",
    );
    assert_eq!(migrated.trim(), "0");
}

#[test]
fn demo_on_postgres_builds_a_team_to_act_as_and_never_overwrites_a_real_database() {
    if !available("demo_on_postgres_builds_a_team") {
        return;
    }
    let cluster = shared();
    let passwords = cluster.logins(&["owner"]);
    let show = cluster.database_owned("show", "owner");
    let fresh = cluster.database_owned("fresh", "owner");
    let s = Server {
        cluster,
        passwords,
        fresh,
        dir: tempfile::tempdir().expect("dir"),
    };
    let demo = s.url_of("owner", &show);
    let args = ["demo", "--no-tui", "--records", "40", "--seed", "3"];
    let out = ok(&s.run_on(&demo, &args));
    assert!(out.contains("demo with 40 records"), "{out}");
    let sup = out
        .rsplit("--as ")
        .next()
        .and_then(|t| t.split(')').next())
        .expect("the supervisor")
        .to_string();
    let rows: serde_json::Value =
        serde_json::from_str(&ok(&s.run_on(&demo, &["--as", &sup, "list", "--json"])))
            .expect("json");
    assert_eq!(rows.as_array().map(Vec::len), Some(40), "{rows}");
    // Acting as the supervisor is acting as their own role on the server.
    let who = s.cluster.psql(
        &show,
        "SELECT DISTINCT login FROM carequeue.access_log WHERE action = 'list'",
    );
    assert_eq!(who, format!("{show}_{sup}"), "{who}");
    // Again: rebuilt, not added to.
    let out = ok(&s.run_on(
        &demo,
        &["demo", "--no-tui", "--records", "25", "--seed", "4"],
    ));
    assert!(out.contains("demo with 25 records"), "{out}");
    let n = s
        .cluster
        .psql(&show, "SELECT count(*) FROM carequeue.records");
    assert_eq!(n, "25");
    let v = ok(&s.run_on(&demo, &["--as", &sup, "verify"]));
    assert!(v.starts_with("ok:") && v.contains(" 25 records"), "{v}");

    // Without --no-tui the console opens on it, as the supervisor.
    let mut cmd = portable_pty::CommandBuilder::new(common::BIN);
    cmd.args(["--db", &demo, "demo", "--records", "12"]);
    for k in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
        cmd.env_remove(k);
    }
    cmd.env("PGPASSFILE", &s.passwords.file);
    cmd.env("PGSSLROOTCERT", s.cluster.ca());
    cmd.env("PGSSLMODE", "verify-full");
    cmd.env("TERM", "xterm-256color");
    cmd.env("XDG_STATE_HOME", s.dir.path().join("state"));
    cmd.env("XDG_CONFIG_HOME", s.dir.path().join("config"));
    cmd.cwd(s.dir.path());
    let screen = common::screen::Screen::spawn(cmd);
    screen.wait(
        std::time::Duration::from_secs(20),
        "the demo's console",
        |x| x.contains("Breaches ·") && x.contains(&format!("{sup} (")),
    );
    let (quit, _) = screen.quit();
    assert!(quit, "q exits 0");
    let n = s
        .cluster
        .psql(&show, "SELECT count(*) FROM carequeue.records");
    assert_eq!(n, "12");

    // A team's database is never a demo's to overwrite.
    ok(&s.run("owner", &["init"]));
    let e = refused(&s.run("owner", &["demo", "--no-tui", "--records", "5"]));
    assert!(e.contains("not a demo"), "{e}");
    let v = ok(&s.run("owner", &["verify"]));
    assert!(v.starts_with("ok:") && v.contains(" 0 records"), "{v}");
}
