//! A team on a throwaway PostgreSQL server: a SQLite database with three
//! users (kim, maria, dev) and three intake records, migrated onto a
//! database of its own on the server (the binary's shared cluster, or one
//! the test owns); logins with passwords, a trust-mode `driver` login that
//! acts as each user's own; the binary and the console run as a person
//! would, on this host or on another (a network namespace).
#![allow(dead_code)]

use super::pg::{ClusterRef, Opts, Passwords};
use super::screen::Screen;
use super::{Cq, command};
use portable_pty::CommandBuilder;
use std::process::Output;

pub const NOW: &str = "2026-11-02T09:00:00Z";
pub const USERS: [(&str, &str); 3] = [("kim", "supervisor"), ("maria", "ops"), ("dev", "ops")];

pub struct Team {
    pub cluster: ClusterRef,
    /// The team's database on the cluster.
    pub db: String,
    pub passwords: Passwords,
    pub cq: Cq,
    /// Where clients reach the server (`host:port`, several for
    /// failover), the URL's parameters (`?…`, or nothing), and how the
    /// server's certificate is checked.
    pub hosts: String,
    pub params: String,
    pub sslmode: &'static str,
    /// Clients run inside this network namespace (another host), if set.
    pub netns: Option<String>,
}

impl Team {
    /// The team (three intake records) on the binary's shared cluster.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Team {
        Team::on(ClusterRef::shared())
    }

    /// The team on a cluster of its own (`opts`, TCP on): for a test that
    /// kills or fails over the server, or needs options the shared one
    /// cannot have.
    pub fn own(opts: Opts) -> Team {
        Team::on(ClusterRef::own(&Opts { tcp: true, ..opts }))
    }

    fn on(cluster: ClusterRef) -> Team {
        let users: Vec<(&str, &[&str])> = USERS
            .iter()
            .map(|(u, role)| (*u, std::slice::from_ref(role)))
            .collect();
        Team::of(
            cluster,
            &users,
            ("maria", &["Ada Quist", "Bea Quist", "Cyd Quist"]),
        )
    }

    /// On `cluster` (TCP on), a SQLite team of `users` (each with a login
    /// of its own name) and records of `patients` added by `adder`,
    /// migrated onto a database of its own.
    pub fn of(
        cluster: ClusterRef,
        users: &[(&str, &[&str])],
        (adder, patients): (&str, &[&str]),
    ) -> Team {
        assert!(cluster.tcp, "a team reaches its server over TCP");
        let mut logins = vec!["owner", "driver"];
        logins.extend(users.iter().map(|(u, _)| *u));
        let passwords = cluster.logins(&logins);
        let names: Vec<&str> = users.iter().map(|(u, _)| *u).collect();
        cluster.alter_roles(&format!("GRANT {} TO driver", names.join(", ")));
        let db = cluster.database_owned("care", "owner");
        let cq = Cq::init_default(NOW);
        for (u, roles) in users {
            let mut args = vec!["user", "add", u];
            for r in *roles {
                args.extend(["--role", r]);
            }
            cq.ok("nobody", NOW, &args);
        }
        for name in patients {
            cq.add(adder, NOW, name, &[]);
        }
        let hosts = format!("localhost:{}", cluster.port);
        let t = Team {
            cluster,
            db,
            passwords,
            cq,
            hosts,
            params: String::new(),
            sslmode: "verify-full",
            netns: None,
        };
        let from = t.cq.db.display().to_string();
        ok(&t.run(&[
            "--as",
            "nobody",
            "migrate",
            "--from",
            &from,
            "--to",
            &t.url("owner"),
        ]));
        t
    }

    /// A store in this process, connected as `login` with this team's
    /// settings (and no others).
    pub fn store(&self, login: &str) -> carequeue::store::pg::PgStore {
        let vars = super::pg::Vars(self.vars().into_iter().collect());
        let info = carequeue::store::pg::conninfo::parse(&self.url(login), &vars).expect("url");
        carequeue::store::pg::PgStore::connect(&info).expect("connect")
    }

    pub fn url(&self, login: &str) -> String {
        format!(
            "postgres://{login}@{}/{}{}",
            self.hosts, self.db, self.params
        )
    }

    /// The connection settings every client here uses (no others).
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PGPASSFILE", self.passwords.file.display().to_string()),
            ("PGSSLROOTCERT", self.cluster.ca().display().to_string()),
            ("PGSSLMODE", self.sslmode.to_string()),
        ]
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = std::process::Command::new("ip");
                c.args(["netns", "exec", ns, super::BIN]);
                c.env_clear().env("PATH", "/usr/bin:/bin");
                c
            }
            None => command(),
        };
        for k in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
            cmd.env_remove(k);
        }
        cmd.envs(self.vars())
            .current_dir(self.cq.dir.path())
            .args(["--now", NOW])
            .args(args)
            .output()
            .expect("run carequeue")
    }

    /// `args` as `user`, through the driver login (trust mode: the session
    /// acts as the user's own login).
    pub fn as_user(&self, user: &str, args: &[&str]) -> Output {
        let url = self.url("driver");
        let pipeline = self.cq.pipeline.display().to_string();
        let mut all = vec!["--db", &url, "--pipeline", &pipeline, "--as", user];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// The server sessions `login` holds on the team's database now.
    pub fn sessions(&self, login: &str) -> i64 {
        self.cluster
            .psql(
                "postgres",
                &format!(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = '{login}' AND datname = '{}'",
                    self.db
                ),
            )
            .trim()
            .parse()
            .unwrap_or(-1)
    }

    /// The console as `user`, in a pseudo-terminal.
    pub fn console(&self, user: &str) -> Screen {
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = CommandBuilder::new("ip");
                c.args(["netns", "exec", ns, super::BIN]);
                c
            }
            None => CommandBuilder::new(super::BIN),
        };
        cmd.args([
            "--db",
            &self.url("driver"),
            "--pipeline",
            &self.cq.pipeline.display().to_string(),
            "--as",
            user,
            "--now",
            NOW,
        ]);
        for k in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
            cmd.env_remove(k);
        }
        for (k, v) in self.vars() {
            cmd.env(k, v);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("CAREQUEUE_USER");
        let home = self.cq.dir.path();
        cmd.env("XDG_STATE_HOME", home.join("state"));
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.cwd(home);
        Screen::spawn(cmd)
    }
}

#[track_caller]
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "expected success:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The table row of `patient` on the screen, if shown.
pub fn row(screen: &str, patient: &str) -> Option<String> {
    screen
        .lines()
        .find(|l| l.starts_with('│') && l.contains(patient))
        .map(str::to_string)
}

/// The id of `patient`'s record, as `list` shows it.
pub fn id_of(t: &Team, patient: &str) -> String {
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&t.as_user("maria", &["list", "--json"]))).expect("json");
    rows.iter()
        .find(|r| r["patient"] == patient)
        .and_then(|r| r["id"].as_i64())
        .unwrap_or_else(|| panic!("{patient} in {rows:?}"))
        .to_string()
}
