//! One behaviour suite, two stores: each case runs the real binary on a
//! SQLite file and on a PostgreSQL database (on a server this binary
//! starts: one cluster for the binary, one database per case, reached over
//! TCP with TLS and scram-sha-256). The PostgreSQL database is made the
//! way a team gets one: `init` on SQLite, the team added, `migrate`.
//! Trust mode: a `driver` login that may `SET ROLE` to each user's login,
//! so every write on the server is made as that user's own login.

mod common;

use common::pg::{Cluster, Opts, Passwords, available};
use common::{Cq, command};
use serde_json::Value;
use std::process::Output;
use std::sync::Arc;

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
    cluster: Cluster,
    passwords: Passwords,
}

fn server() -> Server {
    let cluster = Cluster::start(&Opts {
        tcp: true,
        durable: false,
        ..Default::default()
    });
    let mut logins = vec!["owner", "driver", NEWCOMER];
    logins.extend(USERS.iter().map(|(u, _)| *u));
    let passwords = cluster.logins(&logins);
    let mut users: Vec<&str> = USERS.iter().map(|(u, _)| *u).collect();
    users.push(NEWCOMER);
    cluster.psql("postgres", &format!("GRANT {} TO driver", users.join(", ")));
    Server { cluster, passwords }
}

/// One case's database, of either kind.
struct Target {
    cq: Cq,
    /// PostgreSQL: the server, and this case's database.
    pg: Option<(Arc<Server>, String)>,
}

impl Target {
    fn new(pg: Option<(&Arc<Server>, &str)>) -> Target {
        let cq = Cq::init_default(NOW);
        for (u, role) in USERS {
            cq.ok("nobody", NOW, &["user", "add", u, "--role", role]);
        }
        let Some((s, name)) = pg else {
            return Target { cq, pg: None };
        };
        s.cluster
            .psql("postgres", &format!("CREATE DATABASE {name} OWNER owner"));
        let t = Target {
            cq,
            pg: Some((s.clone(), name.to_string())),
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

/// A record through intake to the provider, with the stages, owners,
/// versions and history each step leaves, and `show`'s allowed events.
fn lifecycle(t: &Target) {
    let id = t.add("maria", "Zoë Grünewald");
    let s = id.to_string();
    let r = t.json("maria", &["show", &s, "--json"]);
    assert_eq!(r["stage"], "form_submitted", "{}", t.kind());
    assert_eq!(r["version"], 1);
    assert_eq!(r["patient"], "Zoë Grünewald");
    let out = t.ok("maria", &["move", &s, "start_review"]);
    assert!(out.contains("form_submitted → intake_review"), "{out}");
    t.ok("maria", &["claim", &s]);
    t.ok("maria", &["note", &s, "called, left a message"]);
    t.ok("maria", &["move", &s, "complete_intake"]);
    t.ok("maria", &["move", &s, "send_to_provider"]);
    let r = t.json("okafor", &["show", &s, "--json"]);
    assert_eq!(r["stage"], "pending_provider");
    assert_eq!(r["version"], 6);
    let kinds: Vec<&str> = r["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "create",
            "transition",
            "claim",
            "note",
            "transition",
            "transition"
        ]
    );
    let actors: Vec<&str> = r["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["actor"].as_str().expect("actor"))
        .collect();
    assert!(actors.iter().all(|a| *a == "maria"), "{actors:?}");
    let allowed: Vec<&str> = r["allowed_events"]
        .as_array()
        .expect("allowed")
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    assert!(allowed.contains(&"begin_review"), "{allowed:?}");
    t.ok("okafor", &["move", &s, "begin_review"]);
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{v}");
    assert_eq!(count_before(&v, "records"), 1, "{v}");
}

/// Refusals are one `error:` line, exit 1, and change nothing.
fn refusals(t: &Target) {
    let id = t.add("maria", "Ana Ruiz");
    let s = id.to_string();
    let e = t.refused("okafor", &["move", &s, "start_review"]);
    assert!(e.contains("refused"), "{e}");
    let e = t.refused("maria", &["move", &s, "approve"]);
    assert!(e.contains("approve"), "{e}");
    let e = t.refused("maria", &["show", "999"]);
    assert!(e.contains("record 999 not found"), "{e}");
    let e = t.refused("nosuch", &["list"]);
    assert!(e.contains("unknown user `nosuch`"), "{e}");
    t.ok("maria", &["move", &s, "start_review"]);
    let e = t.refused("maria", &["claim", &s, "--expect-version", "1"]);
    assert!(
        e.contains("changed since you read it (version 1, now 2)"),
        "{e}"
    );
    let r = t.json("maria", &["show", &s, "--json"]);
    assert_eq!(
        r["version"],
        2,
        "{}: nothing written by a refusal",
        t.kind()
    );
    assert!(r["owner"].is_null());
}

/// An operation id makes a retry a no-op, for adds and changes alike.
fn retries(t: &Target) {
    let a = t.ok(
        "maria",
        &["add", "--patient", "Retry Once", "--op-id", "add-1"],
    );
    let b = t.ok(
        "maria",
        &["add", "--patient", "Retry Once", "--op-id", "add-1"],
    );
    assert_eq!(a, b, "the same record comes back");
    let s = a.trim().to_string();
    t.ok("maria", &["move", &s, "start_review", "--op-id", "mv-1"]);
    t.ok("maria", &["move", &s, "start_review", "--op-id", "mv-1"]);
    let r = t.json("maria", &["show", &s, "--json"]);
    assert_eq!(r["version"], 2, "applied once");
    assert_eq!(r["history"].as_array().map(Vec::len), Some(2));
    let rows = t.json("maria", &["list", "--json"]);
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "one record made");
}

/// `list`'s filters select the same rows on both stores.
fn listing(t: &Target) {
    let ids: Vec<i64> = (0..6)
        .map(|i| t.add("maria", &format!("Pat {i}")))
        .collect();
    for id in &ids[..3] {
        t.ok("maria", &["move", &id.to_string(), "start_review"]);
    }
    t.ok("maria", &["claim", &ids[0].to_string()]);
    t.ok("dev", &["claim", &ids[1].to_string()]);
    let count = |args: &[&str]| {
        let mut all = vec!["list", "--json"];
        all.extend_from_slice(args);
        t.json("kim", &all).as_array().map_or(0, Vec::len)
    };
    assert_eq!(count(&[]), 6, "{}", t.kind());
    assert_eq!(count(&["--stage", "intake_review"]), 3);
    assert_eq!(count(&["--stage", "form_submitted"]), 3);
    assert_eq!(count(&["--owner", "dev"]), 1);
    assert_eq!(count(&["--unassigned"]), 4);
    assert_eq!(count(&["--limit", "2"]), 2);
    assert_eq!(count(&["--filter", "pat 4"]), 1);
    let mine = t.json("maria", &["list", "--mine", "--json"]);
    assert_eq!(mine[0]["id"], ids[0]);
    let table = t.ok("kim", &["list", "--stage", "intake_review"]);
    assert!(table.starts_with("ID"), "{table}");
    assert_eq!(table.lines().count(), 4, "{table}");
}

/// Every read is logged before it is shown, and the log verifies.
fn reads_are_logged(t: &Target) {
    let id = t.add("maria", "Logged Read");
    let before = count_before(&t.verify(), "access");
    t.ok("kim", &["show", &id.to_string()]);
    t.ok("kim", &["list"]);
    let after = count_before(&t.verify(), "access");
    assert_eq!(after - before, 2, "{}: show and list logged", t.kind());
}

/// Four processes on the same records at once: each change applied once or
/// refused clearly (stale or not allowed), never a lock error, and the log
/// verifies with one event per applied change.
fn concurrent_writers(t: &Target) {
    let ids: Vec<i64> = (0..3)
        .map(|i| t.add("maria", &format!("Busy {i}")))
        .collect();
    let before = count_before(&t.verify(), "events");
    let applied = std::sync::atomic::AtomicI64::new(0);
    std::thread::scope(|sc| {
        for w in 0..4 {
            let (ids, applied) = (&ids, &applied);
            sc.spawn(move || {
                let me = if w % 2 == 0 { "maria" } else { "dev" };
                for n in 0..12 {
                    let s = ids[(w + n) % ids.len()].to_string();
                    let r = t.json(me, &["show", &s, "--json"]);
                    let v = r["version"].as_i64().expect("version").to_string();
                    let args: Vec<&str> = match n % 3 {
                        0 => vec!["note", &s, "busy", "--expect-version", &v],
                        1 => vec!["claim", &s, "--expect-version", &v],
                        _ => vec!["release", &s],
                    };
                    let out = t.run(me, &args);
                    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
                    assert!(
                        !err.contains("locked") && !err.contains("busy handler"),
                        "{err}"
                    );
                    match out.status.code() {
                        Some(0) => {
                            applied.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        Some(1) => {
                            refused(&out);
                            assert!(
                                err.contains("changed since you read it")
                                    || err.contains("refused"),
                                "not a clear refusal: {err}"
                            );
                        }
                        other => panic!("exit {other:?}: {err}"),
                    }
                }
            });
        }
    });
    let v = t.verify();
    let after = count_before(&v, "events");
    let applied = applied.load(std::sync::atomic::Ordering::SeqCst);
    assert!(applied > 0, "some changes went through");
    assert_eq!(
        after - before,
        applied,
        "{}: one event per applied change: {v}",
        t.kind()
    );
    for id in ids {
        let r = t.json("kim", &["show", &id.to_string(), "--json"]);
        let n = r["history"].as_array().map_or(0, Vec::len) as i64;
        assert_eq!(r["version"].as_i64(), Some(n), "version = its events");
    }
}

/// What the database says of itself, the same on both stores: `info`,
/// the team, a checkpoint of the logs and the stage audit.
fn described(t: &Target) {
    let id = t.add("maria", "Ida Quell").to_string();
    t.ok("maria", &["move", &id, "start_review"]);
    let info = t.json("kim", &["info", "--json"]);
    assert_eq!(info["store"], t.kind(), "{info}");
    assert_eq!(info["records"], 1, "{info}");
    assert_eq!(info["trust_mode"], true, "{info}");
    assert_eq!(info["user"], "kim", "{info}");
    assert_eq!(info["pipeline_version"], 1, "{info}");
    let team = t.json("kim", &["user", "list", "--json"]);
    let names: Vec<&str> = team
        .as_array()
        .expect("rows")
        .iter()
        .map(|u| u["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["dev", "kim", "maria", "nobody", "okafor"], "{team}");
    assert_eq!(team[4]["roles"], serde_json::json!(["provider"]), "{team}");
    assert_eq!(team[4]["enabled"], true, "{team}");
    // A checkpoint names the event log as verify counts it.
    let cp: Value = serde_json::from_str(&t.ok("kim", &["checkpoint"])).expect("json");
    assert_eq!(cp["events"], info["events"], "reads add no events: {cp}");
    assert_eq!(cp["head"], info["head"], "{cp}");
    assert_eq!(
        cp["events"].as_i64(),
        Some(count_before(&t.verify(), "events")),
        "{cp}"
    );
    // The stored pipeline: its history, its text, resolved.
    let history = t.json("kim", &["pipeline", "history", "--json"]);
    assert_eq!(history[0]["version"], 1, "{history}");
    assert_eq!(history[0]["how"], "init", "{history}");
    assert_eq!(history[0]["by"], "nobody", "{history}");
    assert_eq!(history[0]["hash"], info["pipeline_hash"], "{history}");
    let text = t.ok("kim", &["pipeline", "show", "--version", "1", "--toml"]);
    let file = std::fs::read_to_string(&t.cq.pipeline).expect("pipeline file");
    assert_eq!(text, file, "the stored text, byte for byte");
    let resolved = t.json("kim", &["pipeline", "--json"]);
    assert_eq!(resolved["name"], "Telehealth care pipeline", "{resolved}");
    let e = t.refused("kim", &["pipeline", "show", "--version", "7"]);
    assert!(e.contains("versions 1 to 1"), "{e}");
    let audit = t.json("kim", &["audit", "--json"]);
    let stage = |id: &str| {
        audit["stages"]
            .as_array()
            .and_then(|s| s.iter().find(|x| x["stage"] == id))
            .unwrap_or_else(|| panic!("{id} in {audit}"))
            .clone()
    };
    assert_eq!(stage("form_submitted")["entered"], 1, "{audit}");
    assert_eq!(stage("form_submitted")["current"], 0, "{audit}");
    assert_eq!(stage("intake_review")["entered"], 1, "{audit}");
    assert_eq!(stage("intake_review")["current"], 1, "{audit}");
}

/// Two sweeps at once fire each due escalation exactly once, as the
/// system actor; a third finds nothing due.
fn sweeps(t: &Target) {
    const LATER: &str = "2026-11-05T09:00:00Z";
    let ids: Vec<String> = ["Sam One", "Sam Two", "Sam Three"]
        .iter()
        .map(|p| t.add("maria", p).to_string())
        .collect();
    let fired: i64 = std::thread::scope(|s| {
        let runs: Vec<_> = ["kim", "maria"]
            .iter()
            .map(|u| s.spawn(move || t.run_at(u, LATER, &["sweep", "--json"])))
            .collect();
        runs.into_iter()
            .map(|r| {
                let v: Value = serde_json::from_str(&ok(&r.join().expect("sweep"))).expect("json");
                v["escalations"].as_i64().expect("escalations")
            })
            .sum()
    });
    // Form Submitted escalates twice: at the breach, and 4 working hours on.
    assert_eq!(
        fired,
        6,
        "{}: each escalation once across both sweeps",
        t.kind()
    );
    let again: Value =
        serde_json::from_str(&ok(&t.run_at("kim", LATER, &["sweep", "--json"]))).expect("json");
    assert_eq!(again["escalations"], 0, "{again}");
    assert_eq!(again["timers"], 0, "{again}");
    for id in &ids {
        let r = t.json("kim", &["show", id, "--json"]);
        let by_system: Vec<&Value> = r["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter(|e| e["kind"] == "escalation")
            .collect();
        assert_eq!(by_system.len(), 2, "{r}");
        assert!(by_system.iter().all(|e| e["actor"] == "system"), "{r}");
        assert_eq!(r["owner_role"], "supervisor", "reassigned: {r}");
    }
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{v}");
}

/// `export`: every record with its history (JSON) or its columns (CSV),
/// alike on both stores.
fn exported(t: &Target) {
    let a = t.add("maria", "Eve Export").to_string();
    let b = t.add("maria", "Fay Export").to_string();
    t.ok("maria", &["move", &a, "start_review"]);
    t.ok("maria", &["note", &b, "left a voicemail"]);
    t.ok("maria", &["claim", &b]);
    let all = t.json("kim", &["export", "--format", "json"]);
    let rows = all.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{all}");
    let kinds = |r: &Value| -> Vec<String> {
        r["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|e| e["kind"].as_str().expect("kind").to_string())
            .collect()
    };
    assert_eq!(rows[0]["patient"], "Eve Export", "{all}");
    assert_eq!(kinds(&rows[0]), ["create", "transition"], "{}", t.kind());
    assert_eq!(rows[1]["patient"], "Fay Export", "{all}");
    assert_eq!(kinds(&rows[1]), ["create", "note", "claim"], "{}", t.kind());
    assert_eq!(rows[1]["history"][1]["note"], "left a voicemail");
    let csv = t.ok("kim", &["export", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[0].starts_with("id,patient,stage,substatus,owner,entered_at"),
        "{csv}"
    );
    assert!(
        lines[1].starts_with(&format!("{a},Eve Export,intake_review,")),
        "{csv}"
    );
    assert!(
        lines[2].starts_with(&format!("{b},Fay Export,form_submitted,,maria,")),
        "{csv}"
    );
}

/// `access-log`: a supervisor reads who read what; an ops user may not
/// (on PostgreSQL the server refuses it too).
fn access_log(t: &Target) {
    let id = t.add("maria", "Gil Access").to_string();
    t.ok("okafor", &["show", &id]);
    let log = t.json("kim", &["access-log", "--record", &id, "--json"]);
    let rows = log.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{}: {log}", t.kind());
    assert_eq!(rows[0]["user"], "okafor", "{log}");
    assert_eq!(rows[0]["action"], "show", "{log}");
    let e = t.refused("maria", &["access-log", "--json"]);
    assert!(
        e.contains("admins and supervising roles"),
        "{}: {e}",
        t.kind()
    );
    // Reading the log is itself logged (after the listing).
    let again = t.json("kim", &["access-log", "--user", "kim", "--json"]);
    assert!(
        again
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["action"] == "access-log"),
        "{again}"
    );
}

/// The team changed by an admin: a user added (on PostgreSQL their login
/// linked by the server), acting at once; disabled, their records
/// released, refused from then on; a non-admin may change nobody.
fn team_changes(t: &Target) {
    let out = t.ok(
        "kim",
        &[
            "user", "add", NEWCOMER, "--role", "ops", "--login", NEWCOMER,
        ],
    );
    assert!(out.starts_with("lee: ops"), "{out}");
    let id = t.add(NEWCOMER, "Hal Team").to_string();
    t.ok(NEWCOMER, &["claim", &id]);
    let r = t.json("kim", &["show", &id, "--json"]);
    assert_eq!(r["owner"], NEWCOMER, "{}: {r}", t.kind());
    let e = t.refused("maria", &["user", "add", "mal", "--role", "ops"]);
    assert!(e.contains("admin"), "{e}");
    let e = t.refused("maria", &["user", "disable", NEWCOMER]);
    assert!(e.contains("admin"), "{e}");
    t.ok("kim", &["user", "disable", NEWCOMER]);
    let r = t.json("kim", &["show", &id, "--json"]);
    assert!(r["owner"].is_null(), "released on disable: {r}");
    let last = r["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history");
    assert_eq!(last["kind"], "release", "{r}");
    assert_eq!(last["actor"], "kim", "{r}");
    let e = t.refused(NEWCOMER, &["list"]);
    assert!(e.contains("disabled"), "{}: {e}", t.kind());
    let team = t.json("kim", &["user", "list", "--json"]);
    let lee = team
        .as_array()
        .and_then(|u| u.iter().find(|u| u["name"] == NEWCOMER))
        .expect("lee listed");
    assert_eq!(lee["enabled"], false, "{team}");
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{v}");
}

/// `import`: every row or none, alike on both stores (a given id kept,
/// the next one after it; the owner's `assign` event after `create`).
fn imported(t: &Target) {
    let file = t.cq.dir.path().join("in.csv");
    let csv = file.display().to_string();
    std::fs::write(
        &file,
        "id,patient,owner\n50,Jo Import,maria\n,Kai Import,\n",
    )
    .expect("csv");
    let out = t.ok("kim", &["import", &csv]);
    assert_eq!(out.trim(), "imported 2 records", "{}", t.kind());
    let jo = t.json("kim", &["show", "50", "--json"]);
    assert_eq!(jo["patient"], "Jo Import", "{jo}");
    assert_eq!(jo["owner"], "maria", "{jo}");
    let kinds: Vec<&str> = jo["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["create", "assign"], "{jo}");
    let kai = t.json("kim", &["show", "51", "--json"]);
    assert_eq!(kai["patient"], "Kai Import", "{}: {kai}", t.kind());
    // A bad row: nothing of the file is kept, and the problem is named.
    std::fs::write(&file, "patient,owner\nLou Import,maria\nMo Import,zed\n").expect("csv");
    let out = t.run("kim", &["import", &csv]);
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("in.csv:3:owner: is not a user"), "{e}");
    assert!(e.contains("nothing imported"), "{e}");
    let rows = t.json("kim", &["list", "--json"]);
    assert_eq!(
        rows.as_array().map(Vec::len),
        Some(2),
        "{}: {rows}",
        t.kind()
    );
    let e = t.refused("maria", &["import", &csv]);
    assert!(e.contains("admin"), "{e}");
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{v}");
}

/// `pipeline diff` and `apply`: a renamed stage carries its record (one
/// `rename` event), a tightened clock re-times it, the version is logged;
/// a non-admin is refused; `verify` replays it all on both stores.
fn pipeline_applied(t: &Target) {
    let a = t.add("maria", "Pia Apply").to_string();
    t.add("maria", "Quin Apply");
    t.ok("maria", &["move", &a, "start_review"]);
    let base = std::fs::read_to_string(&t.cq.pipeline).expect("pipeline");
    let sla = "sla = { max = \"8h\", warn = \"75%\", calendar = \"clinic_hours\" }";
    assert!(base.contains(sla));
    let text = base
        .replace("\"intake_review\"", "\"intake_triage\"")
        .replacen(
            "id = \"intake_triage\"\n",
            "id = \"intake_triage\"\nrenamed_from = [\"intake_review\"]\n",
            1,
        )
        .replace(
            sla,
            "sla = { max = \"4h\", warn = \"75%\", calendar = \"clinic_hours\" }",
        );
    let file = t.cq.dir.path().join("v2.toml");
    std::fs::write(&file, &text).expect("v2");
    let v2 = file.display().to_string();
    let diff = t.json("kim", &["pipeline", "diff", &v2, "--json"]);
    assert_eq!(diff["from_version"], 1, "{diff}");
    let per_stage = diff["records_per_stage"].to_string();
    assert!(per_stage.contains("intake_review"), "{}: {diff}", t.kind());
    let e = t.refused("maria", &["pipeline", "apply", &v2]);
    assert!(e.contains("admin"), "{e}");
    let out = t.ok("kim", &["pipeline", "apply", &v2]);
    assert!(
        out.contains("applied as version 2: 1 record(s) carried to renamed stages"),
        "{}: {out}",
        t.kind()
    );
    // From here the database runs under version 2 (no --pipeline).
    let db = match &t.pg {
        Some(_) => t.url("driver"),
        None => t.cq.db.display().to_string(),
    };
    let now = ["--now", NOW, "--as", "kim", "--db", &db];
    let plain = |args: &[&str]| {
        let mut all = now.to_vec();
        all.extend_from_slice(args);
        serde_json::from_str::<Value>(&ok(&t.bare(&all))).expect("json")
    };
    let r = plain(&["show", &a, "--json"]);
    assert_eq!(r["stage"], "intake_triage", "{r}");
    let last = r["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history");
    assert_eq!(last["kind"], "rename", "{r}");
    assert_eq!(last["actor"], "kim", "{r}");
    let history = plain(&["pipeline", "history", "--json"]);
    assert_eq!(history[1]["version"], 2, "{history}");
    assert_eq!(history[1]["how"], "apply", "{history}");
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{}: {v}", t.kind());
}

/// Crashes: each round a `note` with an op id is killed with SIGKILL at
/// a moment of its run, then retried with the same op id, as a client does
/// after an unknown outcome: each note is there exactly once, whether the
/// killed run had committed or not, and the log verifies.
fn killed_clients(t: &Target) {
    const ROUNDS: usize = 8;
    let id = t.add("maria", "Rae Crash").to_string();
    for round in 0..ROUNDS {
        let text = format!("crash round {round}");
        let op = format!("crash-{round}");
        let args = ["note", id.as_str(), text.as_str(), "--op-id", op.as_str()];
        let mut child = t
            .command_at("maria", NOW, &args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // From before the connection to well past the commit.
        std::thread::sleep(std::time::Duration::from_millis(5 + 15 * round as u64));
        let _ = child.kill();
        let _ = child.wait();
        t.ok("maria", &args);
    }
    let r = t.json("maria", &["show", &id, "--json"]);
    for round in 0..ROUNDS {
        let text = format!("crash round {round}");
        let n = r["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter(|e| e["note"] == text.as_str())
            .count();
        assert_eq!(n, 1, "{}: `{text}` once: {r}", t.kind());
    }
    let n = r["history"].as_array().map_or(0, Vec::len) as i64;
    assert_eq!(r["version"].as_i64(), Some(n), "version = its events: {r}");
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{}: {v}", t.kind());
}

/// A case: its name and its body.
type Case = (&'static str, fn(&Target));

const CASES: &[Case] = &[
    ("lifecycle", lifecycle),
    ("refusals", refusals),
    ("retries", retries),
    ("listing", listing),
    ("reads_are_logged", reads_are_logged),
    ("concurrent_writers", concurrent_writers),
    ("described", described),
    ("sweeps", sweeps),
    ("exported", exported),
    ("access_log", access_log),
    ("team_changes", team_changes),
    ("imported", imported),
    ("pipeline_applied", pipeline_applied),
    ("killed_clients", killed_clients),
];

#[test]
fn every_case_on_sqlite() {
    for (name, case) in CASES {
        eprintln!("sqlite: {name}");
        case(&Target::new(None));
    }
}

#[test]
fn every_case_on_postgresql() {
    if !available("every_case_on_postgresql") {
        return;
    }
    let s = Arc::new(server());
    for (name, case) in CASES {
        eprintln!("postgres: {name}");
        case(&Target::new(Some((&s, name))));
    }
}
