//! The PostgreSQL schema against a real server, as a DBA would check it:
//! installed by a login without superuser, once; application logins read
//! but cannot write any table; the logs refuse UPDATE, DELETE and TRUNCATE
//! even to their owner; writes go through functions that take the actor
//! from the session's login, so no login can write as another; appends to
//! the chain are ordered by its head; only admins link logins.

use crate::common;
use crate::common::pg::{ClusterRef, Opts, Vars, available};
use crate::forge::{self, Change};
use carequeue::store::Heard;
use carequeue::store::pg::{self, conninfo, schema};
use std::collections::BTreeMap;

pub(crate) struct Server {
    pub(crate) cluster: ClusterRef,
    /// This test's database.
    pub(crate) db: String,
    pub(crate) vars: Vars,
    _passwords: common::pg::Passwords,
}

pub(crate) const LOGINS: [&str; 4] = ["owner", "ann_login", "kim_login", "mallory"];

/// A database of the test's own on the binary's shared cluster.
pub(crate) fn server() -> Server {
    server_on(ClusterRef::shared())
}

/// [`server`] on `cluster`.
fn server_on(cluster: ClusterRef) -> Server {
    let passwords = cluster.logins(&LOGINS);
    let db = cluster.database_owned("care", "owner");
    let mut m = BTreeMap::new();
    m.insert("PGPASSFILE", passwords.file.display().to_string());
    m.insert("PGSSLROOTCERT", cluster.ca().display().to_string());
    m.insert("PGSSLMODE", "verify-full".to_string());
    Server {
        cluster,
        db,
        vars: Vars(m),
        _passwords: passwords,
    }
}

impl Server {
    pub(crate) fn login(&self, login: &str) -> postgres::Client {
        self.try_login(login).expect("connect")
    }

    pub(crate) fn try_login(&self, login: &str) -> Result<postgres::Client, String> {
        let url = format!(
            "postgres://{login}@localhost:{}/{}",
            self.cluster.port, self.db
        );
        let info = conninfo::parse(&url, &self.vars).map_err(|e| e.to_string())?;
        let mut c = pg::connect(&info).map_err(|e| e.to_string())?;
        schema::session(&mut c).map_err(|e| e.to_string())?;
        Ok(c)
    }
}

/// A server with the schema installed by `owner` (linked to user `own`, a
/// `lead`, and an admin), the minimal pipeline stored, these (user, login)
/// pairs linked as `staff` (their logins granted the member role), and
/// one record to write about (record 1; events 1 and 2 are the pipeline's
/// and the record's).
pub(crate) fn seeded(users: &[(&str, &str)]) -> Server {
    seeded_as(users, false)
}

/// [`seeded`], in trust mode or not.
pub(crate) fn seeded_as(users: &[(&str, &str)], trust: bool) -> Server {
    seeded_on(server(), users, trust)
}

/// The events a seeded database starts with.
pub(crate) const SEEDED: i64 = 2;

/// [`seeded_as`] on a given server.
pub(crate) fn seeded_on(s: Server, users: &[(&str, &str)], trust: bool) -> Server {
    let mut owner = s.login("owner");
    schema::install(&mut owner, trust).expect("install");
    let mut sql = String::from(
        "INSERT INTO users (name, login, roles, created_at) VALUES ('own', 'owner', 'lead', 0);",
    );
    let mut grants = Vec::new();
    for (name, login) in users {
        sql.push_str(&format!(
            "INSERT INTO users (name, login, roles, created_at) VALUES ('{name}', '{login}', 'staff', 0);"
        ));
        grants.push(*login);
    }
    owner.batch_execute(&sql).expect("seed");
    s.cluster
        .alter_roles(&format!("GRANT {}_admin TO owner", s.db));
    if !grants.is_empty() {
        s.cluster
            .alter_roles(&format!("GRANT {}_member TO {}", s.db, grants.join(", ")));
    }
    forge::store_pipeline(&mut owner);
    assert_eq!(forge::create(&mut owner, None), Ok((1, SEEDED)));
    s
}

/// A note on record 1 by `c`: its event's id.
fn append(c: &mut postgres::Client) -> Result<i64, String> {
    forge::change(c, 1, &Change::note("hi")).map(|(_, e)| e)
}

#[test]
fn a_dba_grade_schema_where_no_login_writes_as_another() {
    if !available("a_dba_grade_schema_where_no_login_writes_as_another") {
        return;
    }
    let s = server();
    let mut owner = s.login("owner");
    schema::install(&mut owner, false).expect("install");
    let again = schema::install(&mut owner, false).expect_err("twice");
    assert!(again.to_string().contains("already holds"), "{again}");
    // The owner's init lays down the first users (its own functions will).
    owner
        .batch_execute(
            "INSERT INTO users (name, login, roles, created_at) VALUES
               ('ann', NULL, 'staff', 0), ('kim', 'kim_login', 'lead', 0);",
        )
        .expect("seed");
    s.cluster
        .alter_roles(&format!("GRANT {}_admin TO kim_login", s.db));
    let mut kim = s.login("kim_login");
    forge::store_pipeline(&mut kim);
    assert_eq!(forge::create(&mut kim, None), Ok((1, 2)));

    // An admin links a login to a user (a `user` event, event 3); the
    // link grants the member role.
    kim.execute(
        "SELECT write_user('ann', 'staff', 'ann_login', true, b.at, NULL) FROM begin_change() b",
        &[],
    )
    .expect("link");
    let mut ann = s.login("ann_login");
    assert_eq!(
        ann.query_one("SELECT count(*) FROM records", &[])
            .expect("read")
            .get::<_, i64>(0),
        1
    );
    // No table is writable to an application login.
    for sql in [
        "INSERT INTO events (id, at, actor, login, kind, hash) VALUES (9, 0, 'kim', 'kim_login', 'note', '\\x00')",
        "UPDATE records SET stage = 'done'",
        "DELETE FROM records",
        "INSERT INTO users (name, roles, created_at) VALUES ('mallory', 'lead', 0)",
        "UPDATE users SET roles = 'lead' WHERE name = 'ann'",
        "UPDATE chains SET length = 0",
        "INSERT INTO rules (version, doc) VALUES (2, '{}')",
        "SELECT * FROM access_log",
    ] {
        let why = forge::refused(ann.batch_execute(sql).map_err(forge::why));
        assert!(why.starts_with("42501"), "{sql}: {why}");
    }
    // Nor may a member link logins (that is the admins' function).
    let why = forge::refused(
        ann.execute(
            "SELECT write_user('kim', 'staff', 'ann_login', true, 0, NULL)",
            &[],
        )
        .map_err(forge::why),
    );
    assert!(why.contains("42501"), "{why}");
    // Nor call the internal writers that take an actor, a chain or a time;
    // and what the system actor writes is the sweep's timers,
    // escalations and warnings only.
    for sql in [
        "SELECT change_as('kim', '{}'::jsonb, 1, 0, 'note', NULL, NULL, NULL, NULL, 'x', NULL, NULL)",
        "SELECT seal_event(1, 0, 'kim', 'note', NULL, NULL, NULL, NULL, 'x', NULL, NULL)",
        "SELECT seal_access('show', 1, NULL)",
        "SELECT take_chain('events')",
        "SELECT set_rules(1, '{}'::jsonb)",
    ] {
        let why = forge::refused(ann.batch_execute(sql).map_err(forge::why));
        assert!(why.starts_with("42501"), "{sql}: {why}");
    }
    let why = forge::refused(forge::change(
        &mut ann,
        1,
        &Change {
            function: Some("write_system_change"),
            ..Change::note("as the system")
        },
    ));
    assert!(
        why.starts_with("CQ403") && why.contains("only timers, escalations and warnings"),
        "{why}"
    );

    // Nor stage anything but an import's own kinds on its bulk path.
    {
        let mut tx = ann.transaction().expect("tx");
        tx.execute("SELECT import_begin()", &[]).expect("staging");
        tx.batch_execute(
            "INSERT INTO pg_temp.import_events VALUES
               (1, 1, 0, 'transition', 'start', 'new', 'active', NULL, NULL, NULL)",
        )
        .expect("staged");
        let why = forge::refused(
            tx.query_one("SELECT import_finish()", &[])
                .map_err(forge::why),
        );
        assert!(why.starts_with("CQ403"), "{why}");
    }
    // Nor import a record whose warnings have fired (a new record's have not),
    // nor call step 2's import past that check.
    {
        let mut tx = ann.transaction().expect("tx");
        tx.execute("SELECT import_begin()", &[]).expect("staging");
        tx.batch_execute(
            r#"INSERT INTO pg_temp.import_records VALUES ('{"id": 99, "warned": 7200}')"#,
        )
        .expect("staged");
        let why = forge::refused(
            tx.query_one("SELECT import_finish()", &[])
                .map_err(forge::why),
        );
        assert!(
            why.starts_with("CQ403") && why.contains("a warning fired"),
            "{why}"
        );
    }
    let why = forge::refused(
        ann.query_one("SELECT import_finish_step2()", &[])
            .map_err(forge::why),
    );
    assert!(why.starts_with("42501"), "{why}");

    // Through the function: the actor is the session's user, whatever the
    // client would like.
    let id = append(&mut ann).expect("append");
    assert_eq!(id, 4);
    let row = owner
        .query_one("SELECT actor, login FROM events WHERE id = 4", &[])
        .expect("event");
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1)),
        ("ann".into(), "ann_login".into())
    );
    // Decided on a version the record has left: refused, to be retried.
    let why = forge::refused(forge::change(
        &mut kim,
        1,
        &Change {
            expected: Some(1),
            ..Change::note("late")
        },
    ));
    assert!(why.starts_with("CQ409"), "{why}");
    assert_eq!(append(&mut kim), Ok(5));
    let row = owner
        .query_one("SELECT length FROM chains WHERE name = 'events'", &[])
        .expect("head");
    assert_eq!(row.get::<_, i64>(0), 5);

    // A login linked to no user (granted the member role by hand) cannot write.
    s.cluster
        .alter_roles(&format!("GRANT {}_member TO mallory", s.db));
    let mut mallory = s.login("mallory");
    let why = forge::refused(append(&mut mallory));
    assert!(why.contains("not an enabled carequeue user"), "{why}");
    // A disabled user neither.
    owner
        .batch_execute("UPDATE users SET enabled = false WHERE name = 'ann'")
        .expect("disable");
    let why = forge::refused(append(&mut ann));
    assert!(why.contains("not an enabled carequeue user"), "{why}");

    // An access entry, as kim: the actor from the session, the time the
    // server's, at the head of the access log (after the entries of the
    // changes' reads above).
    let before: i64 = owner
        .query_one("SELECT length FROM chains WHERE name = 'access'", &[])
        .expect("access head")
        .get(0);
    let n: i64 = kim
        .query_one("SELECT log_access('show', 1, NULL)", &[])
        .expect("log")
        .get(0);
    assert_eq!(n, before + 1);
    let now = forge::server_now(&mut owner);
    let row = owner
        .query_one(
            "SELECT actor, login, at FROM access_log WHERE id = $1",
            &[&n],
        )
        .expect("entry");
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1)),
        ("kim".into(), "kim_login".into())
    );
    assert!(
        (now - row.get::<_, i64>(2)).abs() <= 5,
        "dated by the server"
    );
    // The logs are append-only for their owner too.
    for sql in [
        "UPDATE events SET actor = 'kim' WHERE id = 1",
        "DELETE FROM events",
        "TRUNCATE events CASCADE",
        "DELETE FROM access_log",
    ] {
        let why = forge::refused(owner.batch_execute(sql).map_err(forge::why));
        assert!(why.contains("append-only"), "{sql}: {why}");
    }
    // No superuser was needed: the owner holds no such attribute.
    let row = owner
        .query_one("SELECT rolsuper FROM pg_roles WHERE rolname = 'owner'", &[])
        .expect("role");
    assert!(!row.get::<_, bool>(0));
}

/// Four logins appending at once, each change its own transaction: every
/// append waits its turn on the chain's head, none fails or forks it, the
/// ids run without gaps, and every hash is the one carequeue computes from
/// the content and its predecessor; an edit behind the triggers' back is
/// named.
#[test]
fn concurrent_appends_make_one_unbroken_chain() {
    if !available("concurrent_appends_make_one_unbroken_chain") {
        return;
    }
    let s = seeded(&[
        ("ann", "ann_login"),
        ("kim", "kim_login"),
        ("mal", "mallory"),
    ]);
    const EACH: usize = 50;
    let s = std::sync::Arc::new(s);
    let writers: Vec<_> = LOGINS
        .iter()
        .map(|login| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut c = s.login(login);
                for i in 0..EACH {
                    let note = format!("{login} {i}");
                    forge::change(&mut c, 1, &Change::note(&note)).expect("append");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let mut owner = s.login("owner");
    assert_eq!(
        pg::chain::check(&mut owner).map_err(|e| e.to_string()),
        Ok((EACH * LOGINS.len()) as i64 + SEEDED)
    );
    // Each login's events carry its own user.
    let rows = owner
        .query(
            "SELECT login, actor, count(*) FROM events WHERE kind = 'note'
             GROUP BY login, actor ORDER BY login",
            &[],
        )
        .expect("counts");
    let got: Vec<(String, String, i64)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let n = EACH as i64;
    assert_eq!(
        got,
        vec![
            ("ann_login".into(), "ann".into(), n),
            ("kim_login".into(), "kim".into(), n),
            ("mallory".into(), "mal".into(), n),
            ("owner".into(), "own".into(), n),
        ]
    );
    // A superuser edits a note with the triggers switched off: the chain
    // check names that event.
    s.cluster.psql(
        &s.db,
        "SET session_replication_role = replica; UPDATE carequeue.events SET note = 'edited' WHERE id = 77",
    );
    assert_eq!(
        pg::chain::check(&mut owner).map_err(|e| e.to_string()),
        Err("event 77: its hash does not match its content".into())
    );
}

/// What `store` hears, polled as the console's worker does (every 50 ms)
/// until `want` holds of everything heard so far, within a generous bound
/// (a liveness check, not a timing).
fn hear_until(store: &mut pg::PgStore, what: &str, want: impl Fn(&[Heard]) -> bool) -> Vec<Heard> {
    let start = std::time::Instant::now();
    let mut all = Vec::new();
    while !want(&all) {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{what}: heard only {all:?}"
        );
        all.extend(carequeue::store::Board::heard(store));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    all
}

fn note(c: &mut postgres::Client, text: &str) -> i64 {
    forge::change(c, 1, &Change::note(text)).expect("append").1
}

/// The server sessions `login` holds in this test's database.
fn sessions(s: &Server, login: &str) -> i64 {
    s.cluster
        .psql(
            "postgres",
            &format!(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = '{login}' AND datname = '{}'",
                s.db
            ),
        )
        .trim()
        .parse()
        .expect("a count")
}

/// A console's store hears each commit by LISTEN/NOTIFY on the one
/// session it reads and writes on (the server counts one connection);
/// when that session is killed it says so, connects again by itself,
/// listens again and says it is back (the console then reads everything
/// anew), and goes on hearing.
#[test]
fn live_updates_by_notify_ride_one_session_and_survive_its_kill() {
    use carequeue::store::Board;
    if !available("live_updates_by_notify_ride_one_session_and_survive_its_kill") {
        return;
    }
    let s = seeded(&[("ann", "ann_login"), ("kim", "kim_login")]);
    let url = format!("postgres://ann_login@localhost:{}/{}", s.cluster.port, s.db);
    let info = conninfo::parse(&url, &s.vars).expect("settings");
    let mut store = pg::PgStore::connect(&info).expect("ann's store");
    store.listen().expect("listen");
    let mut kim = s.login("kim_login");
    assert!(store.heard().is_empty(), "nothing yet");
    note(&mut kim, "one");
    hear_until(&mut store, "kim's note", |h| h.contains(&Heard::Changed));
    // Reads and the listening share the one session.
    assert!(!store.stage_counts(0).expect("counts").is_empty());
    assert_eq!(sessions(&s, "ann_login"), 1, "one connection");

    // The session is killed (ann_login's in this test's database only:
    // the cluster is shared); a change lands meanwhile.
    s.cluster.psql(
        "postgres",
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE usename = 'ann_login' AND datname = '{}'",
            s.db
        ),
    );
    note(&mut kim, "two");
    let heard = hear_until(&mut store, "the loss and the return", |h| {
        h.contains(&Heard::Back)
    });
    assert!(
        heard.iter().any(|h| matches!(h, Heard::Lost(_))),
        "the loss was said: {heard:?}"
    );
    assert_eq!(sessions(&s, "ann_login"), 1, "one connection again");
    // Listening again: the next change is heard.
    note(&mut kim, "three");
    hear_until(&mut store, "kim's third note", |h| {
        h.contains(&Heard::Changed)
    });
}

/// A note on record 1 decided on `version`, with op id `op`.
fn noted<'a>(version: i64, op: Option<&'a str>) -> Change<'a> {
    Change {
        expected: Some(version),
        op,
        ..Change::note("seen")
    }
}

/// A change is its record's new state and its event together, written
/// only over the version it was decided on; a retried op id is not applied
/// twice; eight writers on one record make exactly one change per version.
#[test]
fn changes_are_refused_when_stale_applied_once_and_serialised() {
    if !available("changes_are_refused_when_stale_applied_once_and_serialised") {
        return;
    }
    let s = seeded(&[("ann", "ann_login"), ("kim", "kim_login")]);
    let mut ann = s.login("ann_login");
    let first = forge::change(&mut ann, 1, &noted(1, Some("op-1"))).expect("the first write");
    assert_eq!(first, (1, SEEDED + 1));
    // The same op again (an unknown outcome retried): not applied twice,
    // its event named (negated).
    assert_eq!(
        forge::change(&mut ann, 1, &noted(2, Some("op-1"))),
        Ok((1, -(SEEDED + 1)))
    );
    // Decided on version 1, now at 2: stale, nothing written.
    let mut kim = s.login("kim_login");
    let why = forge::refused(forge::change(&mut kim, 1, &noted(1, Some("op-2"))));
    assert!(why.starts_with("CQ409"), "{why}");
    let mut owner = s.login("owner");
    let row = owner
        .query_one("SELECT version FROM records WHERE id = 1", &[])
        .expect("record");
    assert_eq!(row.get::<_, i64>(0), 2);
    assert_eq!(
        pg::chain::check(&mut owner).map_err(|e| e.to_string()),
        Ok(SEEDED + 1)
    );

    // Eight writers racing on the same record, each reading its version
    // and writing the next: every version is written exactly once.
    let s = std::sync::Arc::new(s);
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let s = s.clone();
            std::thread::spawn(move || {
                let login = if w % 2 == 0 { "ann_login" } else { "kim_login" };
                let mut c = s.login(login);
                let mut applied = 0;
                for _ in 0..25 {
                    let v: i64 = c
                        .query_one("SELECT version FROM records WHERE id = 1", &[])
                        .expect("read")
                        .get(0);
                    match forge::change(&mut c, 1, &noted(v, None)) {
                        Ok(_) => applied += 1,
                        Err(e) if e.starts_with("CQ409") => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                applied
            })
        })
        .collect();
    let applied: i64 = workers.into_iter().map(|w| w.join().expect("writer")).sum();
    assert!(applied > 0);
    let v: i64 = owner
        .query_one("SELECT version FROM records WHERE id = 1", &[])
        .expect("record")
        .get(0);
    assert_eq!(v, 2 + applied, "one change per version");
    assert_eq!(
        pg::chain::check(&mut owner).map_err(|e| e.to_string()),
        Ok(SEEDED + 1 + applied)
    );
}

/// In a trust-mode database a session acts as another login with SET ROLE
/// (`--as`), which the server allows only into roles its login is a
/// member of; elsewhere SET ROLE changes nothing: the actor is the login's.
#[test]
fn set_role_names_the_actor_only_in_trust_mode() {
    if !available("set_role_names_the_actor_only_in_trust_mode") {
        return;
    }
    let s = seeded_as(&[("ann", "ann_login"), ("kim", "kim_login")], true);
    // A grant between logins, so it outlives this test's database on the
    // shared cluster: no other test there has kim_login SET ROLE, nor
    // counts on what kim_login may not read.
    s.cluster.alter_roles("GRANT ann_login TO kim_login");
    let mut kim = s.login("kim_login");
    kim.batch_execute("SET ROLE ann_login").expect("set role");
    forge::change(&mut kim, 1, &Change::note("as ann")).expect("write");
    let mut owner = s.login("owner");
    let who = |owner: &mut postgres::Client| -> (String, String) {
        let r = owner
            .query_one(
                "SELECT actor, login FROM events ORDER BY id DESC LIMIT 1",
                &[],
            )
            .expect("event");
        (r.get(0), r.get(1))
    };
    assert_eq!(who(&mut owner), ("ann".into(), "ann_login".into()));
    // Not into a role kim's login is not a member of.
    let why = forge::refused(kim.batch_execute("SET ROLE mallory").map_err(forge::why));
    assert!(why.contains("42501"), "{why}");
    // Outside trust mode the same SET ROLE changes nothing.
    owner
        .batch_execute("UPDATE meta SET value = 'false' WHERE key = 'trust'")
        .expect("trust off");
    forge::change(&mut kim, 1, &Change::note("as kim")).expect("write");
    assert_eq!(who(&mut owner), ("kim".into(), "kim_login".into()));
}

/// Four writers while the server is killed with SIGKILL and restarted
/// (fsync on): each retries its change with the same op id until it is
/// acknowledged, reconnecting by itself; afterwards every acknowledged
/// change is there exactly once and the chain is unbroken.
#[test]
fn a_killed_server_loses_no_acknowledged_change_and_applies_none_twice() {
    if !available("a_killed_server_loses_no_acknowledged_change_and_applies_none_twice") {
        return;
    }
    // A cluster of its own: this test kills and restarts the server, and
    // counts on fsync (the shared cluster runs with fsync off).
    let own = ClusterRef::own(&Opts {
        tcp: true,
        durable: true,
        ..Default::default()
    });
    let s = seeded_on(
        server_on(own),
        &[("ann", "ann_login"), ("kim", "kim_login")],
        false,
    );
    let s = std::sync::Arc::new(s);
    const EACH: i64 = 30;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let writers: Vec<_> = (0..4i64)
        .map(|w| {
            let (s, done) = (s.clone(), done.clone());
            std::thread::spawn(move || {
                let login = if w % 2 == 0 { "ann_login" } else { "kim_login" };
                // The server may be down already: connect as a retry would.
                let connect = || {
                    for _ in 0..400 {
                        if let Ok(c) = s.try_login(login) {
                            return c;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                    panic!("{login}: the server never came back");
                };
                let mut c = connect();
                let mut outcomes = Vec::new();
                let mut retried = 0;
                for i in 0..EACH {
                    let op = format!("w{w}-{i}");
                    let mut tries = 0;
                    loop {
                        match forge::create(&mut c, Some(&op)) {
                            Ok(ids) => {
                                outcomes.push(ids);
                                break;
                            }
                            Err(e) => {
                                assert!(
                                    !e.starts_with("CQ"),
                                    "{op}: a new record is never refused: {e}"
                                );
                                // The server is gone: reconnect and retry
                                // the same op (its outcome is unknown).
                                tries += 1;
                                retried += 1;
                                assert!(tries < 400, "{op}: the server never came back");
                                c = connect();
                            }
                        }
                    }
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                (outcomes, retried)
            })
        })
        .collect();
    // Kill the server once the writers are well under way, and again.
    for at in [20, 70] {
        while done.load(std::sync::atomic::Ordering::SeqCst) < at {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        s.cluster.kill9();
        std::thread::sleep(std::time::Duration::from_millis(300));
        s.cluster.restart();
    }
    let results: Vec<(Vec<(i64, i64)>, i64)> = writers
        .into_iter()
        .map(|w| w.join().expect("writer"))
        .collect();
    let retried: i64 = results.iter().map(|r| r.1).sum();
    assert!(retried > 0, "the kills interrupted writers");
    let acknowledged: usize = results.iter().map(|r| r.0.len()).sum();
    assert_eq!(acknowledged as i64, 4 * EACH, "every change acknowledged");
    let mut owner = s.login("owner");
    let once: i64 = owner
        .query_one(
            "SELECT count(*) FROM (SELECT op_id FROM events WHERE op_id LIKE 'w%' GROUP BY op_id HAVING count(*) = 1) x",
            &[],
        )
        .expect("ops")
        .get(0);
    assert_eq!(
        once,
        4 * EACH,
        "each acknowledged op is in the log exactly once"
    );
    let records: i64 = owner
        .query_one("SELECT count(*) FROM records WHERE id > 1", &[])
        .expect("records")
        .get(0);
    assert_eq!(records, 4 * EACH);
    assert_eq!(
        pg::chain::check(&mut owner).map_err(|e| e.to_string()),
        Ok(4 * EACH + SEEDED)
    );
}
