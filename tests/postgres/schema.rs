//! The PostgreSQL schema against a real server, as a DBA would check it:
//! installed by a login without superuser, once; application logins read
//! but cannot write any table; the logs refuse UPDATE, DELETE and TRUNCATE
//! even to their owner; writes go through functions that take the actor
//! from the session's login, so no login can write as another; appends to
//! the chain are ordered by its head; only admins link logins.

use crate::common;
use crate::common::pg::{ClusterRef, Opts, Vars, available};
use carequeue::log::{EventKind, NewEvent};
use carequeue::store::pg::{self, conninfo, schema};
use std::collections::BTreeMap;

struct Server {
    cluster: ClusterRef,
    /// This test's database.
    db: String,
    vars: Vars,
    _passwords: common::pg::Passwords,
}

const LOGINS: [&str; 4] = ["owner", "ann_login", "kim_login", "mallory"];

/// A database of the test's own on the binary's shared cluster.
fn server() -> Server {
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
    fn login(&self, login: &str) -> postgres::Client {
        self.try_login(login).expect("connect")
    }

    fn try_login(&self, login: &str) -> Result<postgres::Client, String> {
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

/// A server with the schema installed by `owner`, these (user, login)
/// pairs linked (the non-owner logins granted the member role), and one
/// record to write about.
fn seeded(users: &[(&str, &str)]) -> Server {
    seeded_as(users, false)
}

/// [`seeded`], in trust mode or not.
fn seeded_as(users: &[(&str, &str)], trust: bool) -> Server {
    seeded_on(server(), users, trust)
}

/// [`seeded_as`] on a given server.
fn seeded_on(s: Server, users: &[(&str, &str)], trust: bool) -> Server {
    let mut owner = s.login("owner");
    schema::install(&mut owner, trust).expect("install");
    let mut sql = String::from(
        "INSERT INTO records (id, patient, stage, entered_at, sort_due, created_at, updated_at) \
         VALUES (1, 'P', 'new', 0, 0, 0, 0);",
    );
    let mut grants = Vec::new();
    for (name, login) in users {
        sql.push_str(&format!(
            "INSERT INTO users (name, login, roles, created_at) VALUES ('{name}', '{login}', 'ops', 0);"
        ));
        if *login != "owner" {
            grants.push(*login);
        }
    }
    owner.batch_execute(&sql).expect("seed");
    s.cluster
        .alter_roles(&format!("GRANT {}_member TO {}", s.db, grants.join(", ")));
    s
}

/// The SQLSTATE of a refused statement.
fn refused(r: Result<impl Sized, postgres::Error>) -> String {
    match r {
        Ok(_) => panic!("the statement was allowed"),
        Err(e) => e
            .as_db_error()
            .map(|d| format!("{} {}", d.code().code(), d.message()))
            .unwrap_or_else(|| e.to_string()),
    }
}

fn append(
    c: &mut postgres::Client,
    record: Option<i64>,
    prev: &[u8],
    hash: &[u8],
) -> Result<i64, postgres::Error> {
    c.query_one(
        "SELECT append_event($1, 100, 'note', NULL, NULL, NULL, NULL, 'hi', NULL, NULL, $2, $3)",
        &[&record, &prev, &hash],
    )
    .map(|r| r.get(0))
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
               ('ann', NULL, 'ops', 0), ('kim', 'kim_login', 'supervisor', 0);
             INSERT INTO records (id, patient, stage, entered_at, sort_due, created_at, updated_at)
               VALUES (1, 'P', 'new', 0, 0, 0, 0);",
        )
        .expect("seed");
    s.cluster
        .alter_roles(&format!("GRANT {}_admin TO kim_login", s.db));

    // An admin links a login to a user (a `user` event, event 1); the
    // link grants the member role.
    let mut kim = s.login("kim_login");
    kim.execute(
        "SELECT write_user('ann', 'ops', 'ann_login', true, 0, false, 0, NULL, '\\x'::bytea, '\\x00'::bytea)",
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
        "INSERT INTO users (name, roles, created_at) VALUES ('mallory', 'supervisor', 0)",
        "UPDATE users SET roles = 'supervisor' WHERE name = 'ann'",
        "UPDATE chains SET length = 0",
        "SELECT * FROM access_log",
    ] {
        let why = refused(ann.batch_execute(sql));
        assert!(why.starts_with("42501"), "{sql}: {why}");
    }
    // Nor may a member link logins (that is the admins' function).
    let why = refused(ann.execute(
        "SELECT write_user('kim', 'ops', 'ann_login', true, 0, false, 0, NULL, '\\x00'::bytea, '\\x01'::bytea)",
        &[],
    ));
    assert!(why.contains("42501"), "{why}");
    // Nor call the internal writers that take an actor; and what the
    // system actor writes is the sweep's timers and escalations only.
    for sql in [
        "SELECT append_as('kim', 1, 0, 'note', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '\\x'::bytea, '\\x01'::bytea)",
        "SELECT write_as('kim', '{}'::jsonb, 1, 0, 'note', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '\\x'::bytea, '\\x01'::bytea)",
        "SELECT write_system_change('{}'::jsonb, 1, 0, 'transition', 'approve', NULL, NULL, NULL, NULL, NULL, NULL, '\\x'::bytea, '\\x01'::bytea)",
    ] {
        let why = refused(ann.batch_execute(sql));
        assert!(why.starts_with("42501"), "{sql}: {why}");
    }

    // Nor stage anything but an import's own kinds on its bulk path.
    {
        let mut tx = ann.transaction().expect("tx");
        tx.execute("SELECT import_begin()", &[]).expect("staging");
        tx.batch_execute(
            "INSERT INTO pg_temp.import_events VALUES
               (2, 1, 0, 'transition', 'approve', NULL, NULL, NULL, NULL, NULL, '\\x01')",
        )
        .expect("staged");
        let why = refused(tx.query_one("SELECT import_finish('\\x00'::bytea)", &[]));
        assert!(why.starts_with("42501"), "{why}");
    }

    // Through the function: the actor is the session's user, whatever the
    // client would like.
    let id = append(&mut ann, Some(1), b"\x00", b"h1").expect("append");
    assert_eq!(id, 2);
    let row = owner
        .query_one("SELECT actor, login FROM events WHERE id = 2", &[])
        .expect("event");
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1)),
        ("ann".into(), "ann_login".into())
    );
    // Sealed against a head the chain has left: refused, to be retried.
    let why = refused(append(&mut kim, Some(1), b"\x00", b"h2"));
    assert!(why.starts_with("40001"), "{why}");
    assert_eq!(append(&mut kim, Some(1), b"h1", b"h2").expect("append"), 3);
    let row = owner
        .query_one("SELECT length, head FROM chains WHERE name = 'events'", &[])
        .expect("head");
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, Vec<u8>>(1)),
        (3, b"h2".to_vec())
    );

    // A login linked to no user (granted the member role by hand) cannot write.
    s.cluster
        .alter_roles(&format!("GRANT {}_member TO mallory", s.db));
    let mut mallory = s.login("mallory");
    let why = refused(append(&mut mallory, Some(1), b"h2", b"h3"));
    assert!(why.contains("not an enabled carequeue user"), "{why}");
    // A disabled user neither.
    owner
        .batch_execute("UPDATE users SET enabled = false WHERE name = 'ann'")
        .expect("disable");
    let why = refused(append(&mut ann, Some(1), b"h2", b"h3"));
    assert!(why.contains("not an enabled carequeue user"), "{why}");

    // An access entry, as kim: the actor from the session, like events.
    let n: i64 = kim
        .query_one(
            "SELECT log_access(100, 'show', 1, NULL, '\\x'::bytea, '\\x01'::bytea)",
            &[],
        )
        .expect("log")
        .get(0);
    assert_eq!(n, 1);
    let row = owner
        .query_one("SELECT actor, login FROM access_log WHERE id = 1", &[])
        .expect("entry");
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1)),
        ("kim".into(), "kim_login".into())
    );
    // The logs are append-only for their owner too.
    for sql in [
        "UPDATE events SET actor = 'kim' WHERE id = 1",
        "DELETE FROM events",
        "TRUNCATE events CASCADE",
        "DELETE FROM access_log",
    ] {
        let why = refused(owner.batch_execute(sql));
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
        ("own", "owner"),
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
                    let mut tx = c.transaction().expect("begin");
                    let note = format!("{login} {i}");
                    pg::chain::append(
                        &mut tx,
                        &carequeue::store::events::NewEvent {
                            record_id: Some(1),
                            at: 1000 + i as i64,
                            actor: "someone else",
                            note: Some(&note),
                            ..NewEvent::blank(EventKind::Note)
                        },
                    )
                    .expect("append");
                    tx.commit().expect("commit");
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
        Ok((EACH * LOGINS.len()) as i64)
    );
    // Each login's events carry its own user, whatever the client sent.
    let rows = owner
        .query(
            "SELECT login, actor, count(*) FROM events GROUP BY login, actor ORDER BY login",
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

/// The next report from `l`, waiting at most a generous bound (a liveness
/// check, not a timing).
fn next(l: &pg::live::Listener) -> pg::live::Live {
    l.rx.recv_timeout(std::time::Duration::from_secs(20))
        .expect("the listener reports")
}

fn note(c: &mut postgres::Client, text: &str) -> i64 {
    let mut tx = c.transaction().expect("begin");
    let id = pg::chain::append(
        &mut tx,
        &carequeue::store::events::NewEvent {
            record_id: Some(1),
            at: 1000,
            actor: "",
            note: Some(text),
            ..NewEvent::blank(EventKind::Note)
        },
    )
    .expect("append");
    tx.commit().expect("commit");
    id
}

/// A console's listener hears each commit's new chain length by
/// LISTEN/NOTIFY; when its connection is killed it says so, reconnects by
/// itself and catches up on what it missed.
#[test]
fn live_updates_by_notify_survive_a_killed_connection() {
    use pg::live::{Listener, Live};
    if !available("live_updates_by_notify_survive_a_killed_connection") {
        return;
    }
    let s = seeded(&[("ann", "ann_login"), ("kim", "kim_login")]);
    let url = format!("postgres://ann_login@localhost:{}/{}", s.cluster.port, s.db);
    let info = conninfo::parse(&url, &s.vars).expect("settings");
    let l = Listener::start(info);
    assert_eq!(next(&l), Live::Connected);
    assert_eq!(next(&l), Live::Seq(0), "the catch-up read first");
    let mut kim = s.login("kim_login");
    assert_eq!(note(&mut kim, "one"), 1);
    assert_eq!(next(&l), Live::Seq(1));
    // The listener's connection is killed (ann_login's in this test's
    // database only: the cluster is shared); a change lands meanwhile.
    s.cluster.psql(
        "postgres",
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE usename = 'ann_login' AND datname = '{}'",
            s.db
        ),
    );
    assert!(matches!(next(&l), Live::Lost(_)));
    assert_eq!(note(&mut kim, "two"), 2);
    // Back by itself, and the catch-up brings the change it missed.
    let mut seen = Vec::new();
    loop {
        match next(&l) {
            Live::Seq(n) => {
                seen.push(n);
                if n == 2 {
                    break;
                }
            }
            Live::Connected => seen.push(-1),
            Live::Lost(_) => {}
        }
    }
    assert!(seen.contains(&-1), "it reconnected: {seen:?}");
    assert_eq!(note(&mut kim, "three"), 3);
    assert_eq!(next(&l), Live::Seq(3));
}

fn rec(id: i64, stage: &str, version: i64) -> carequeue::engine::Record {
    carequeue::engine::Record {
        id,
        patient: "P".into(),
        stage: stage.into(),
        substatus: None,
        assignee: None,
        owner_role: None,
        entered_at: 0,
        due_at: None,
        warn_at: None,
        paused_since: None,
        paused_left: None,
        escalation: 0,
        priority: 0,
        breach_reason: None,
        fields: Default::default(),
        created_at: 0,
        updated_at: 0,
        version,
        timer_at: None,
        notify_role: None,
    }
}

fn moved<'a>(op: Option<&'a str>) -> carequeue::store::events::NewEvent<'a> {
    carequeue::store::events::NewEvent {
        record_id: Some(1),
        at: 2000,
        actor: "",
        event: Some("go"),
        op_id: op,
        ..NewEvent::blank(EventKind::Transition)
    }
}

/// A change is its record's new state and its event together, written
/// only over the version it was decided on; a retried op id is not applied
/// twice; eight writers on one record make exactly one change per version.
#[test]
fn changes_are_refused_when_stale_applied_once_and_serialised() {
    use pg::chain::{Written, write};
    if !available("changes_are_refused_when_stale_applied_once_and_serialised") {
        return;
    }
    let s = seeded(&[("ann", "ann_login"), ("kim", "kim_login")]);
    let mut ann = s.login("ann_login");
    let Ok(Written::Applied(first)) =
        write(&mut ann, &rec(1, "review", 2), 1, &moved(Some("op-1"))).map_err(|e| e.to_string())
    else {
        panic!("the first write applies");
    };
    // The same op again (an unknown outcome retried): not applied twice.
    assert_eq!(
        write(&mut ann, &rec(1, "review", 2), 1, &moved(Some("op-1"))).map_err(|e| e.to_string()),
        Ok(Written::Replayed(first))
    );
    // Decided on version 1, now at 2: stale, nothing written.
    let mut kim = s.login("kim_login");
    assert_eq!(
        write(&mut kim, &rec(1, "done", 2), 1, &moved(Some("op-2"))).map_err(|e| e.to_string()),
        Ok(Written::Stale)
    );
    let mut owner = s.login("owner");
    let row = owner
        .query_one("SELECT stage, version FROM records WHERE id = 1", &[])
        .expect("record");
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, i64>(1)),
        ("review".into(), 2)
    );
    assert_eq!(
        pg::chain::check(&mut owner).map_err(|e| e.to_string()),
        Ok(1)
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
                    match write(&mut c, &rec(1, "review", v + 1), v, &moved(None)) {
                        Ok(Written::Applied(_)) => applied += 1,
                        Ok(Written::Stale) => {}
                        other => panic!("{other:?}"),
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
        Ok(1 + applied)
    );
}

/// In a trust-mode database a session acts as another login with SET ROLE
/// (`--as`), which the server allows only into roles its login is a
/// member of; elsewhere SET ROLE changes nothing: the actor is the login's.
#[test]
fn set_role_names_the_actor_only_in_trust_mode() {
    use pg::chain::{Written, write};
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
    assert!(matches!(
        write(&mut kim, &rec(1, "review", 2), 1, &moved(None)).map_err(|e| e.to_string()),
        Ok(Written::Applied(_))
    ));
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
    let why = refused(kim.batch_execute("SET ROLE mallory"));
    assert!(why.contains("42501"), "{why}");
    // Outside trust mode the same SET ROLE changes nothing.
    owner
        .batch_execute("UPDATE meta SET value = 'false' WHERE key = 'trust'")
        .expect("trust off");
    assert!(matches!(
        write(&mut kim, &rec(1, "done", 3), 2, &moved(None)).map_err(|e| e.to_string()),
        Ok(Written::Applied(_))
    ));
    assert_eq!(who(&mut owner), ("kim".into(), "kim_login".into()));
}

/// Four writers while the server is killed with SIGKILL and restarted
/// (fsync on): each retries its change with the same op id until it is
/// acknowledged, reconnecting by itself; afterwards every acknowledged
/// change is there exactly once and the chain is unbroken.
#[test]
fn a_killed_server_loses_no_acknowledged_change_and_applies_none_twice() {
    use pg::chain::{Written, write};
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
                    let id = 100 + w * 1000 + i;
                    let op = format!("w{w}-{i}");
                    let e = carequeue::store::events::NewEvent {
                        record_id: Some(id),
                        at: 3000,
                        actor: "",
                        op_id: Some(&op),
                        ..NewEvent::blank(EventKind::Create)
                    };
                    let mut tries = 0;
                    loop {
                        match write(&mut c, &rec(id, "new", 1), 0, &e) {
                            Ok(w @ (Written::Applied(_) | Written::Replayed(_))) => {
                                outcomes.push(w);
                                break;
                            }
                            Ok(Written::Stale) => panic!("{op}: a new record is never stale"),
                            Err(_) => {
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
    let results: Vec<(Vec<Written>, i64)> = writers
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
        .query_one("SELECT count(*) FROM records WHERE id >= 100", &[])
        .expect("records")
        .get(0);
    assert_eq!(records, 4 * EACH);
    assert_eq!(
        pg::chain::check(&mut owner).map_err(|e| e.to_string()),
        Ok(4 * EACH)
    );
}
