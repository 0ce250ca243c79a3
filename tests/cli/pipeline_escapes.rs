//! No raw terminal escape from any pipeline text, through the real binary.
//! `check` refuses a control character or bidi override in every kind of
//! id (E064) and name or label (E065), at its line and column; `init` and
//! `pipeline apply` refuse such a file; and nothing any of them prints, nor
//! what a database whose stored pipeline was tampered with prints, carries
//! the character raw.

use crate::common;
use crate::common::{Cq, default_pipeline};

const NOW: &str = "2026-11-26T15:00:00Z";

/// (what, text in pipeline.toml, the same with an escape in it, code).
/// The escapes are TOML escapes, so the file still parses.
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "pipeline name",
        r#"name = "Telehealth care pipeline""#,
        r#"name = "Tele\u001b]0;pwned\u0007health""#,
        "E065",
    ),
    (
        "stage id",
        r#"id = "intake_review""#,
        r#"id = "intake\u001b[31m_review""#,
        "E064",
    ),
    (
        "stage name",
        r#"name = "Intake Review""#,
        r#"name = "Intake\u001b[2J Review""#,
        "E065",
    ),
    (
        "phase id",
        r#"id = "intake""#,
        r#"id = "in\u009btake""#,
        "E064",
    ),
    (
        "phase name",
        r#"name = "Clinical Review""#,
        r#"name = "Clinical \u202eweiveR""#,
        "E065",
    ),
    (
        "event",
        r#"event = "start_review""#,
        r#"event = "start\u0008_review""#,
        "E064",
    ),
    (
        "transition label",
        r#"label = "Deny treatment""#,
        r#"label = "Deny\u0007 treatment""#,
        "E065",
    ),
    ("role id", r#"id = "ops""#, r#"id = "o\u007fps""#, "E064"),
    (
        "role name",
        r#"name = "Ops coordinator""#,
        r#"name = "Ops \u001b[5mcoordinator""#,
        "E065",
    ),
    (
        "reason code",
        r#"staffing = "Short-staffed / queue backlog""#,
        r#""staff\u2066ing" = "Short-staffed / queue backlog""#,
        "E064",
    ),
    (
        "reason label",
        r#"staffing = "Short-staffed / queue backlog""#,
        r#"staffing = "Short-staffed\r queue backlog""#,
        "E065",
    ),
    (
        "sub-status id",
        r#"id = "awaiting_patient""#,
        r#"id = "awaiting\u0000patient""#,
        "E064",
    ),
    (
        "sub-status label",
        r#"label = "Awaiting patient""#,
        r#"label = "Awaiting\u001b]8;;http://x\u0007 patient""#,
        "E065",
    ),
    (
        "field label",
        r#"label = "Date of birth""#,
        r#"label = "Date\u200f of birth""#,
        "E065",
    ),
];

/// No control character (but line breaks) and no bidi control.
#[track_caller]
fn assert_clean(text: &str, what: &str) {
    for c in text.chars() {
        assert!(
            c == '\n'
                || !(c.is_control()
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')),
            "{what}: {c:?} reaches the terminal:\n{text}"
        );
    }
}

fn both(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn check_init_and_apply_refuse_escapes_in_every_kind_of_pipeline_text() {
    let source = std::fs::read_to_string(default_pipeline()).expect("pipeline.toml");
    let good = Cq::init_default(NOW);
    for (what, from, to, code) in CASES {
        assert!(
            source.contains(from),
            "{what}: `{from}` not in pipeline.toml"
        );
        let bad = source.replacen(from, to, 1);
        let cq = Cq::new(
            good.dir
                .path()
                .join(format!("{}.toml", what.replace(' ', "_"))),
        );
        std::fs::write(&cq.pipeline, &bad).expect("write pipeline");
        // `check`: the new code at the place of the text.
        let out = cq.run("nobody", NOW, &["check"]);
        let text = both(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {text}");
        let line = bad
            .lines()
            .position(|l| l.contains(to))
            .expect("the changed line")
            + 1;
        let at = format!(".toml:{line}:");
        assert!(
            text.lines()
                .any(|l| l.contains(&at) && l.contains(&format!("error[{code}]"))),
            "{what}: {code} at line {line}:\n{text}"
        );
        assert_clean(&text, &format!("{what}: check"));
        let json = cq.run("nobody", NOW, &["check", "--json"]);
        assert_clean(&both(&json), &format!("{what}: check --json"));
        // `init` refuses the file, printing its problems neutralised.
        let out = cq.run("nobody", NOW, &["init", "--trust"]);
        assert_eq!(out.status.code(), Some(1), "{what}: init");
        assert_clean(&both(&out), &format!("{what}: init"));
        assert!(!cq.db.exists(), "{what}: no database was made");
        // `pipeline apply` on a good database refuses it too.
        let path = cq.pipeline.to_str().expect("path");
        let out = good.run("nobody", NOW, &["pipeline", "apply", path]);
        assert_eq!(out.status.code(), Some(1), "{what}: apply");
        assert_clean(&both(&out), &format!("{what}: apply"));
    }
    // The good database still runs its own pipeline.
    assert!(
        good.ok("nobody", NOW, &["pipeline"])
            .contains("Telehealth care pipeline")
    );
}

#[test]
fn a_tampered_stored_pipeline_prints_no_raw_escape() {
    let cq = Cq::init_default(NOW);
    let id = cq.add("nobody", NOW, "Pat Doe", &[]).to_string();
    let source = std::fs::read_to_string(default_pipeline()).expect("pipeline.toml");
    // Every kind at once, written straight into the stored pipeline: as
    // TOML escapes (E064/E065), and as raw characters (a syntax error).
    let mut escaped = source.clone();
    for (_, from, to, _) in CASES {
        escaped = escaped.replacen(from, to, 1);
    }
    let raw = escaped
        .replace("\\u001b", "\u{1b}")
        .replace("\\u0007", "\u{7}");
    for bad in [escaped, raw] {
        {
            let c = rusqlite::Connection::open(&cq.db).expect("open");
            c.execute("UPDATE pipelines SET text = ?1", [&bad])
                .expect("tamper");
        }
        for args in [
            &["list"][..],
            &["show", id.as_str()],
            &["pipeline"],
            &["audit"],
            &["info"],
            &[],
        ] {
            // Under the stored pipeline: no --pipeline.
            let out = common::command()
                .current_dir(cq.dir.path())
                .arg("--db")
                .arg(&cq.db)
                .args(["--as", "nobody", "--now", NOW])
                .args(args)
                .output()
                .expect("run");
            assert_eq!(out.status.code(), Some(1), "{args:?} runs no such pipeline");
            let text = both(&out);
            assert!(text.contains("error"), "{args:?}: {text}");
            assert_clean(&text, &format!("{args:?}"));
        }
    }
}

#[test]
fn text_written_into_the_database_behind_carequeue_is_neutralised() {
    let cq = Cq::init_default(NOW);
    cq.ok(
        "nobody",
        NOW,
        &["user", "add", "sup", "--role", "supervisor"],
    );
    let id = cq.add("nobody", NOW, "Pat Doe", &[]);
    {
        // Rows written straight into the file (the chain is broken, which
        // `verify` reports; reads still show them).
        let c = rusqlite::Connection::open(&cq.db).expect("open");
        c.execute_batch(
            "UPDATE records SET substatus = 'sub\x1b[31mstatus', owner_role = 'ro\u{202e}le';
             INSERT INTO events (record_id, at, actor, kind, event, from_stage, to_stage, reason, note, hash)
                 VALUES (1, 1764169200, 'act\x1b]0;x\x07or', 'ki\x1b[2Jnd', 'ev\x1b[5ment',
                         'fr\x08om', 'to\x1b[0m', 're\u{2066}ason', 'note', x'00');
             INSERT INTO access_log (at, actor, action, record_id, detail, hash)
                 VALUES (1764169200, 'sup', 'li\x1b[31mst', 1, 'de\x07tail', x'00');",
        )
        .expect("tamper");
    }
    let sid = id.to_string();
    for args in [
        &["show", sid.as_str()][..],
        &["list"],
        &["audit"],
        &["access-log"],
        &["user", "list"],
    ] {
        let out = cq.run("sup", NOW, args);
        let text = both(&out);
        assert!(out.status.success(), "{args:?}: {text}");
        assert_clean(&text, &format!("{args:?}"));
    }
}
