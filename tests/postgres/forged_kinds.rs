//! `verify` on PostgreSQL against an event of each kind forged by hand: no
//! member can append one (the server judges every write, `attacks.rs`), so
//! the forger here is the one who can, a superuser calling the schema's own
//! sealing function, which computes a correct hash. Each forgery is named
//! with the rule it breaks, as on SQLite (`tests/cli/forged_kinds.rs`,
//! the same table), and three forged into one log are all named.

use crate::common::forged::forgeries;
use crate::common::pg::{ClusterRef, available};
use crate::common::pg_team::{Team, ok};
use carequeue::log::EventKind;
use carequeue::store::events::NewEvent;

/// ann (ops), pat and lee (providers); record 1 just created by ann,
/// record 2 at `in_review` held by pat: the clinic the table forges into.
fn clinic() -> Team {
    let t = Team::of(
        ClusterRef::shared(),
        &[
            ("ann", &["ops"]),
            ("pat", &["provider"]),
            ("lee", &["provider"]),
        ],
        ("ann", &["Jane Roe", "John Doe"]),
    );
    for step in [
        &["move", "2", "start_review"][..],
        &["claim", "2"],
        &["move", "2", "complete_intake"],
        &["move", "2", "send_to_provider"],
    ] {
        ok(&t.as_user("ann", step));
    }
    ok(&t.as_user("pat", &["move", "2", "begin_review"]));
    ok(&t.as_user("pat", &["claim", "2"]));
    t
}

fn text(v: Option<&str>) -> String {
    v.map_or("NULL".to_string(), |s| {
        format!("'{}'", s.replace('\'', "''"))
    })
}

/// The SQL that appends `e` (and, for a create of a record that is not
/// there, its row: a copy of record 1's at the event's stage), dated a
/// second after the log's latest event.
fn forge_sql(e: &NewEvent) -> String {
    let mut sql = String::from("SET search_path = carequeue, pg_temp;");
    if let (EventKind::Create, Some(id), Some(stage)) = (e.kind, e.record_id, e.to) {
        sql.push_str(&format!(
            "CREATE TEMP TABLE f AS SELECT * FROM carequeue.records WHERE id = 1;
             UPDATE f SET id = {id}, stage = '{stage}';
             INSERT INTO carequeue.records SELECT * FROM f WHERE NOT EXISTS
                 (SELECT 1 FROM carequeue.records r WHERE r.id = {id});
             DROP TABLE f;"
        ));
    }
    sql.push_str(&format!(
        "SELECT carequeue.seal_event({}, (SELECT max(at) + 1 FROM carequeue.events), {}, {},
             {}, {}, {}, {}, {}, {}, NULL);",
        e.record_id.map_or("NULL".to_string(), |r| r.to_string()),
        text(Some(e.actor)),
        text(Some(e.kind.as_str())),
        text(e.event),
        text(e.from),
        text(e.to),
        text(e.reason),
        text(e.note),
        text(e.data),
    ));
    sql
}

/// A copy of the clinic's database, made from it as a template.
fn copy(t: &Team, n: usize) -> String {
    let name = format!("{}_f{n}", t.db);
    t.cluster.psql(
        "postgres",
        &format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{}\" OWNER owner",
            t.db
        ),
    );
    name
}

/// `verify` on database `db` as its owner: whether it passed, and what it said.
fn verify(t: &Team, db: &str) -> (bool, String) {
    let url = t
        .url("owner")
        .replace(&format!("/{}", t.db), &format!("/{db}"));
    let out = t.run(&["--db", &url, "verify"]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The events chain's length on `db`.
fn length(t: &Team, db: &str) -> i64 {
    t.cluster
        .psql(
            db,
            "SELECT length FROM carequeue.chains WHERE name = 'events'",
        )
        .trim()
        .parse()
        .expect("a length")
}

#[test]
fn an_event_of_each_kind_forged_on_postgres_is_named() {
    if !available("an_event_of_each_kind_forged_on_postgres_is_named") {
        return;
    }
    let t = clinic();
    let (passed, said) = verify(&t, &t.db.clone());
    assert!(passed, "the clinic verifies: {said}");
    for (n, (what, e, named)) in forgeries().into_iter().enumerate() {
        let db = copy(&t, n);
        t.cluster.psql(&db, &forge_sql(&e));
        let id = length(&t, &db);
        let (passed, said) = verify(&t, &db);
        assert!(!passed, "{what} went unseen: {said}");
        assert!(
            said.contains(&format!("event {id} (record ")) && said.contains(named),
            "{what}: expected event {id} named with `{named}`:\n{said}"
        );
        assert!(!said.contains("Someone Else"), "no patient data: {said}");
        t.cluster
            .psql("postgres", &format!("DROP DATABASE \"{db}\""));
    }
}

#[test]
fn three_events_forged_on_postgres_are_all_named() {
    if !available("three_events_forged_on_postgres_are_all_named") {
        return;
    }
    let t = clinic();
    let picked: Vec<NewEvent> = forgeries()
        .into_iter()
        .filter(|(what, _, _)| {
            [
                "a provider's decision by ops",
                "a claim for someone else",
                "a note by someone who is no user",
            ]
            .contains(what)
        })
        .map(|(_, e, _)| e)
        .collect();
    assert_eq!(picked.len(), 3);
    let before = length(&t, &t.db);
    let sql: String = picked.iter().map(forge_sql).collect();
    t.cluster.psql(&t.db, &sql);
    let (passed, said) = verify(&t, &t.db.clone());
    assert!(!passed, "{said}");
    for id in before + 1..=before + 3 {
        assert!(
            said.contains(&format!("event {id} (record ")),
            "event {id}:\n{said}"
        );
    }
}
