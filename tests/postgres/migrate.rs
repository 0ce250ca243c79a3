//! `migrate` from SQLite to a real PostgreSQL server the test started, and
//! `verify` on it: the round trip keeps every row and both heads; a target
//! that holds records is refused; a provider's event an ops login writes
//! by hand is refused by the server; one recorded under another login
//! than its actor's (by a superuser) is named by `verify`.

use crate::common::pg::{ClusterRef, Opts, Passwords, Vars, available};
use crate::common::{Cq, command};
use carequeue::store::pg::{self, conninfo};
use std::collections::BTreeMap;
use std::process::Output;

const NOW: &str = "2026-11-02T09:00:00Z";
const LOGINS: [&str; 3] = ["owner", "maria", "kim"];

struct Server {
    cluster: ClusterRef,
    passwords: Passwords,
}

/// `cluster` with this file's logins, and a database of the test's own
/// named `BASE_N` (returned too).
fn server(cluster: ClusterRef, base: &str) -> (Server, String) {
    let passwords = cluster.logins(&LOGINS);
    let db = cluster.database_owned(base, "owner");
    (Server { cluster, passwords }, db)
}

impl Server {
    fn url(&self, login: &str, db: &str) -> String {
        format!("postgres://{login}@localhost:{}/{db}", self.cluster.port)
    }

    fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PGPASSFILE", self.passwords.file.display().to_string()),
            ("PGSSLROOTCERT", self.cluster.ca().display().to_string()),
            ("PGSSLMODE", "verify-full".into()),
        ]
    }

    /// The binary with these connection settings and no others.
    fn carequeue(&self, cq: &Cq, args: &[&str]) -> Output {
        let mut cmd = command();
        for k in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
            cmd.env_remove(k);
        }
        cmd.envs(self.vars())
            .current_dir(cq.dir.path())
            .arg("--pipeline")
            .arg(&cq.pipeline)
            .args(["--as", "nobody", "--now", NOW])
            .args(args)
            .output()
            .expect("run carequeue")
    }

    fn login(&self, login: &str, db: &str) -> postgres::Client {
        let mut m = BTreeMap::new();
        for (k, v) in self.vars() {
            m.insert(k, v);
        }
        let info = conninfo::parse(&self.url(login, db), &Vars(m)).expect("url");
        let mut c = pg::connect(&info).expect("connect");
        pg::schema::session(&mut c).expect("session");
        c
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn ok(out: Output) -> String {
    let (o, e) = text(&out);
    assert!(out.status.success(), "expected success:\n{o}\n{e}");
    o
}

#[track_caller]
fn refused(out: Output) -> String {
    let (o, e) = text(&out);
    assert_eq!(out.status.code(), Some(1), "expected exit 1:\n{o}\n{e}");
    assert!(o.is_empty(), "nothing on stdout on a refusal: {o}");
    assert!(e.starts_with("error: "), "{e}");
    e
}

/// The `chain head …` and access count in a verify line.
fn heads(line: &str) -> (String, String) {
    let after = |key: &str| {
        line.split(key)
            .nth(1)
            .and_then(|s| s.split([';', ' ', ',']).find(|w| !w.is_empty()))
            .unwrap_or_else(|| panic!("no {key} in {line}"))
            .to_string()
    };
    (after("chain head "), after("events, "))
}

/// A source database with linked users, records whose names need the copy
/// format's escapes, moves, a claim and a logged read.
fn source() -> (Cq, i64) {
    let cq = Cq::init_default(NOW);
    cq.ok(
        "nobody",
        NOW,
        &["user", "add", "maria", "--role", "ops", "--login", "maria"],
    );
    cq.ok(
        "nobody",
        NOW,
        &[
            "user",
            "add",
            "kim",
            "--role",
            "supervisor",
            "--login",
            "kim",
        ],
    );
    cq.ok("nobody", NOW, &["user", "add", "dev", "--role", "ops"]);
    let id = cq.add("maria", NOW, "Zoë Grünewald", &[]);
    cq.add("maria", NOW, "Tab\tand back\\slash", &[]);
    cq.add("maria", NOW, "Line\nbreak \\N", &[]);
    cq.ok("maria", NOW, &["move", &id.to_string(), "start_review"]);
    cq.ok("maria", NOW, &["claim", &id.to_string()]);
    for e in ["complete_intake", "send_to_provider"] {
        cq.ok("maria", NOW, &["move", &id.to_string(), e]);
    }
    cq.ok("kim", NOW, &["show", &id.to_string()]);
    (cq, id)
}

fn sqlite_verify(cq: &Cq) -> String {
    cq.ok("nobody", NOW, &["verify"])
}

#[test]
fn migrate_keeps_every_row_and_both_heads_and_verify_names_what_bypasses_carequeue() {
    if !available("migrate_keeps_every_row_and_both_heads") {
        return;
    }
    // A cluster of its own: `migrate` links each user whose login the
    // server has, and this test counts on `dev` having none, while tests
    // on the shared cluster make a `dev` login (logins are the server's).
    let own = ClusterRef::own(&Opts {
        tcp: true,
        ..Default::default()
    });
    let (srv, care) = server(own, "care");
    let (cq, id) = source();
    let db = cq.db.to_str().expect("path").to_string();
    let url = srv.url("owner", &care);

    let out = ok(srv.carequeue(&cq, &["migrate", "--from", &db, "--to", &url]));
    assert!(out.contains("migrated "), "{out}");
    assert!(out.contains("3 records"), "{out}");
    assert!(
        out.contains(&format!("linked: maria as login maria ({care}_member)")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "linked: kim as login kim ({care}_member, {care}_admin)"
        )),
        "{out}"
    );
    assert!(out.contains("not linked: dev, nobody ("), "{out}");

    // Both stores verify, with the same counts and heads.
    let on_sqlite = sqlite_verify(&cq);
    let on_pg = ok(srv.carequeue(&cq, &["--db", &url, "verify"]));
    assert_eq!(heads(&on_sqlite), heads(&on_pg), "{on_sqlite}\n{on_pg}");
    let counts = |l: &str| {
        l.split(" access entries")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        on_pg.starts_with(&counts(&on_sqlite)),
        "{on_sqlite}\n{on_pg}"
    );
    assert!(on_pg.contains("came from SQLite"), "{on_pg}");
    // An admin login verifies too; the rows are the source's, escapes and all.
    ok(srv.carequeue(&cq, &["--db", &srv.url("kim", &care), "verify"]));
    let names = srv.cluster.psql(
        &care,
        "SELECT string_agg(patient, '|' ORDER BY id) FROM carequeue.records",
    );
    assert_eq!(names, "Zoë Grünewald|Tab\tand back\\slash|Line\nbreak \\N");
    let roles = srv.cluster.psql(
        &care,
        "SELECT string_agg(name || ':' || coalesce(login, '-') || ':' || enabled::text, ' ' ORDER BY name) FROM carequeue.users",
    );
    assert_eq!(
        roles,
        "dev:dev:true kim:kim:true maria:maria:true nobody:root:true"
    );

    // A target that holds records is refused, and left as it was.
    let e = refused(srv.carequeue(&cq, &["migrate", "--from", &db, "--to", &url]));
    assert!(e.contains("already holds 3 record(s)"), "{e}");
    assert_eq!(
        heads(&ok(srv.carequeue(&cq, &["--db", &url, "verify"]))),
        heads(&on_pg)
    );

    // An ops login writes a provider's event by hand, through the
    // server's own function: the server refuses it (the pipeline in force
    // lets only a provider fire it), and the log is as it was.
    let mut maria = srv.login("maria", &care);
    let why = crate::forge::refused(crate::forge::change(
        &mut maria,
        id,
        &crate::forge::Change {
            kind: "transition",
            event: Some("begin_review"),
            from: Some("pending_provider"),
            to: Some("in_review"),
            set: Some(serde_json::json!({ "stage": "in_review" })),
            ..Default::default()
        },
    ));
    assert!(
        why.starts_with("CQ403") && why.contains("role(s) ops may not fire `begin_review`"),
        "{why}"
    );
    ok(srv.carequeue(&cq, &["--db", &url, "verify"]));
    // An ops login may not verify: it cannot read the access log.
    let e = refused(srv.carequeue(&cq, &["--db", &srv.url("maria", &care), "verify"]));
    assert!(e.contains("takes an admin login"), "{e}");
}

#[test]
fn verify_names_an_event_recorded_under_another_login_than_its_actors() {
    if !available("verify_names_an_event_recorded_under_another_login") {
        return;
    }
    let (srv, care2) = server(ClusterRef::shared(), "care2");
    let (cq, id) = source();
    let db = cq.db.to_str().expect("path").to_string();
    let url = srv.url("owner", &care2);
    ok(srv.carequeue(&cq, &["migrate", "--from", &db, "--to", &url]));
    ok(srv.carequeue(&cq, &["--db", &url, "verify"]));
    // The board's kept counts came over with the records (the server's
    // triggers keep them); one changed by hand is named.
    let kept = |sql: &str| srv.cluster.psql(&care2, sql);
    assert_eq!(
        kept(
            "SELECT string_agg(stage || '=' || total || '/' || unassigned, ' ' ORDER BY stage) FROM carequeue.stage_counts"
        ),
        kept(
            "SELECT string_agg(s, ' ' ORDER BY s) FROM (SELECT stage || '=' || count(*) || '/' || count(*) FILTER (WHERE assignee IS NULL) AS s FROM carequeue.records GROUP BY stage) c"
        ),
    );
    let stage = kept("SELECT stage FROM carequeue.records WHERE id = 2");
    kept(&format!(
        "UPDATE carequeue.stage_counts SET total = total + 5 WHERE stage = '{stage}'"
    ));
    let e = refused(srv.carequeue(&cq, &["--db", &url, "verify"]));
    assert!(
        e.contains(&format!("stage {stage}: the kept counts say")),
        "{e}"
    );
    kept(&format!(
        "UPDATE carequeue.stage_counts SET total = total - 5 WHERE stage = '{stage}'"
    ));
    ok(srv.carequeue(&cq, &["--db", &url, "verify"]));
    // Someone past every guard (a superuser) adds an event as maria,
    // written by kim's login.
    srv.cluster.psql(
        &care2,
        &format!(
            "INSERT INTO carequeue.events (id, record_id, at, actor, login, kind, hash)
             SELECT max(id) + 1, {id}, 1793000000, 'maria', 'kim', 'note', '\\x00'::bytea FROM carequeue.events"
        ),
    );
    let e = refused(srv.carequeue(&cq, &["--db", &url, "verify"]));
    assert!(
        e.contains("by `maria`, but written by login `kim`, which acts as `kim`"),
        "{e}"
    );
    // And a log whose append-only trigger was disabled is named as well.
    srv.cluster.psql(
        &care2,
        "ALTER TABLE carequeue.events DISABLE TRIGGER events_append_only",
    );
    let e = refused(srv.carequeue(&cq, &["--db", &url, "verify"]));
    assert!(e.contains("events_append_only"), "{e}");
}

#[test]
fn other_commands_refuse_a_postgres_url_plainly() {
    let cq = Cq::init_default(NOW);
    let out = command()
        .current_dir(cq.dir.path())
        .args([
            "--db",
            "postgres://localhost/care",
            "pipeline",
            "adopt",
            "x.toml",
        ])
        .output()
        .expect("run");
    let e = refused(out);
    assert!(e.contains("does not run on PostgreSQL yet"), "{e}");
    assert!(
        e.contains("so far: init, demo, the console, add, list, show"),
        "{e}"
    );
}
