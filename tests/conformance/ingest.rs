//! `ingest` on either store: adds and actions from NDJSON, each line once
//! however often the file is ingested, bad lines named, `--atomic` all or
//! none, and a log that verifies afterwards.

use super::Target;
use serde_json::Value;

fn ingest(t: &Target, file: &str, extra: &[&str]) -> (Option<i32>, Vec<Value>, String) {
    let mut args = vec!["ingest", "--json"];
    args.extend_from_slice(extra);
    args.push(file);
    let out = t.run("maria", &args);
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    (
        out.status.code(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn ingested(t: &Target) {
    let kind = t.kind();
    let id = t.add("maria", "Existing Ingest");
    let sid = id.to_string();
    let lines = [
        r#"{"op":"add","op_id":"i1","patient":"Ina Form","fields":{"state":"TX","program":"weight"}}"#.to_string(),
        r#"{"op":"add","op_id":"i2","patient":"Ola Form","fields":{"colour":"red"}}"#.to_string(),
        format!(r#"{{"op":"claim","op_id":"i3","record":{sid}}}"#),
        format!(r#"{{"op":"note","op_id":"i4","record":{sid},"text":"form received"}}"#),
        format!(r#"{{"op":"move","op_id":"i5","record":{sid},"event":"start_review"}}"#),
        format!(r#"{{"op":"move","op_id":"i6","record":{sid},"event":"no_such"}}"#),
    ];
    let file = t.cq.dir.path().join("in.ndjson");
    std::fs::write(&file, lines.join("\n")).expect("write");
    let file = file.display().to_string();

    let (code, out, err) = ingest(t, &file, &[]);
    assert_eq!(code, Some(1), "{kind}: {err}");
    let outcome = |i: usize| out[i]["outcome"].as_str().unwrap_or("").to_string();
    assert_eq!(
        (0..6).map(outcome).collect::<Vec<_>>(),
        ["done", "refused", "done", "done", "done", "refused"],
        "{kind}: {out:?}"
    );
    assert!(
        out[1]["error"]
            .as_str()
            .unwrap_or("")
            .contains("unknown field `colour`")
    );
    assert!(out[5]["error"].as_str().unwrap_or("").contains("no_such"));
    assert_eq!(out[6]["summary"]["done"], 4, "{kind}");
    let new = out[0]["record"].as_i64().expect("the new record");
    let r = t.json("kim", &["show", &new.to_string(), "--json"]);
    assert_eq!(r["patient"], "Ina Form", "{kind}");
    assert_eq!(r["fields"]["state"], "TX");
    let r = t.json("kim", &["show", &sid, "--json"]);
    assert_eq!(r["stage"], "intake_review", "{kind}");
    assert_eq!(r["owner"], "maria");
    let version = r["version"].clone();

    // The same file again: the good lines repeated, nothing applied twice.
    let (_, again, _) = ingest(t, &file, &[]);
    assert_eq!(again[6]["summary"]["repeated"], 4, "{kind}: {again:?}");
    assert_eq!(again[6]["summary"]["done"], 0);
    assert_eq!(again[0]["record"], new, "the same record");
    assert_eq!(t.json("kim", &["show", &sid, "--json"])["version"], version);

    // All or none.
    let bad = t.cq.dir.path().join("atomic.ndjson");
    std::fs::write(
        &bad,
        [
            r#"{"op":"add","op_id":"x1","patient":"Una Atomic","fields":{"state":"TX"}}"#
                .to_string(),
            format!(r#"{{"op":"release","op_id":"x2","record":{new}}}"#),
        ]
        .join("\n"),
    )
    .expect("write");
    let before = t
        .json("kim", &["list", "--json"])
        .as_array()
        .map_or(0, Vec::len);
    let (code, out, err) = ingest(t, &bad.display().to_string(), &["--atomic"]);
    assert_eq!(code, Some(1), "{kind}");
    assert!(err.contains("line 2 was refused"), "{kind}: {err}");
    assert!(err.contains("nothing ingested"), "{err}");
    // With --json, the refused line and a summary that applied nothing.
    assert_eq!(out.len(), 2, "{kind}: {out:?}");
    assert_eq!(out[0]["line"], 2);
    assert_eq!(out[0]["op_id"], "x2");
    assert_eq!(out[0]["outcome"], "refused");
    assert_eq!(out[1]["summary"]["done"], 0);
    let after = t
        .json("kim", &["list", "--json"])
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(after, before, "{kind}: the add rolled back");
    let v = t.verify();
    assert!(v.starts_with("ok: "), "{kind}: {v}");
}
