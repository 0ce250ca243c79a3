//! `carequeue import` / `export`: all rows or none, problems named by
//! FILE:ROW:COLUMN without the cell's value, and a lossless CSV round trip.

use crate::common::{Cq, fixture};
use rusqlite::Connection;
use serde_json::Value;
use std::path::Path;

const NOW: &str = "2026-11-26T15:00:00Z";
const LATER: &str = "2026-11-27T15:00:00Z";

/// The team both databases of a round trip share.
fn team(cq: &Cq) {
    for (name, role) in [
        ("sup", "supervisor"),
        ("ann", "ops"),
        ("pete", "provider"),
        ("phil", "pharmacy"),
    ] {
        cq.ok("nobody", NOW, &["user", "add", name, "--role", role]);
    }
}

fn setup() -> Cq {
    let cq = Cq::init_default(NOW);
    team(&cq);
    cq
}

/// (records, events of records) as stored.
fn counts(db: &Path) -> (i64, i64) {
    let c = Connection::open(db).expect("open db");
    let n = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).expect("count") };
    (
        n("SELECT count(*) FROM records"),
        n("SELECT count(*) FROM events WHERE record_id IS NOT NULL"),
    )
}

fn write(cq: &Cq, name: &str, bytes: &[u8]) {
    std::fs::write(cq.dir.path().join(name), bytes).expect("write csv");
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 stderr")
}

/// A clean migration file of `n` rows: stages, owners, sub-statuses, fields.
fn migration_csv(n: usize) -> String {
    let mut s =
        String::from("patient,dob,state,program,days_supply,stage,owner,substatus,entered_at\n");
    let stages = [
        ("form_submitted", "ann", ""),
        ("intake_review", "ann", "missing_id"),
        ("pending_provider", "pete", ""),
        ("rx_sent", "phil", "prior_auth"),
        ("ongoing", "", ""),
        ("lost", "", ""),
    ];
    for i in 0..n {
        let (stage, owner, sub) = stages[i % stages.len()];
        s.push_str(&format!(
            "Patient {i},19{:02}-0{}-1{},CA,weight,{},{stage},{owner},{sub},2026-11-{:02}T09:30:00Z\n",
            50 + i % 40,
            1 + i % 9,
            i % 10,
            30 + i % 60,
            1 + i % 20,
        ));
    }
    s
}

#[test]
fn every_problem_is_reported_and_nothing_is_written() {
    let cq = setup();
    cq.add("ann", NOW, "Existing Patient", &["dob=1970-01-01"]);
    // Line numbers: the header is line 1, so data row k sits on line k + 1.
    let mut csv = String::from("patient,dob,state,stage,owner\n");
    for line in 2..=101 {
        let dob = if line == 57 {
            "1990-13-45"
        } else {
            "1990-01-02"
        };
        let stage = if line == 90 {
            "no_such_stage"
        } else {
            "intake_review"
        };
        csv.push_str(&format!("Secret Name {line},{dob},NY,{stage},ann\n"));
    }
    write(&cq, "data.csv", csv.as_bytes());
    let before = counts(&cq.db);
    let out = cq.run("sup", NOW, &["import", "data.csv"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "two problems and the summary:\n{err}");
    assert!(
        lines[0].starts_with("data.csv:57:dob: "),
        "row 57, column dob:\n{err}"
    );
    assert!(
        lines[1].starts_with("data.csv:90:stage: "),
        "row 90, column stage:\n{err}"
    );
    assert_eq!(lines[2], "error: data.csv: 2 problem(s); nothing imported");
    // The cells' values are patient data: never echoed.
    assert!(!err.contains("1990-13-45"), "{err}");
    assert!(!err.contains("no_such_stage"), "{err}");
    assert!(!err.contains("Secret Name"), "{err}");
    assert_eq!(counts(&cq.db), before, "nothing may be written");
    cq.ok("sup", NOW, &["verify"]);
}

#[test]
fn header_problems_name_the_column() {
    let cq = setup();
    let file = fixture("csv/unknown_column.csv");
    let file = file.to_str().expect("path");
    let out = cq.run("sup", NOW, &["import", file]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{file}:1:favourite_color: unknown column")),
        "{err}"
    );
    assert!(err.contains("nothing imported"), "{err}");

    write(&cq, "nopatient.csv", b"name,dob\nAna,1990-01-01\n");
    let out = cq.run("sup", NOW, &["import", "nopatient.csv"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("nopatient.csv:1:name: unknown column"),
        "{err}"
    );
    assert!(
        err.contains("nopatient.csv:1:patient: missing required column"),
        "{err}"
    );
    assert_eq!(counts(&cq.db), (0, 0));
}

#[test]
fn a_clean_file_imports_every_row() {
    let cq = setup();
    write(&cq, "clean.csv", migration_csv(100).as_bytes());
    let out = cq.ok("sup", NOW, &["import", "clean.csv"]);
    assert_eq!(out.trim(), "imported 100 records");
    let (records, _) = counts(&cq.db);
    assert_eq!(records, 100);
    // Data row 13 (0-based): i % 6 == 1 → intake_review, ann, missing_id.
    let rows = cq.list("sup", NOW, &["--limit", "1000"]);
    let r13 = rows
        .iter()
        .find(|r| r["patient"] == "Patient 13")
        .expect("Patient 13 imported");
    let id = r13["id"].as_i64().expect("id");
    let rec = cq.show("sup", NOW, id);
    assert_eq!(rec["stage"], "intake_review");
    assert_eq!(rec["owner"], "ann");
    assert_eq!(rec["substatus"], "missing_id");
    assert_eq!(rec["sla"], "paused", "missing_id pauses the clock");
    assert_eq!(rec["entered_at"], "2026-11-14T09:30:00Z");
    assert_eq!(rec["fields"]["dob"], "1963-05-13");
    assert_eq!(rec["fields"]["state"], "CA");
    assert_eq!(rec["fields"]["days_supply"], "43");
    let kinds: Vec<&str> = rec["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["create", "pause", "assign"]);
    assert_eq!(rec["version"], 3, "version = number of events");
    assert!(
        rec["history"]
            .as_array()
            .expect("history")
            .iter()
            .all(|h| h["actor"] == "sup")
    );
    // A record in an SLA stage without a pause has a running clock.
    let r2 = rows
        .iter()
        .find(|r| r["patient"] == "Patient 2")
        .expect("Patient 2");
    assert_eq!(r2["stage"], "pending_provider");
    assert_eq!(r2["owner"], "pete");
    assert_ne!(r2["due_at"], Value::Null);
    // The log replays to the stored state.
    cq.ok("sup", NOW, &["verify"]);
}

#[test]
fn import_needs_an_admin_and_owners_the_right_role() {
    let cq = setup();
    write(&cq, "m.csv", migration_csv(6).as_bytes());
    let err = cq.fail("ann", NOW, &["import", "m.csv"]);
    assert!(err.contains("import needs an admin role"), "{err}");
    // Even a plain intake file: only admins import.
    write(&cq, "plain.csv", b"patient,dob\nAna,1990-01-01\n");
    let err = cq.fail("ann", NOW, &["import", "plain.csv"]);
    assert!(err.contains("`ann` holds none"), "{err}");
    assert_eq!(counts(&cq.db).0, 0, "nothing was imported");
    assert_eq!(
        cq.ok("sup", NOW, &["import", "plain.csv"]).trim(),
        "imported 1 records"
    );
    // pete is a provider: he may not own an intake record; terminal stages
    // have no owner; future times and unknown sub-statuses are refused.
    write(
        &cq,
        "bad.csv",
        b"patient,stage,owner,substatus,entered_at\n\
          A,intake_review,pete,,\n\
          B,lost,ann,,\n\
          C,intake_review,,prior_auth,2030-01-01\n\
          D,intake_review,nobody_here,,yesterday\n",
    );
    let out = cq.run("sup", NOW, &["import", "bad.csv"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for want in [
        "bad.csv:2:owner: ",
        "bad.csv:3:owner: ",
        "bad.csv:4:substatus: ",
        "bad.csv:4:entered_at: is in the future",
        "bad.csv:5:owner: is not a user",
        "bad.csv:5:entered_at: must be",
        "error: bad.csv: 6 problem(s); nothing imported",
    ] {
        assert!(err.contains(want), "missing `{want}`:\n{err}");
    }
    assert!(!err.contains("nobody_here"), "{err}");
}

/// Builds a database with real histories: moves, sub-statuses, owners.
fn busy_db() -> Cq {
    let cq = setup();
    let t = |m: u32| format!("2026-11-26T{:02}:{:02}:00Z", 10 + m / 60, m % 60);
    let r1 = cq.add(
        "ann",
        &t(0),
        "Ana \"Nan\" Lee, Jr.\nsecond line",
        &["dob=1980-02-03", "state=CA", "phone=555, 0100"],
    );
    cq.ok("ann", &t(1), &["claim", &r1.to_string()]);
    let r2 = cq.add("ann", &t(2), "Bo", &["program=hair", "days_supply=30"]);
    cq.ok("ann", &t(3), &["move", &r2.to_string(), "start_review"]);
    cq.ok("ann", &t(4), &["substatus", &r2.to_string(), "missing_id"]);
    cq.ok("sup", &t(5), &["assign", &r2.to_string(), "ann"]);
    let r3 = cq.add("ann", &t(6), "Cy", &["state=NY"]);
    let s3 = r3.to_string();
    cq.ok("ann", &t(7), &["move", &s3, "start_review"]);
    cq.ok("ann", &t(8), &["claim", &s3]);
    cq.ok("ann", &t(9), &["move", &s3, "complete_intake"]);
    cq.ok("ann", &t(10), &["move", &s3, "send_to_provider"]);
    cq.ok("pete", &t(11), &["claim", &s3]);
    cq.ok("pete", &t(12), &["move", &s3, "begin_review"]);
    cq.ok(
        "pete",
        &t(13),
        &["move", &s3, "request_info", "--note", "need labs"],
    );
    // needs_more_info starts with a pausing sub-status; clearing it is state too.
    cq.ok("ann", &t(14), &["substatus", &s3, "--clear"]);
    let r4 = cq.add("ann", &t(15), "Di", &[]);
    cq.ok(
        "ann",
        &t(16),
        &["move", &r4.to_string(), "withdraw", "--reason", "duplicate"],
    );
    let r5 = cq.add("ann", &t(17), "Ed", &["dob=1999-09-09"]);
    cq.ok("sup", &t(18), &["assign", &r5.to_string(), "sup"]);
    cq
}

#[test]
fn csv_export_round_trips_into_a_fresh_database() {
    let src = busy_db();
    let exported = src.ok("sup", LATER, &["export"]);
    let mut lines = exported.lines();
    assert_eq!(
        lines.next(),
        Some(
            "id,patient,stage,substatus,owner,entered_at,dob,state,program,phone,fill_date,days_supply,reengagement_attempts"
        )
    );

    let dst = setup();
    write(&dst, "export.csv", exported.as_bytes());
    assert_eq!(
        dst.ok("sup", LATER, &["import", "export.csv"]).trim(),
        "imported 5 records"
    );
    assert_eq!(
        dst.ok("sup", LATER, &["export"]),
        exported,
        "ids, patients, stages, sub-statuses, owners, times and fields survive"
    );
    let a = src.list("sup", LATER, &[]);
    let b = dst.list("sup", LATER, &[]);
    assert_eq!(a.len(), b.len());
    for ra in &a {
        let id = ra["id"].as_i64().expect("id");
        let sa = src.show("sup", LATER, id);
        let sb = dst.show("sup", LATER, id);
        for k in [
            "patient",
            "stage",
            "substatus",
            "owner",
            "fields",
            "entered_at",
        ] {
            assert_eq!(sa[k], sb[k], "record {id}: {k}");
        }
    }
    let s3 = dst.show("sup", LATER, 3);
    assert_eq!(s3["stage"], "needs_more_info");
    assert_eq!(
        s3["substatus"],
        Value::Null,
        "the cleared sub-status stays cleared"
    );
    dst.ok("sup", LATER, &["verify"]);

    // The same file again: its ids are taken, so nothing is duplicated.
    let before = counts(&dst.db);
    let out = dst.run("sup", LATER, &["import", "export.csv"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("export.csv:2:id: a record with this id already exists"),
        "{err}"
    );
    assert_eq!(counts(&dst.db), before);
}

#[test]
fn json_export_carries_histories() {
    let src = busy_db();
    let out = src.ok("sup", LATER, &["export", "--format", "json"]);
    let v: Value = serde_json::from_str(&out).expect("export json");
    let recs = v.as_array().expect("array");
    assert_eq!(recs.len(), 5);
    for r in recs {
        for k in [
            "id",
            "patient",
            "phase",
            "stage",
            "substatus",
            "owner",
            "owner_role",
            "sla",
            "due_at",
            "seconds_left",
            "entered_at",
            "version",
            "fields",
            "history",
        ] {
            assert!(r.get(k).is_some(), "missing `{k}` in {r}");
        }
        let id = r["id"].as_i64().expect("id");
        let shown = src.show("sup", LATER, id);
        assert_eq!(
            r["history"], shown["history"],
            "record {id}: same history as show"
        );
        assert_eq!(
            r["history"].as_array().map(Vec::len),
            r["version"].as_u64().map(|v| v as usize),
            "one history entry per version"
        );
        assert_eq!(r["history"][0]["kind"], "create");
    }
    let r3 = &recs[2];
    let kinds: Vec<&str> = r3["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["kind"].as_str().unwrap_or(""))
        .collect();
    assert!(kinds.contains(&"transition"), "{kinds:?}");
    let empty = setup();
    let v: Value =
        serde_json::from_str(&empty.ok("sup", NOW, &["export", "--format", "json"])).expect("json");
    assert_eq!(v, Value::Array(vec![]));
}

#[test]
fn invalid_utf8_is_an_error_naming_row_and_column() {
    let cq = setup();
    let file = fixture("csv/invalid_utf8.csv");
    let file = file.to_str().expect("path");
    let out = cq.run("sup", NOW, &["import", file]);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "no panic, a clean refusal:\n{err}"
    );
    assert!(
        err.contains(&format!("{file}:3:patient: is not valid UTF-8")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{file}:4:state: is not valid UTF-8")),
        "{err}"
    );
    assert!(err.contains("2 problem(s); nothing imported"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(counts(&cq.db), (0, 0));
}

#[test]
fn names_with_commas_quotes_and_newlines_round_trip() {
    let cq = setup();
    let file = fixture("csv/tricky_names.csv");
    let out = cq.ok("sup", NOW, &["import", file.to_str().expect("path")]);
    assert_eq!(out.trim(), "imported 4 records");
    let want = [
        "Doe, Jane",
        "O'Neil \"Red\" Murphy",
        "Line one\nline two, with comma",
        "Zoë Ünïcödé",
    ];
    for (i, name) in want.iter().enumerate() {
        let rec = cq.show("ann", NOW, i as i64 + 1);
        assert_eq!(rec["patient"], *name);
    }
    assert_eq!(
        cq.show("ann", NOW, 3)["fields"]["phone"],
        "555-0101, ext \"9\""
    );

    let exported = cq.ok("sup", NOW, &["export"]);
    let mut r = csv::Reader::from_reader(exported.as_bytes());
    let names: Vec<String> = r
        .records()
        .map(|row| row.expect("csv row")[1].to_string())
        .collect();
    assert_eq!(names, want);

    let fresh = setup();
    write(&fresh, "e.csv", exported.as_bytes());
    fresh.ok("sup", NOW, &["import", "e.csv"]);
    assert_eq!(fresh.ok("sup", NOW, &["export"]), exported);
}

#[test]
fn an_empty_file_or_header_only_file() {
    let cq = setup();
    write(&cq, "empty.csv", b"");
    let out = cq.run("sup", NOW, &["import", "empty.csv"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("empty.csv:1:patient: missing required column"),
        "{err}"
    );
    write(&cq, "header.csv", b"patient,dob\n");
    assert_eq!(
        cq.ok("sup", NOW, &["import", "header.csv"]).trim(),
        "imported 0 records"
    );
    let err = cq.fail("sup", NOW, &["import", "missing.csv"]);
    assert!(err.contains("cannot read missing.csv"), "{err}");
}

#[test]
fn a_file_without_a_header_is_refused_without_echoing_it() {
    let cq = setup();
    write(
        &cq,
        "nohdr.csv",
        b"Jane Doe,1990-01-01,CA\nJohn Roe,1991-01-01,NY\n",
    );
    let out = cq.run("sup", NOW, &["import", "nohdr.csv"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("nohdr.csv:1:column 1: the first line is not a header"),
        "{err}"
    );
    assert!(!err.contains("Jane") && !err.contains("1990"), "{err}");
    // An unclosed quote in the header swallows rows: not echoed either.
    write(&cq, "open.csv", b"patient,\"dob\nJane Doe,1990-01-01\n");
    let err = stderr(&cq.run("sup", NOW, &["import", "open.csv"]));
    assert!(err.contains("open.csv:1:column 2: unknown column"), "{err}");
    assert!(!err.contains("Jane"), "{err}");
}
