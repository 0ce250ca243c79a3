//! `ingest` at the size the issue names: 10,000 lines with 5 bad ones.
//! The good ones land once, also when the same file is ingested again;
//! each bad one is named by its line, never by a patient; the log
//! verifies. `--atomic` applies all or none.

use crate::common::Cq;

const NOW: &str = "2026-11-02T09:00:00Z";
const BAD: [usize; 5] = [17, 2500, 5000, 7777, 9998];

fn count(cq: &Cq) -> usize {
    cq.json("kim", NOW, &["list", "--json"])
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn ten_thousand_lines_land_once_and_the_five_bad_ones_are_named() {
    let cq = Cq::init_default(NOW);
    cq.ok("nobody", NOW, &["user", "add", "maria", "--role", "ops"]);
    cq.ok(
        "nobody",
        NOW,
        &["user", "add", "kim", "--role", "supervisor"],
    );
    let mut text = String::new();
    for i in 0..10_000usize {
        let line = match BAD.iter().position(|b| *b == i) {
            Some(0) => format!(r#"{{"op":"add","op_id":"a{i}","patient":"","fields":{{}}}}"#),
            Some(1) => format!(
                r#"{{"op":"add","op_id":"a{i}","patient":"Secret Name","fields":{{"state":"ZZ"}}}}"#
            ),
            Some(2) => "{not json".to_string(),
            Some(3) => format!(r#"{{"op":"add","patient":"Secret Name {i}"}}"#),
            Some(_) => format!(
                r#"{{"op":"add","op_id":"a{i}","patient":"Secret Name","fields":{{"dob":[1]}}}}"#
            ),
            None => format!(
                r#"{{"op":"add","op_id":"a{i}","patient":"Pat {i}","fields":{{"state":"TX"}}}}"#
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    let file = cq.dir.path().join("requests.ndjson");
    std::fs::write(&file, text).expect("write");
    let path = file.display().to_string();

    let first = cq.run("maria", NOW, &["ingest", &path]);
    assert_eq!(first.status.code(), Some(1), "a refused line fails the run");
    let out = String::from_utf8_lossy(&first.stdout);
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(
        out.contains("10000 line(s): 9995 done, 0 repeated, 5 refused"),
        "{out}"
    );
    for (b, said) in BAD.iter().zip([
        "`patient` is missing",
        "`state` must be one of",
        "not a JSON object",
        "`op_id` is missing",
        "`fields.dob` is not a string",
    ]) {
        let line = format!("line {}", b + 1);
        let named = err
            .lines()
            .find(|l| l.starts_with(&format!("{line} ")) || l.starts_with(&format!("{line}:")))
            .unwrap_or_else(|| panic!("{line} named: {err}"));
        assert!(named.contains(said), "{named}");
    }
    assert!(!err.contains("Secret"), "no patient in an error: {err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("line ")).count(),
        5,
        "only the bad lines: {err}"
    );
    assert_eq!(count(&cq), 9995);

    let again = cq.run("maria", NOW, &["ingest", &path]);
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(
        out.contains("10000 line(s): 0 done, 9995 repeated, 5 refused"),
        "{out}"
    );
    assert_eq!(count(&cq), 9995, "nothing twice");
    let v = cq.ok("nobody", NOW, &["verify"]);
    assert!(v.starts_with("ok: "), "{v}");
}

#[test]
fn atomic_applies_all_lines_or_none() {
    let cq = Cq::init_default(NOW);
    cq.ok("nobody", NOW, &["user", "add", "maria", "--role", "ops"]);
    cq.ok(
        "nobody",
        NOW,
        &["user", "add", "kim", "--role", "supervisor"],
    );
    let write = |name: &str, lines: &[&str]| {
        let f = cq.dir.path().join(name);
        std::fs::write(&f, lines.join("\n")).expect("write");
        f.display().to_string()
    };
    // Record 1 is made by the first line and acted on by the next ones.
    let good = write(
        "good.ndjson",
        &[
            r#"{"op":"add","op_id":"g1","patient":"Ann Atomic","fields":{"state":"TX"}}"#,
            r#"{"op":"claim","op_id":"g2","record":1}"#,
            r#"{"op":"move","op_id":"g3","record":1,"event":"start_review"}"#,
            r#"{"op":"note","op_id":"g4","record":1,"text":"called"}"#,
        ],
    );
    let bad = write(
        "bad.ndjson",
        &[
            r#"{"op":"add","op_id":"b1","patient":"Bo Atomic","fields":{"state":"TX"}}"#,
            r#"{"op":"move","op_id":"b2","record":1,"event":"no_such_event"}"#,
        ],
    );
    let out = cq.run("maria", NOW, &["ingest", "--atomic", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2 (op b2): "), "{err}");
    assert!(err.contains("no_such_event"), "{err}");
    assert!(err.contains("nothing ingested (--atomic)"), "{err}");
    assert_eq!(count(&cq), 0, "the first line was not kept");

    let json = cq.ok("maria", NOW, &["ingest", "--atomic", "--json", &good]);
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 5, "{json}");
    assert!(
        lines[..4]
            .iter()
            .all(|l| l["outcome"] == "done" && l["record"] == 1)
    );
    assert_eq!(lines[4]["summary"]["done"], 4);
    let r = cq.json("kim", NOW, &["show", "1", "--json"]);
    assert_eq!(r["stage"], "intake_review");
    assert_eq!(r["owner"], "maria");
    // Again: every line repeated, nothing new.
    let json = cq.ok("maria", NOW, &["ingest", "--atomic", "--json", &good]);
    assert!(json.contains(r#""repeated":4"#), "{json}");
    assert_eq!(
        cq.json("kim", NOW, &["show", "1", "--json"])["version"],
        r["version"]
    );
}

/// An operation id reused for another kind of request on the same record
/// is a collision, refused, not a retry passed over as "repeated".
#[test]
fn an_op_id_reused_for_another_kind_of_request_is_refused() {
    let cq = Cq::init_default(NOW);
    cq.ok("nobody", NOW, &["user", "add", "maria", "--role", "ops"]);
    let id = cq.add("maria", NOW, "Reuse Case", &[]);
    let file = cq.dir.path().join("reuse.ndjson");
    std::fs::write(
        &file,
        format!(
            "{{\"op\":\"note\",\"op_id\":\"k1\",\"record\":{id},\"text\":\"first\"}}\n\
             {{\"op\":\"note\",\"op_id\":\"k1\",\"record\":{id},\"text\":\"first\"}}\n\
             {{\"op\":\"move\",\"op_id\":\"k1\",\"record\":{id},\"event\":\"start_review\"}}\n"
        ),
    )
    .expect("write");
    let out = cq.run(
        "maria",
        NOW,
        &["ingest", "--json", &file.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines[0]["outcome"], "done");
    assert_eq!(lines[1]["outcome"], "repeated", "the same request again");
    assert_eq!(lines[2]["outcome"], "refused");
    assert!(
        lines[2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("already used for a `note`")),
        "{:?}",
        lines[2]
    );
    let r = cq.json("maria", NOW, &["show", &id.to_string(), "--json"]);
    assert_eq!(r["stage"], "form_submitted", "the move was not made");
}
