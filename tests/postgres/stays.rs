//! The stays table on PostgreSQL (issue 25): every write through
//! carequeue settles the stays of the records it wrote, so the audit
//! answers from them; a member with `psql` cannot write a stay of a record
//! no event was appended about, nor rebuild the table without a logged
//! read of the whole log; a row edited by the owner is named by `verify`;
//! a calendar change leaves the table stale (the audit reads the log and
//! says so) until `stays rebuild`.

use crate::attacks::{ok, run, team};
use crate::common::pg::available;
use crate::forge::{self, refused};
use serde_json::Value;

fn json(s: &str) -> Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("{e}: {s}"))
}

#[test]
fn stays_are_settled_by_the_writes_and_guarded_from_members() {
    if !available("stays_are_settled_by_the_writes_and_guarded_from_members") {
        return;
    }
    let s = team();
    ok(&s, "ann_login", &["add", "--patient", "Q"]);
    ok(&s, "ann_login", &["claim", "2"]);
    let status = json(&ok(&s, "ann_login", &["stays", "status", "--json"]));
    assert_eq!(status["state"], "current", "{status}");
    assert_eq!(status["rows"], 2, "{status}");
    let audit = json(&ok(&s, "ann_login", &["audit", "--json"]));
    assert_eq!(audit["stays"], "stays", "{audit}");
    assert_eq!(audit["records"], 2);

    let mut owner = s.login("owner");
    let key: String = owner
        .query_one(
            "SELECT value FROM carequeue.meta WHERE key = 'stays_key'",
            &[],
        )
        .expect("the key")
        .get(0);
    let mut ann = s.login("ann_login");
    ann.batch_execute("SET search_path = carequeue")
        .expect("path");
    // A stay of a record no event was appended about.
    let forged = r#"[{"record_id":1,"visit":1,"stage":"new","entered_at":0,"paused":0,
        "paused_after_action":0,"assigned":false,"re_entry":false,"ever_active":false,"events":1}]"#;
    let why = refused(
        ann.query_one(
            "SELECT stays_settle($1, 1, 1, $2::text::jsonb)",
            &[&key, &forged],
        )
        .map_err(forge::why),
    );
    assert!(why.contains("only after an event about it"), "{why}");
    // Rows of a rebuild never started, and a rebuild without the logged
    // read of every record a rebuild is.
    let why = refused(
        ann.query_one("SELECT stays_rebuild_rows($1::text::jsonb)", &[&forged])
            .map_err(forge::why),
    );
    assert!(why.contains("no rebuild of the stays was started"), "{why}");
    let why = refused(
        ann.query_one("SELECT stays_rebuild_start()", &[])
            .map_err(forge::why),
    );
    assert!(why.contains("no access entry opens this read"), "{why}");
    let rows: i64 = owner
        .query_one("SELECT count(*) FROM carequeue.stays", &[])
        .expect("count")
        .get(0);
    assert_eq!(rows, 2, "nothing was written");

    // The owner edits a stay by hand: verify names it.
    ok(&s, "owner", &["verify"]);
    owner
        .batch_execute(
            "UPDATE carequeue.stays SET entered_at = entered_at - 60 WHERE record_id = 2",
        )
        .expect("edit");
    let (passed, out) = run(&s, "owner", &["verify"]);
    assert!(!passed, "{out}");
    assert!(
        out.contains("record 2: its stays from visit 1 on do not match a rebuild from its events"),
        "{out}"
    );
    ok(&s, "owner", &["stays", "rebuild"]);
    ok(&s, "owner", &["verify"]);
}

#[test]
fn a_calendar_change_leaves_the_stays_stale_until_a_rebuild() {
    if !available("a_calendar_change_leaves_the_stays_stale_until_a_rebuild") {
        return;
    }
    let s = team();
    let minimal = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/minimal.toml"
    ))
    .expect("minimal");
    let sla = r#"sla = { max = "4h", warn = "3h", calendar = "office" }"#;
    assert!(minimal.contains(sla));
    let changed = minimal.replacen(sla, r#"sla = { max = "4h", warn = "3h" }"#, 1);
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("next.toml");
    std::fs::write(&file, &changed).expect("write");
    ok(
        &s,
        "owner",
        &["pipeline", "apply", file.to_str().expect("path")],
    );

    let status = json(&ok(&s, "owner", &["stays", "status", "--json"]));
    assert_eq!(status["state"], "stale", "{status}");
    // A member's write does not settle under a stale key (nor fail).
    ok(&s, "ann_login", &["note", "1", "called"]);
    // Both audits as of one instant, so open stays measure alike.
    let at = ["--now", "2031-01-06T12:00:00Z", "audit", "--json"];
    let audit = json(&ok(&s, "ann_login", &at));
    assert_eq!(audit["stays"], "rebuilding", "{audit}");

    ok(&s, "owner", &["stays", "rebuild"]);
    let status = json(&ok(&s, "owner", &["stays", "status", "--json"]));
    assert_eq!(status["state"], "current", "{status}");
    let after = json(&ok(&s, "ann_login", &at));
    assert_eq!(after["stays"], "stays", "{after}");
    let strip = |mut v: Value| {
        v.as_object_mut().expect("object").remove("stays");
        v
    };
    assert_eq!(strip(after), strip(audit));
    ok(&s, "owner", &["verify"]);
}
