//! Schema steps on a real server: a database laid down by a carequeue that
//! knew step 1 only, with history in it, is refused to a member (who is
//! told which login upgrades it) and brought to the latest step when its
//! owner connects, its chain intact; the team then writes through the
//! step's checked paths. A schema newer than this carequeue is refused.

use crate::common::pg::{Vars, available};
use crate::forge::{self, Change, MINIMAL};
use crate::schema::server;
use carequeue::store::events::{GENESIS, NONE, chain_hash, hex};
use carequeue::store::pg::{self, PgStore, conninfo, schema};

/// Events 1 (the pipeline stored) and 2 (record 1 created), as step 1's
/// writers sealed them: the owner writes the rows and their hashes.
fn step_one_history(owner: &mut postgres::Client) {
    let data = carequeue::engine::replay::create_data("P", &Default::default());
    let mut buf = Vec::new();
    let h1 = chain_hash(
        &mut buf,
        GENESIS,
        [1, 1000],
        None,
        ["own", "pipeline", NONE, NONE, NONE, NONE, NONE, NONE],
    );
    let h2 = chain_hash(
        &mut buf,
        &hex(&h1),
        [2, 1000],
        Some(1),
        ["own", "create", NONE, NONE, "new", NONE, NONE, &data],
    );
    let mut tx = owner.transaction().expect("tx");
    tx.batch_execute(
        "INSERT INTO users (name, login, roles, created_at) VALUES
           ('own', 'owner', 'lead', 0), ('ann', 'ann_login', 'staff', 0);
         INSERT INTO records (id, patient, stage, entered_at, sort_due, created_at, updated_at)
           VALUES (1, 'P', 'new', 1000, 1000, 1000, 1000);",
    )
    .expect("rows");
    tx.execute(
        "INSERT INTO events (id, record_id, at, actor, login, kind, hash)
         VALUES (1, NULL, 1000, 'own', 'owner', 'pipeline', $1)",
        &[&h1.to_vec()],
    )
    .expect("event 1");
    tx.execute(
        "INSERT INTO events (id, record_id, at, actor, login, kind, to_stage, data, hash)
         VALUES (2, 1, 1000, 'own', 'owner', 'create', 'new', $1, $2)",
        &[&data, &h2.to_vec()],
    )
    .expect("event 2");
    tx.execute(
        "INSERT INTO pipelines (version, hash, text, event_id) VALUES (1, 'minimal', $1, 1)",
        &[&MINIMAL],
    )
    .expect("pipeline");
    tx.execute(
        "UPDATE chains SET length = 2, head = $1 WHERE name = 'events'",
        &[&h2.to_vec()],
    )
    .expect("head");
    tx.commit().expect("commit");
}

#[test]
fn a_step_1_database_is_upgraded_by_its_owner_with_its_history_intact() {
    if !available("a_step_1_database_is_upgraded_by_its_owner") {
        return;
    }
    let s = server();
    let mut owner = s.login("owner");
    schema::install_through(&mut owner, false, 1).expect("step 1");
    step_one_history(&mut owner);
    s.cluster.alter_roles(&format!(
        "GRANT {db}_member TO ann_login; GRANT {db}_admin TO owner",
        db = s.db
    ));
    let step = |c: &mut postgres::Client| -> String {
        c.query_one(
            "SELECT value FROM carequeue.meta WHERE key = 'schema_step'",
            &[],
        )
        .expect("step")
        .get(0)
    };
    assert_eq!(step(&mut owner), "1");
    assert_eq!(
        pg::chain::check(&mut owner).map_err(|e| e.to_string()),
        Ok(2)
    );

    let info = |login: &str| {
        let url = format!("postgres://{login}@localhost:{}/{}", s.cluster.port, s.db);
        conninfo::parse(&url, &Vars(s.vars.0.clone())).expect("url")
    };
    // A member first: refused, told who upgrades it; nothing changed.
    let e = PgStore::connect(&info("ann_login"))
        .err()
        .expect("a member may not upgrade")
        .to_string();
    assert!(
        e.contains("schema step 1") && e.contains("its owner (login owner) upgrades it"),
        "{e}"
    );
    assert_eq!(step(&mut owner), "1");

    // The owner: upgraded, the history as it was.
    PgStore::connect(&info("owner")).expect("the owner's connection upgrades");
    assert_eq!(step(&mut owner), schema::LATEST.to_string());
    assert_eq!(
        pg::chain::check(&mut owner).map_err(|e| e.to_string()),
        Ok(2)
    );
    let rules: i64 = owner
        .query_one("SELECT count(*) FROM carequeue.rules", &[])
        .expect("rules")
        .get(0);
    assert_eq!(rules, 1, "the stored pipeline's rules were laid down");
    let handed: String = owner
        .query_one(
            "SELECT indexdef FROM pg_indexes
             WHERE schemaname = 'carequeue' AND indexname = 'records_owner_role'",
            &[],
        )
        .expect("step 4's index on the records handed to a role")
        .get(0);
    assert!(
        handed.contains("(owner_role, sort_due, id) INCLUDE (stage, assignee, warn_at, due_at, paused_since, paused_left) WHERE (owner_role IS NOT NULL)"),
        "{handed}"
    );

    // The team writes through the new step's checked paths: a note is
    // sealed after the old head; a move the rules forbid is refused.
    PgStore::connect(&info("ann_login")).expect("the member connects now");
    let mut ann = s.login("ann_login");
    assert_eq!(
        forge::change(&mut ann, 1, &Change::note("after the upgrade")),
        Ok((1, 3))
    );
    let why = forge::refused(forge::change(
        &mut ann,
        1,
        &Change {
            kind: "transition",
            event: Some("finish"),
            from: Some("new"),
            to: Some("done"),
            set: Some(serde_json::json!({ "stage": "done", "entered_at": "@at" })),
            ..Change::default()
        },
    ));
    assert!(why.starts_with("CQ403"), "{why}");
    assert_eq!(
        pg::chain::check(&mut owner).map_err(|e| e.to_string()),
        Ok(3)
    );

    // A schema newer than this carequeue: refused to everyone.
    s.cluster.psql(
        &s.db,
        &format!(
            "UPDATE carequeue.meta SET value = '{}' WHERE key = 'schema_step'",
            schema::LATEST + 1
        ),
    );
    let e = PgStore::connect(&info("owner"))
        .err()
        .expect("a newer schema is refused")
        .to_string();
    assert!(
        e.contains("newer carequeue") && e.contains("upgrade carequeue"),
        "{e}"
    );
}
