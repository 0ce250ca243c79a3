//! The console on PostgreSQL: the real binary in a pseudo-terminal on a
//! database of a server this test starts (TCP, TLS checked with
//! `verify-full`, scram-sha-256). A move committed by another client shows
//! on screen within a second, with no key pressed; when the server is
//! killed with SIGKILL the header says the connection is lost, and once it
//! is back the console carries on by itself: a later move shows too, the
//! console's own commit lands, and the session's end is in the access log.

mod common;

use common::pg::{Cluster, Opts, Passwords, available};
use common::screen::Screen;
use common::{Cq, command};
use portable_pty::CommandBuilder;
use std::process::Output;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-02T09:00:00Z";
const USERS: [(&str, &str); 3] = [("kim", "supervisor"), ("maria", "ops"), ("dev", "ops")];
const LOST: &str = "connection lost";

struct Team {
    cluster: Cluster,
    passwords: Passwords,
    cq: Cq,
}

impl Team {
    /// A server, a SQLite team migrated onto it, and three intake records.
    fn new() -> Team {
        let cluster = Cluster::start(&Opts {
            tcp: true,
            ..Default::default()
        });
        let mut logins = vec!["owner", "driver"];
        logins.extend(USERS.iter().map(|(u, _)| *u));
        let passwords = cluster.logins(&logins);
        let users: Vec<&str> = USERS.iter().map(|(u, _)| *u).collect();
        cluster.psql("postgres", &format!("GRANT {} TO driver", users.join(", ")));
        cluster.psql("postgres", "CREATE DATABASE care OWNER owner");
        let cq = Cq::init_default(NOW);
        for (u, role) in USERS {
            cq.ok("nobody", NOW, &["user", "add", u, "--role", role]);
        }
        for name in ["Ada Quist", "Bea Quist", "Cyd Quist"] {
            cq.add("maria", NOW, name, &[]);
        }
        let t = Team {
            cluster,
            passwords,
            cq,
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

    fn url(&self, login: &str) -> String {
        format!("postgres://{login}@localhost:{}/care", self.cluster.port)
    }

    /// The connection settings every client here uses (no others).
    fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PGPASSFILE", self.passwords.file.display().to_string()),
            ("PGSSLROOTCERT", self.cluster.ca().display().to_string()),
            ("PGSSLMODE", "verify-full".to_string()),
        ]
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = command();
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
    fn as_user(&self, user: &str, args: &[&str]) -> Output {
        let url = self.url("driver");
        let pipeline = self.cq.pipeline.display().to_string();
        let mut all = vec!["--db", &url, "--pipeline", &pipeline, "--as", user];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// The console as `user`, in a pseudo-terminal.
    fn console(&self, user: &str) -> Screen {
        let mut cmd = CommandBuilder::new(common::BIN);
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
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "expected success:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The table row of `patient` on the screen, if shown.
fn row(screen: &str, patient: &str) -> Option<String> {
    screen
        .lines()
        .find(|l| l.starts_with('│') && l.contains(patient))
        .map(str::to_string)
}

/// The id of `patient`'s record, as `list` shows it.
fn id_of(t: &Team, patient: &str) -> String {
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&t.as_user("maria", &["list", "--json"]))).expect("json");
    rows.iter()
        .find(|r| r["patient"] == patient)
        .and_then(|r| r["id"].as_i64())
        .unwrap_or_else(|| panic!("{patient} in {rows:?}"))
        .to_string()
}

#[test]
fn the_console_on_postgres_follows_other_clients_and_rides_out_a_server_kill() {
    if !available("pg_console") {
        return;
    }
    let t = Team::new();
    let (ada, bea) = (id_of(&t, "Ada Quist"), id_of(&t, "Bea Quist"));

    let mut s = t.console("kim");
    s.wait(Duration::from_secs(15), "the console", |x| {
        x.contains("Breaches ·")
    });
    s.keys("1");
    s.wait(Duration::from_secs(5), "the Intake view", |x| {
        x.contains("Intake ·") && row(x, "Ada Quist").is_some_and(|r| r.contains("Form Submitted"))
    });

    // Another client moves a record: on screen within a second, no key pressed.
    ok(&t.as_user("maria", &["move", &ada, "start_review"]));
    let seen = s.wait(Duration::from_secs(5), "maria's move", |x| {
        row(x, "Ada Quist").is_some_and(|r| r.contains("Intake Review"))
    });
    assert!(
        seen <= Duration::from_secs(1),
        "another client's move took {seen:?} to reach the console"
    );

    // The server dies: the header says so, and the screen stays usable.
    t.cluster.kill9();
    s.wait(
        Duration::from_secs(10),
        "the lost connection in the header",
        |x| x.lines().next().is_some_and(|l| l.contains(LOST)),
    );
    s.keys("j");
    t.cluster.restart();
    let back = Instant::now();
    s.wait(Duration::from_secs(20), "the connection back", |x| {
        !x.contains(LOST)
    });
    eprintln!("reconnected {:?} after the restart", back.elapsed());

    // After the restart, changes elsewhere reach the screen as before...
    ok(&t.as_user("maria", &["claim", &bea]));
    s.wait(
        Duration::from_secs(5),
        "maria's claim after the restart",
        |x| row(x, "Bea Quist").is_some_and(|r| r.contains("maria")),
    );
    // ...and the console's own session writes again: kim claims Cyd.
    s.keys("/Cyd\r");
    s.wait(Duration::from_secs(5), "the filter down to Cyd", |x| {
        row(x, "Cyd Quist").is_some() && row(x, "Ada Quist").is_none()
    });
    s.keys("c");
    s.wait(Duration::from_secs(5), "kim's claim", |x| {
        row(x, "Cyd Quist").is_some_and(|r| r.contains("kim"))
    });
    let (quit, _) = s.quit();
    assert!(quit, "q exits 0");

    let cyd = id_of(&t, "Cyd Quist");
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&t.as_user("kim", &["show", &cyd, "--json"]))).expect("json");
    let last = shown["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history")
        .clone();
    assert_eq!(last["kind"], "claim");
    assert_eq!(last["actor"], "kim");
    // The session is in the access log, its end included, and all verifies.
    let log = t.cluster.psql(
        "care",
        "SELECT string_agg(action, ',' ORDER BY id) FROM carequeue.access_log WHERE actor = 'kim'",
    );
    assert!(
        log.contains("console-open") && log.contains("console-close"),
        "{log}"
    );
    let verified = ok(&t.run(&["--db", &t.url("owner"), "verify"]));
    assert!(verified.starts_with("ok:"), "{verified}");
    assert!(verified.contains(" 3 records"), "{verified}");
}
