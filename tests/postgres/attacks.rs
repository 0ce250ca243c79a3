//! A member with `psql`, trying what a hostile colleague would: every
//! table and view of the schema read and written, every function the
//! member role may call called with forged arguments (another user's
//! claim, times in the past and the future, a stage the event does not
//! lead to, kinds kept for the admin paths, ids at the end of the range,
//! the old hash-taking signatures, locks held for a minute). Each attempt
//! is refused; the one accepted by design (what only carequeue's engine
//! computes, a due time) is named by `verify`. The docs' security chapter
//! lists the same attempts.

use crate::common::command;
use crate::common::pg::available;
use crate::forge::{self, Change, create, create_as, refused};
use crate::schema::{Server, server};
use serde_json::json;
use std::time::{Duration, Instant};

/// The relations a member reads whole without a log entry: none names a
/// patient (`stays` holds record ids, stages, times and reason codes, as
/// the log's readable columns do). `records` and `events` are read only in part (below), the read
/// views only under an access entry (see `reads.rs`).
const READABLE: [&str; 8] = [
    "chains",
    "meta",
    "pipelines",
    "rules",
    "stage_counts",
    "stays",
    "stays_dirty",
    "users",
];

/// The columns of `records` and `events` a member reads without a log
/// entry: every one but those that name a patient or say what was done
/// for them (a record's `patient` and `fields`, an event's `note` and
/// `data`).
const RECORD_COLUMNS_HIDDEN: [&str; 2] = ["fields", "patient"];
const EVENT_COLUMNS_HIDDEN: [&str; 2] = ["data", "note"];

/// Every function the member role may execute: the checked paths only.
const CALLABLE: [&str; 32] = [
    "access_entries(text,bigint,bigint,bigint)",
    "begin_change()",
    "delete_view(text)",
    "delivery_cursor(text)",
    "delivery_due(bigint,text[],bigint)",
    "delivery_enqueue(text,text,bigint,bigint,bigint[],bigint)",
    "delivery_lease(text,bigint,bigint)",
    "delivery_release(text)",
    "delivery_requeue(text,bigint,bigint)",
    "delivery_rows(boolean,text,bigint)",
    "delivery_settle(text,text,bigint,text,text,bigint,bigint)",
    "delivery_troubles()",
    "history_rows(bigint)",
    "import_begin()",
    "import_finish()",
    "log_access(text,bigint,text)",
    "may_read_all()",
    "my_views()",
    "pipeline_changes()",
    "record_rows(bigint[])",
    "save_view(text,text,text,text,text,text,text,bigint)",
    "session_actor()",
    "session_admin()",
    "session_login()",
    "stay_events(bigint)",
    "stays_rebuild_end(text,bigint)",
    "stays_rebuild_rows(jsonb)",
    "stays_rebuild_start()",
    "stays_settle(text,bigint,integer,jsonb)",
    "stays_start_empty(text)",
    "write_change(jsonb,bigint,bigint,text,text,text,text,text,text,text,text)",
    "write_system_change(jsonb,bigint,bigint,text,text,text,text,text,text,text,text)",
];

/// `carequeue` as `login` on `s`'s database: whether it passed, and what
/// it printed.
pub(crate) fn run(s: &Server, login: &str, args: &[&str]) -> (bool, String) {
    let mut cmd = command();
    for k in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"] {
        cmd.env_remove(k);
    }
    for (k, v) in &s.vars.0 {
        cmd.env(k, v);
    }
    let url = format!("postgres://{login}@localhost:{}/{}", s.cluster.port, s.db);
    let out = cmd
        .args(["--db", &url])
        .args(args)
        .output()
        .expect("run carequeue");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[track_caller]
pub(crate) fn ok(s: &Server, login: &str, args: &[&str]) -> String {
    let (ok, out) = run(s, login, args);
    assert!(ok, "{args:?}: {out}");
    out
}

/// A team made by carequeue itself: `init` by the owner with the minimal
/// pipeline (the owner its admin), `ann` and `kim` added as `staff` with
/// their logins, and record 1 added by ann.
pub(crate) fn team() -> Server {
    let s = server();
    let minimal = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/minimal.toml");
    ok(&s, "owner", &["--pipeline", minimal, "init"]);
    for (name, login) in [("ann", "ann_login"), ("kim", "kim_login")] {
        ok(
            &s,
            "owner",
            &["user", "add", name, "--role", "staff", "--login", login],
        );
    }
    assert_eq!(ok(&s, "ann_login", &["add", "--patient", "P"]).trim(), "1");
    s
}

#[test]
fn a_member_with_psql_reads_and_forges_only_what_the_server_allows() {
    if !available("a_member_with_psql_reads_and_forges_only_what_the_server_allows") {
        return;
    }
    let s = team();
    let mut owner = s.login("owner");
    let mut ann = s.login("ann_login");
    let mut kim = s.login("kim_login");

    // Every relation: read as the list says, never written.
    let relations: Vec<String> = owner
        .query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'carequeue' AND c.relkind IN ('r', 'v', 'm', 'p')
             ORDER BY 1",
            &[],
        )
        .expect("relations")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(relations.len() >= 10, "{relations:?}");
    let mut readable = Vec::new();
    for rel in &relations {
        if ann
            .batch_execute(&format!("SELECT * FROM {rel} LIMIT 1"))
            .is_ok()
        {
            readable.push(rel.as_str());
        }
        for sql in [
            format!("INSERT INTO {rel} DEFAULT VALUES"),
            format!("DELETE FROM {rel}"),
            format!("TRUNCATE {rel}"),
        ] {
            let why = refused(ann.batch_execute(&sql).map_err(forge::why));
            // A view is no table to truncate.
            let view = rel.ends_with("_read") && sql.starts_with("TRUNCATE");
            assert!(
                why.starts_with("42501") || (view && why.starts_with("42809")),
                "{sql}: {why}"
            );
        }
        let col: String = owner
            .query_one(
                "SELECT attname::text FROM pg_attribute
                 WHERE attrelid = ('carequeue.' || $1)::regclass AND attnum = 1",
                &[rel],
            )
            .expect("a column")
            .get(0);
        let sql = format!("UPDATE {rel} SET \"{col}\" = \"{col}\"");
        let why = refused(ann.batch_execute(&sql).map_err(forge::why));
        assert!(why.starts_with("42501"), "{sql}: {why}");
    }
    assert_eq!(readable, READABLE, "what a member reads unlogged");
    for (table, hidden) in [
        ("records", RECORD_COLUMNS_HIDDEN),
        ("events", EVENT_COLUMNS_HIDDEN),
    ] {
        let cols: Vec<(String, bool)> = owner
            .query(
                "SELECT attname::text,
                        has_column_privilege('ann_login', ('carequeue.' || $1)::regclass,
                                             attname, 'SELECT')
                 FROM pg_attribute
                 WHERE attrelid = ('carequeue.' || $1)::regclass AND attnum > 0
                   AND NOT attisdropped ORDER BY attname",
                &[&table],
            )
            .expect("columns")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let unread: Vec<&str> = cols
            .iter()
            .filter(|(_, may)| !may)
            .map(|(c, _)| c.as_str())
            .collect();
        assert_eq!(unread, hidden, "{table}: the columns a member may not read");
        for col in hidden {
            let sql = format!("SELECT {col} FROM {table} LIMIT 1");
            let why = refused(ann.batch_execute(&sql).map_err(forge::why));
            assert!(why.starts_with("42501"), "{sql}: {why}");
        }
    }

    // Every function the member may call is a checked path.
    let callable: Vec<String> = owner
        .query(
            "SELECT regexp_replace(p.oid::regprocedure::text, '^carequeue\\.', '')
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'carequeue'
               AND has_function_privilege('ann_login', p.oid, 'EXECUTE')",
            &[],
        )
        .expect("functions")
        .iter()
        .map(|r| {
            let f: String = r.get(0);
            f.replace(", ", ",")
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(callable, CALLABLE, "what a member may call");
    forged_deliveries(&mut ann, &mut kim, &mut owner);

    // Another user's claim: kim claims record 1; ann may not take it.
    let claim = |who: &str, from: Option<&'static str>| Change {
        kind: "claim",
        from,
        to: Some(if who == "ann" { "ann" } else { "kim" }),
        set: Some(json!({ "assignee": who })),
        ..Change::default()
    };
    forge::change(&mut kim, 1, &claim("kim", None)).expect("kim claims");
    let why = refused(forge::change(&mut ann, 1, &claim("ann", Some("kim"))));
    assert!(
        why.starts_with("CQ403") && why.contains("held by `kim`"),
        "{why}"
    );
    let why = refused(forge::change(
        &mut ann,
        1,
        &Change {
            kind: "assign",
            ..claim("ann", Some("kim"))
        },
    ));
    assert!(why.starts_with("CQ403"), "{why}");

    // Times: in 2020, before the record existed, and tomorrow.
    let now = forge::server_now(&mut owner);
    for at in [1_577_836_800, now + 86_400] {
        let why = refused(forge::change(
            &mut ann,
            1,
            &Change {
                at: Some(at),
                ..Change::note("dated by me")
            },
        ));
        assert!(
            why.starts_with("CQ403") && why.contains("the server dates it"),
            "{at}: {why}"
        );
    }

    // An event to a stage it does not lead to; one not from this stage.
    let why = refused(forge::change(
        &mut ann,
        1,
        &Change {
            kind: "transition",
            event: Some("start"),
            from: Some("new"),
            to: Some("done"),
            set: Some(json!({ "stage": "done", "entered_at": "@at" })),
            ..Change::default()
        },
    ));
    assert!(
        why.starts_with("CQ403") && why.contains("leads to `active`"),
        "{why}"
    );
    let why = refused(forge::change(
        &mut ann,
        1,
        &Change {
            kind: "transition",
            event: Some("finish"),
            from: Some("new"),
            to: Some("done"),
            set: Some(json!({ "stage": "done", "entered_at": "@at" })),
            ..Change::default()
        },
    ));
    assert!(why.contains("does not lead from stage `new`"), "{why}");
    // Guards: an override is a supervisor's; a timer and an escalation
    // the system's.
    for (kind, event) in [
        ("override", Some("close")),
        ("timer", Some("start")),
        ("escalation", None),
    ] {
        let why = refused(forge::change(
            &mut ann,
            1,
            &Change {
                kind,
                event,
                from: Some("new"),
                to: Some("closed"),
                note: Some("override: because"),
                set: Some(json!({ "stage": "closed", "entered_at": "@at" })),
                ..Change::default()
            },
        ));
        assert!(why.starts_with("CQ403"), "{kind}: {why}");
    }

    // Early warnings: only the system fires them, only a threshold the
    // stage has, and nothing else moves the warning columns.
    let why = refused(forge::change(
        &mut ann,
        1,
        &Change {
            kind: "sla_warning",
            event: Some("50%"),
            set: Some(json!({ "warned": 7200 })),
            ..Change::default()
        },
    ));
    assert!(why.contains("only the system fires warnings"), "{why}");
    let why = refused(forge::change(
        &mut ann,
        1,
        &Change {
            kind: "sla_warning",
            event: Some("50%"),
            set: Some(json!({ "warned": 7200 })),
            function: Some("write_system_change"),
            ..Change::default()
        },
    ));
    assert!(why.contains("has no warning at 7200"), "{why}");
    // Through the system's writer a member may not date the record (the
    // server dates every change) nor carry text to a webhook.
    for (change, says) in [
        (
            Change {
                set: Some(json!({ "warned": 7200, "updated_at": 4_102_444_800_i64 })),
                ..Change::default()
            },
            "its record is dated",
        ),
        (
            Change {
                note: Some("Patient Jane Roe, see <https://evil.example|here>"),
                ..Change::default()
            },
            "names its threshold and nothing else",
        ),
        (
            Change {
                event: Some("<https://evil.example|click>"),
                ..Change::default()
            },
            "names its threshold and nothing else",
        ),
    ] {
        let why = refused(forge::change(
            &mut ann,
            1,
            &Change {
                kind: "sla_warning",
                event: change.event.or(Some("50%")),
                function: Some("write_system_change"),
                set: change.set.or(Some(json!({ "warned": 7200 }))),
                ..change
            },
        ));
        assert!(
            why.starts_with("CQ403") && why.contains(says),
            "{says}: {why}"
        );
    }
    for (set, says) in [
        (json!({ "warned": 999 }), "only a warning or a new stay"),
        (json!({ "warning_at": 1 }), "does not move the next warning"),
    ] {
        let why = refused(forge::change(
            &mut ann,
            1,
            &Change {
                set: Some(set),
                ..Change::note("quietly")
            },
        ));
        assert!(
            why.starts_with("CQ403") && why.contains(says),
            "{says}: {why}"
        );
    }

    // Kinds kept for the admin paths and the import, by a member.
    for kind in [
        "snapshot",
        "rename",
        "import",
        "user",
        "pipeline",
        "pipeline_applied",
        "migrate",
    ] {
        let why = refused(forge::change(
            &mut ann,
            1,
            &Change {
                kind,
                to: Some("done"),
                set: Some(json!({ "stage": "done" })),
                ..Change::default()
            },
        ));
        assert!(why.starts_with("CQ403"), "{kind}: {why}");
    }
    let why = refused(
        ann.batch_execute(
            "SELECT write_admin_change('{}'::jsonb, 1, 0, 'rename', NULL, 'new', 'done', NULL, NULL, NULL, NULL)",
        )
        .map_err(forge::why),
    );
    assert!(why.starts_with("42501"), "{why}");

    // What a change may not touch: the patient's name, fields a note does
    // not set.
    for set in [
        json!({ "patient": "Someone Else" }),
        json!({ "fields": "{\"supply\":\"99\"}" }),
    ] {
        let why = refused(forge::change(
            &mut ann,
            1,
            &Change {
                set: Some(set.clone()),
                ..Change::note("and a little more")
            },
        ));
        assert!(
            why.starts_with("CQ403") && why.contains("may not change"),
            "{set}: {why}"
        );
    }

    // A create straight into a later stage; a create with the last id.
    let why = refused(create_as(&mut ann, None, json!({ "stage": "active" })));
    assert!(
        why.starts_with("CQ403") && why.contains("entry stage"),
        "{why}"
    );
    // A create whose event names another patient than its record.
    let other = json!({ "patient": "Someone Else", "fields": {} }).to_string();
    let why = refused(create_as(&mut ann, None, json!({ "data": other })));
    assert!(
        why.starts_with("CQ403") && why.contains("create event"),
        "{why}"
    );
    assert_eq!(
        create_as(&mut ann, None, json!({ "id": i64::MAX })).map(|r| r.0),
        Ok(2),
        "the server numbers records"
    );
    assert_eq!(
        create(&mut ann, None).map(|r| r.0),
        Ok(3),
        "later adds go on"
    );
    let why = refused(
        ann.batch_execute(&format!(
            "SELECT write_change(jsonb_build_object('id', {}), 1, b.at, 'note', NULL, NULL,
               NULL, NULL, 'x', NULL, NULL) FROM begin_change() b",
            i64::MAX
        ))
        .map_err(forge::why),
    );
    assert!(
        why.starts_with("CQ403") && why.contains("no record"),
        "{why}"
    );

    // The old signatures that took a hash from the client are gone.
    for sql in [
        "SELECT log_access(100, 'show', 1, NULL, '\\x'::bytea, '\\x01'::bytea)",
        "SELECT append_event(1, 100, 'note', NULL, NULL, NULL, NULL, 'hi', NULL, NULL, '\\x'::bytea, '\\x01'::bytea)",
        "SELECT lock_chain('access')",
    ] {
        let why = refused(ann.batch_execute(sql).map_err(forge::why));
        assert!(why.starts_with("42883"), "{sql}: {why}");
    }

    // The log's lock taken by hand and kept, outside any transaction: the
    // next writer ends that session and goes on.
    owner_may_end_stalled_sessions(&s);
    let mut holder = s.login("ann_login");
    holder
        .batch_execute("SELECT pg_advisory_lock(hashtext('carequeue.chain.events'))")
        .expect("a member may take an advisory lock");
    write_despite_a_holder(&mut kim, "after a lock by hand");
    assert!(
        holder.batch_execute("SELECT 1").is_err(),
        "the holder was ended"
    );

    // The head taken by `begin_change` and held while the session sleeps
    // for a minute: writers go on within about half of it.
    let sleeper = {
        let mut c = s.login("ann_login");
        std::thread::spawn(move || {
            // Its own statement timeout off, as an attacker would.
            c.batch_execute("SET statement_timeout = 0")
                .expect("timeout off");
            let mut tx = c.transaction().expect("tx");
            tx.batch_execute("SELECT begin_change()").expect("the head");
            tx.batch_execute("SELECT pg_sleep(60)").map_err(forge::why)
        })
    };
    std::thread::sleep(Duration::from_secs(1));
    let started = Instant::now();
    write_despite_a_holder(&mut kim, "after a sleeper");
    assert!(
        started.elapsed() < Duration::from_secs(55),
        "writers waited out the sleeper"
    );
    let slept = sleeper.join().expect("the sleeper");
    let slept = slept.expect_err("the sleeper's transaction was ended");
    // The server's notice, or the closed socket if that came first.
    assert!(
        slept.starts_with("57P01") || slept.contains("connection closed"),
        "ended by the writer: {slept}"
    );

    // Accepted by design: what carequeue's engine computes (the SLA's due
    // time) is taken as sent. A move with a due time in 2100 is written;
    // verify names the record whose stored state is not its replay.
    forge::change(
        &mut kim,
        1,
        &Change {
            kind: "transition",
            event: Some("start"),
            from: Some("new"),
            to: Some("active"),
            set: Some(json!({
                "stage": "active", "entered_at": "@at",
                "due_at": 4_102_444_800i64, "warn_at": null, "sort_due": 4_102_444_800i64,
            })),
            ..Change::default()
        },
    )
    .expect("a move with a forged due time is written");
    let (passed, out) = run(&s, "owner", &["verify"]);
    assert!(!passed, "{out}");
    assert!(out.contains("record 1"), "{out}");
    // The records made by hand above carry no due time either (the
    // engine gives a new record its SLA): named too, and nothing else.
    let named: Vec<&str> = out
        .lines()
        .map(|l| {
            l.trim_start_matches("error: ")
                .trim()
                .split(" (and ")
                .next()
                .unwrap_or(l)
        })
        .collect();
    assert_eq!(
        named,
        [1, 2, 3]
            .map(|n| format!("record {n}: its due time does not match the replay of its events")),
        "{out}"
    );
}

/// The schema's owner may see and end other sessions (a superuser's
/// grant, as the docs ask of a DBA), so a stalled holder of a log can be
/// ended.
fn owner_may_end_stalled_sessions(s: &Server) {
    s.cluster
        .alter_roles("GRANT pg_read_all_stats, pg_signal_backend TO owner");
}

/// A note on record 1 by `c`, retried while the server says the log is
/// busy (it is, until the stalled holder is ended): at most a minute.
fn write_despite_a_holder(c: &mut postgres::Client, note: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match forge::change(c, 1, &Change::note(note)) {
            Ok(_) => return,
            Err(e) if e.starts_with("55P03") && Instant::now() < deadline => {}
            Err(e) => panic!("{note}: {e}"),
        }
    }
}

/// Delivery state: written only by the lease's holder (its name and its
/// login, a user with a supervising or admin role), a message's record and kind taken from the log, only a pending
/// message settled, and no error text but a status or an error class.
fn forged_deliveries(
    ann: &mut postgres::Client,
    kim: &mut postgres::Client,
    own: &mut postgres::Client,
) {
    let t0: i64 = 1_800_000_000;
    let settle = |c: &mut postgres::Client, holder: &str, seq: i64, status: &str| {
        let error: Option<&str> = (status != "delivered").then_some("HTTP 500");
        let next: Option<i64> = (status == "pending").then_some(t0 + 60);
        c.execute(
            "SELECT carequeue.delivery_settle($1, 'hook', $2, $3, $4, $5, $6)",
            &[&holder, &seq, &status, &error, &next, &t0],
        )
        .map_err(forge::why)
    };
    // A member with no supervising or admin role is no deliverer.
    let why = refused(
        ann.query_one(
            "SELECT holder FROM carequeue.delivery_lease('ann-1', $1, 30)",
            &[&t0],
        )
        .map(|_| ())
        .map_err(forge::why),
    );
    assert!(why.contains("no supervising or admin role"), "{why}");
    // No lease: nothing is queued or settled.
    let why = refused(
        own.execute(
            "SELECT carequeue.delivery_enqueue('own-1', 'hook', NULL, 1, '{1}', $1)",
            &[&t0],
        )
        .map_err(forge::why),
    );
    assert!(why.starts_with("CQ403") && why.contains("lease"), "{why}");
    let holder = |c: &mut postgres::Client, name: &str| -> String {
        c.query_one(
            "SELECT holder FROM carequeue.delivery_lease($1, $2, 30)",
            &[&name, &t0],
        )
        .expect("lease")
        .get(0)
    };
    assert_eq!(holder(own, "own-1"), "own-1");
    assert_eq!(holder(own, "own-2"), "own-1", "one deliverer at a time");
    // Sending again what a receiver refused is a supervisor's or admin's.
    let why = refused(
        ann.execute(
            "SELECT carequeue.delivery_requeue('hook', NULL, $1)",
            &[&t0],
        )
        .map_err(forge::why),
    );
    assert!(why.contains("no supervising or admin role"), "{why}");
    // A clock set a year ahead does not expire the live lease: outside
    // trust mode the server's clock judges it.
    let ahead: String = own
        .query_one(
            "SELECT holder FROM carequeue.delivery_lease('own-2', $1, 30)",
            &[&(t0 + 365 * 86_400)],
        )
        .expect("lease")
        .get(0);
    assert_eq!(ahead, "own-1", "a lease taken over by a clock set ahead");
    // Kim (no supervising or admin role) naming the deliverer is refused.
    let why = refused(
        kim.execute(
            "SELECT carequeue.delivery_enqueue('own-1', 'hook', NULL, 1, '{1}', $1)",
            &[&t0],
        )
        .map_err(forge::why),
    );
    assert!(why.contains("no supervising or admin role"), "{why}");
    // An event that is not one, or past the log's end.
    let last: i64 = ann
        .query_one(
            "SELECT length FROM carequeue.chains WHERE name = 'events'",
            &[],
        )
        .expect("chain")
        .get(0);
    for seqs in [vec![last + 1], vec![0]] {
        let why = refused(
            own.execute(
                "SELECT carequeue.delivery_enqueue('own-1', 'hook', NULL, $2, $3, $1)",
                &[&t0, &(last + 1), &seqs],
            )
            .map_err(forge::why),
        );
        assert!(why.starts_with("CQ403"), "{seqs:?}: {why}");
    }
    let creates: Vec<i64> = ann
        .query(
            "SELECT id FROM carequeue.events WHERE record_id IS NOT NULL ORDER BY id",
            &[],
        )
        .expect("events")
        .iter()
        .map(|r| r.get(0))
        .collect();
    own.execute(
        "SELECT carequeue.delivery_enqueue('own-1', 'hook', NULL, $2, $3, $1)",
        &[&t0, &last, &creates],
    )
    .expect("the holder queues");
    let seq = creates[0];
    refused(settle(kim, "own-1", seq, "delivered"));
    let why = refused(settle(own, "own-1", seq, "sent"));
    assert!(why.starts_with("CQ403"), "{why}");
    let why = refused(own.execute(
        "SELECT carequeue.delivery_settle('own-1', 'hook', $1, 'dead', 'body: <p>Patient P</p>', NULL, $2)",
        &[&seq, &t0],
    ).map_err(forge::why));
    assert!(why.starts_with("23514"), "no response body kept: {why}");
    settle(own, "own-1", seq, "delivered").expect("the holder settles");
    let why = refused(settle(own, "own-1", seq, "delivered"));
    assert!(why.contains("not a pending message"), "{why}");
    let kinds: Vec<(i64, String)> = ann
        .query(
            "SELECT seq, kind FROM carequeue.delivery_rows(false, NULL, 10)",
            &[],
        )
        .expect("rows")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(kinds.iter().all(|(_, k)| k == "create"), "{kinds:?}");
}
