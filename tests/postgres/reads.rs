//! A member reading patient data on PostgreSQL, tried as a hostile
//! colleague with `psql` would: every column that names a patient is
//! refused without an access entry; an entry opens what it names (a
//! record, or every record for a list) and serves only transactions begun
//! after the one that logged it, so rolling the entry back rolls the read
//! back too; a function of one's own in the WHERE clause sees no row of a
//! refused read; a grant ends with the session that logged it. The
//! command line, as a member, reads and changes under entries of its own.

use crate::attacks::{ok, team};
use crate::common::pg::available;
use crate::forge::{self, refused};

/// The access log as the owner reads it: actor, action and record of each
/// entry from `from` on.
fn entries(owner: &mut postgres::Client, from: i64) -> Vec<(String, String, Option<i64>)> {
    owner
        .query(
            "SELECT actor, action, record_id FROM carequeue.access_log WHERE id > $1 ORDER BY id",
            &[&from],
        )
        .expect("access log")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn access_length(owner: &mut postgres::Client) -> i64 {
    owner
        .query_one(
            "SELECT length FROM carequeue.chains WHERE name = 'access'",
            &[],
        )
        .expect("access head")
        .get(0)
}

#[track_caller]
fn refused_with(c: &mut postgres::Client, sql: &str, code: &str) -> String {
    let why = refused(c.batch_execute(sql).map_err(forge::why));
    assert!(why.starts_with(code), "{sql}: {why}");
    why
}

fn patients(c: &mut postgres::Client, sql: &str) -> Vec<String> {
    c.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {}", forge::why(e)))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn a_member_reads_patients_only_under_an_access_entry_committed_first() {
    if !available("a_member_reads_patients_only_under_an_access_entry_committed_first") {
        return;
    }
    let s = team();
    assert_eq!(
        ok(&s, "ann_login", &["add", "--patient", "Second Patient"]).trim(),
        "2"
    );
    let mut owner = s.login("owner");
    let mut kim = s.login("kim_login");
    let start = access_length(&mut owner);

    // Without an entry: no column that names a patient, by any road.
    for sql in [
        "SELECT patient FROM records",
        "SELECT fields FROM records",
        "SELECT * FROM records",
        "SELECT note FROM events",
        "SELECT data FROM events",
        "SELECT * FROM access_log",
    ] {
        refused_with(&mut kim, sql, "42501");
    }
    for sql in [
        "SELECT patient FROM records_read",
        "SELECT count(*) FROM records_read",
        "SELECT note FROM events_read",
        "SELECT * FROM record_rows(ARRAY[1::bigint])",
        "SELECT * FROM history_rows(1)",
    ] {
        let why = refused_with(&mut kim, sql, "CQ401");
        assert!(why.contains("no access entry opens this read"), "{why}");
    }
    // What names no patient stays open: the queue's shape.
    let ids = kim
        .query("SELECT id, stage FROM records ORDER BY id", &[])
        .expect("the columns that name no patient");
    assert_eq!(ids.len(), 2);

    // A function of one's own in the WHERE clause sees no row of a
    // refused read: the gate is decided before the scan reads a row.
    kim.batch_execute(
        "CREATE TEMP SEQUENCE seen;
         CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE sql COST 0.0001
             AS $$ SELECT nextval('pg_temp.seen') > 0 $$",
    )
    .expect("a function of kim's own");
    refused_with(
        &mut kim,
        "SELECT 1 FROM records_read WHERE pg_temp.leak(patient)",
        "CQ401",
    );
    let called: bool = kim
        .query_one("SELECT is_called FROM pg_temp.seen", &[])
        .expect("the sequence")
        .get(0);
    assert!(!called, "the leak saw a row of a refused read");

    // An entry and a read in one transaction, rolled back: the read is
    // refused, since a grant serves only transactions begun after its own.
    {
        let mut tx = kim.transaction().expect("begin");
        tx.query_one("SELECT log_access('list', NULL, 'hidden')", &[])
            .expect("the entry");
        let why = refused(
            tx.batch_execute("SELECT patient FROM records_read")
                .map_err(forge::why),
        );
        assert!(why.starts_with("CQ401"), "{why}");
    }
    assert_eq!(access_length(&mut owner), start, "the entry rolled back");

    // A record's entry opens that record and its history, nothing else.
    kim.query_one("SELECT log_access('show', 1, NULL)", &[])
        .expect("show 1");
    assert_eq!(
        patients(
            &mut kim,
            "SELECT patient FROM record_rows(ARRAY[1::bigint])"
        ),
        ["P"]
    );
    assert!(
        !kim.query("SELECT id FROM history_rows(1)", &[])
            .expect("history of 1")
            .is_empty()
    );
    let why = refused_with(
        &mut kim,
        "SELECT * FROM record_rows(ARRAY[1::bigint, 2::bigint])",
        "CQ401",
    );
    assert!(why.contains("record 2"), "{why}");
    refused_with(&mut kim, "SELECT * FROM history_rows(2)", "CQ401");
    refused_with(&mut kim, "SELECT patient FROM records_read", "CQ401");
    // Another login is not served by kim's entries.
    let mut ann = s.login("ann_login");
    refused_with(
        &mut ann,
        "SELECT * FROM record_rows(ARRAY[1::bigint])",
        "CQ401",
    );

    // A list's entry opens every record to kim's login while the session
    // that logged it lives (another session of the same login included).
    let kim_pid: i32 = kim
        .query_one("SELECT pg_backend_pid()", &[])
        .expect("pid")
        .get(0);
    kim.query_one("SELECT log_access('list', NULL, 'filter: all')", &[])
        .expect("list");
    assert_eq!(
        patients(&mut kim, "SELECT patient FROM records_read ORDER BY id"),
        ["P", "Second Patient"]
    );
    let mut kim2 = s.login("kim_login");
    assert_eq!(
        patients(
            &mut kim2,
            "SELECT note FROM events_read WHERE note IS NOT NULL"
        )
        .len(),
        0
    );
    // ... and no longer once it has ended.
    drop(kim);
    let gone = std::time::Instant::now();
    while owner
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
            &[&kim_pid],
        )
        .expect("activity")
        .get::<_, i64>(0)
        > 0
    {
        assert!(
            gone.elapsed() < std::time::Duration::from_secs(10),
            "kim's session lingers"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    refused_with(&mut kim2, "SELECT patient FROM records_read", "CQ401");
    // A console's close ends the grants of the session that logs it.
    kim2.query_one("SELECT log_access('console-open', NULL, NULL)", &[])
        .expect("open");
    assert_eq!(
        patients(&mut kim2, "SELECT patient FROM records_read ORDER BY id").len(),
        2
    );
    kim2.query_one("SELECT log_access('console-close', NULL, NULL)", &[])
        .expect("close");
    refused_with(&mut kim2, "SELECT patient FROM records_read", "CQ401");

    // Every read made is in the log, by who made it.
    let kim_entries: Vec<(String, Option<i64>)> = entries(&mut owner, start)
        .into_iter()
        .filter(|(actor, _, _)| actor == "kim")
        .map(|(_, action, record)| (action, record))
        .collect();
    assert_eq!(
        kim_entries,
        [
            ("show".to_string(), Some(1)),
            ("list".to_string(), None),
            ("console-open".to_string(), None),
            ("console-close".to_string(), None),
        ]
    );
}

#[test]
fn the_command_line_reads_and_changes_as_a_member_under_entries_of_its_own() {
    if !available("the_command_line_reads_and_changes_as_a_member_under_entries_of_its_own") {
        return;
    }
    let s = team();
    let mut owner = s.login("owner");
    let start = access_length(&mut owner);
    let shown = ok(&s, "kim_login", &["show", "1"]);
    assert!(shown.contains('P'), "{shown}");
    let listed = ok(&s, "kim_login", &["list"]);
    assert!(listed.contains("P"), "{listed}");
    ok(&s, "kim_login", &["note", "1", "called back"]);
    let mine: Vec<(String, Option<i64>)> = entries(&mut owner, start)
        .into_iter()
        .map(|(actor, action, record)| {
            assert_eq!(actor, "kim");
            (action, record)
        })
        .collect();
    assert_eq!(
        mine,
        [
            ("show".to_string(), Some(1)),
            ("list".to_string(), None),
            ("change".to_string(), Some(1)),
        ]
    );
    // The list's entry was committed before the count, so it holds the
    // filter only.
    let detail: String = owner
        .query_one(
            "SELECT detail FROM carequeue.access_log WHERE action = 'list' ORDER BY id DESC LIMIT 1",
            &[],
        )
        .expect("the list's entry")
        .get(0);
    assert!(detail.starts_with("filter: "), "{detail}");
    // The note landed, and the whole log still verifies.
    let shown = ok(&s, "kim_login", &["show", "1"]);
    assert!(shown.contains("called back"), "{shown}");
    ok(&s, "owner", &["verify"]);
}
