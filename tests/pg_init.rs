//! `init` on PostgreSQL, run by the database's owner (no superuser): the
//! schema and the first events, the owner's login the first admin; the
//! admin adds a user whose login the server then lets act; a second `init`
//! is refused and changes nothing; `verify` passes.

mod common;

use common::command;
use common::pg::{Cluster, Opts, available};
use std::process::Output;

struct Server {
    cluster: Cluster,
    passwords: common::pg::Passwords,
    dir: tempfile::TempDir,
}

impl Server {
    fn url(&self, login: &str) -> String {
        format!("postgres://{login}@localhost:{}/fresh", self.cluster.port)
    }

    fn run(&self, login: &str, args: &[&str]) -> Output {
        let mut cmd = command();
        for k in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
            cmd.env_remove(k);
        }
        cmd.env("PGPASSFILE", &self.passwords.file)
            .env("PGSSLROOTCERT", self.cluster.ca())
            .env("PGSSLMODE", "verify-full")
            .current_dir(self.dir.path())
            .args(["--db", &self.url(login)])
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
    let cluster = Cluster::start(&Opts {
        tcp: true,
        ..Default::default()
    });
    let passwords = cluster.logins(&["owner", "ann"]);
    cluster.psql("postgres", "CREATE DATABASE fresh OWNER owner");
    let s = Server {
        cluster,
        passwords,
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
}
