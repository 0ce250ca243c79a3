//! Changing the pipeline through the real binary: `pipeline diff` on a
//! renamed, a tightened and a removed stage; `pipeline apply` carrying
//! records through a rename (one event each, clocks unchanged, the audit
//! keeping the stage's past), refusing what it would strand with counts,
//! re-timing open records on an SLA change; `verify` across versions.

use crate::common::{Cq, default_pipeline};
use serde_json::Value;
use std::path::PathBuf;

const T0: &str = "2026-03-02T14:00:00Z";
const T1: &str = "2026-03-02T15:00:00Z";
const T2: &str = "2026-03-02T16:00:00Z";
const T3: &str = "2026-03-02T17:00:00Z";

fn base() -> String {
    std::fs::read_to_string(default_pipeline()).expect("default pipeline")
}

/// Writes a variant of the default pipeline beside the database.
fn variant(cq: &Cq, name: &str, text: &str) -> String {
    let path: PathBuf = cq.dir.path().join(name);
    std::fs::write(&path, text).expect("write pipeline");
    path.display().to_string()
}

fn renamed() -> String {
    base()
        .replace("\"intake_review\"", "\"intake_triage\"")
        .replacen(
            "id = \"intake_triage\"\n",
            "id = \"intake_triage\"\nrenamed_from = [\"intake_review\"]\n",
            1,
        )
}

fn tightened(text: &str) -> String {
    let from = "sla = { max = \"8h\", warn = \"75%\", calendar = \"clinic_hours\" }";
    assert!(text.contains(from));
    text.replace(
        from,
        "sla = { max = \"4h\", warn = \"75%\", calendar = \"clinic_hours\" }",
    )
}

/// The default pipeline without `intake_review`: intake goes straight on.
fn removed() -> String {
    let text = base();
    let start = text
        .find("[[stages]]\nid = \"intake_review\"")
        .expect("stage");
    let end = start + text[start + 1..].find("[[stages]]").expect("next stage") + 1;
    let mut out = format!("{}{}", &text[..start], &text[end..]);
    let t = out
        .find("[[transitions]]\nevent = \"complete_intake\"")
        .expect("t");
    let t_end = t + out[t + 1..].find("[[transitions]]").expect("next") + 1;
    out.replace_range(t..t_end, "");
    out.replace("to = \"intake_review\"", "to = \"intake_complete\"")
}

/// `n` records moved into `intake_review` by the ops user `ann`.
fn in_intake_review(cq: &Cq, n: usize) -> Vec<i64> {
    cq.ok("nobody", T0, &["user", "add", "ann", "--role", "ops"]);
    (0..n)
        .map(|i| {
            let id = cq.add("ann", T0, &format!("Patient {i}"), &["state=NY"]);
            cq.ok("ann", T0, &["move", &id.to_string(), "start_review"]);
            id
        })
        .collect()
}

fn stage_change<'a>(diff: &'a Value, id: &str) -> &'a Value {
    diff["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["area"] == "stage" && c["id"] == id)
        .unwrap_or_else(|| panic!("no change to stage {id}: {diff:#}"))
}

#[test]
fn diff_names_a_renamed_a_tightened_and_a_removed_stage_with_their_records() {
    let cq = Cq::init_default(T0);
    in_intake_review(&cq, 3);

    let file = variant(&cq, "renamed.toml", &renamed());
    let d = cq.json("nobody", T1, &["pipeline", "diff", &file, "--json"]);
    let c = stage_change(&d, "intake_review");
    assert_eq!(c["change"], "renamed", "{c}");
    assert_eq!(c["records"], 3, "{c}");
    assert_eq!(d["moves"][0]["to"], "intake_triage");
    assert_eq!(d["would_apply"], true);
    // A rename alone is no change to the transitions that name the stage.
    assert!(
        !d["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .any(|c| c["area"] == "transition"),
        "{d:#}"
    );
    let text = cq.ok("nobody", T1, &["pipeline", "diff", &file]);
    let row = text
        .lines()
        .find(|l| l.contains("intake_review"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("renamed") && row.contains(" 3 "), "{row}");

    let file = variant(&cq, "tight.toml", &tightened(&base()));
    let d = cq.json("nobody", T1, &["pipeline", "diff", &file, "--json"]);
    let c = stage_change(&d, "intake_review");
    assert_eq!(c["change"], "changed");
    assert_eq!(c["records"], 3);
    let detail = c["detail"].as_str().expect("detail");
    assert!(
        detail.contains("SLA 8h00m") && detail.contains("4h00m"),
        "{detail}"
    );
    assert!(detail.contains("re-timed"), "{detail}");

    let file = variant(&cq, "removed.toml", &removed());
    let d = cq.json("nobody", T1, &["pipeline", "diff", &file, "--json"]);
    assert_eq!(stage_change(&d, "intake_review")["change"], "removed");
    assert_eq!(d["would_apply"], false);
    let stranded = d["stranded"][0].as_str().expect("stranded");
    assert!(
        stranded.starts_with("3 record(s) in stage `intake_review`"),
        "{stranded}"
    );
    let mapped = cq.json(
        "nobody",
        T1,
        &[
            "pipeline",
            "diff",
            &file,
            "--map",
            "intake_review=intake_complete",
            "--json",
        ],
    );
    assert_eq!(mapped["would_apply"], true, "{mapped:#}");
    assert_eq!(mapped["moves"][0]["by"], "map");
}

#[test]
fn a_rename_carries_records_with_one_event_each_their_clocks_and_past_kept() {
    let mut cq = Cq::init_default(T0);
    let ids = in_intake_review(&cq, 2);
    let before = cq.show("ann", T1, ids[0]);
    let audit_before = cq.json("nobody", T1, &["audit", "--json"]);
    let entered_before = audit_stage(&audit_before, "intake_review")["entered"].clone();

    let file = variant(&cq, "renamed.toml", &renamed());
    let out = cq.ok("nobody", T1, &["pipeline", "apply", &file]);
    assert!(
        out.contains("applied as version 2: 2 record(s) carried"),
        "{out}"
    );
    cq.pipeline = file.into();

    let after = cq.show("ann", T2, ids[0]);
    assert_eq!(after["stage"], "intake_triage");
    for key in ["entered_at", "due_at", "created_at"] {
        assert_eq!(after[key], before[key], "{key} must not change");
    }
    let history = after["history"].as_array().expect("history");
    assert_eq!(
        history.len(),
        before["history"].as_array().expect("history").len() + 1
    );
    let last = history.last().expect("event");
    assert_eq!(last["kind"], "rename");
    assert_eq!(last["from"], "intake_review");
    assert_eq!(last["to"], "intake_triage");

    // The audit keeps the stage's past under its new id.
    let audit = cq.json("nobody", T2, &["audit", "--json"]);
    assert_eq!(
        audit_stage(&audit, "intake_triage")["entered"],
        entered_before
    );

    // Work goes on under the new id, and the log replays.
    let id = ids[0].to_string();
    cq.ok("ann", T2, &["claim", &id]);
    cq.ok("ann", T2, &["move", &id, "complete_intake"]);
    let v = cq.ok("nobody", T2, &["verify"]);
    assert!(v.starts_with("ok:"), "{v}");
}

fn audit_stage<'a>(audit: &'a Value, id: &str) -> &'a Value {
    audit["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["stage"] == id)
        .unwrap_or_else(|| panic!("no audit row for {id}"))
}

#[test]
fn apply_refuses_what_it_would_strand_with_counts_and_changes_nothing() {
    let mut cq = Cq::init_default(T0);
    let ids = in_intake_review(&cq, 2);
    for id in &ids {
        cq.ok("ann", T0, &["substatus", &id.to_string(), "missing_id"]);
    }
    let versions = |cq: &Cq| {
        cq.json("nobody", T1, &["pipeline", "history", "--json"])
            .as_array()
            .expect("history")
            .len()
    };

    let no_sub = base().replace(
        "  { id = \"missing_id\", label = \"Missing photo ID\", pauses = true },\n",
        "",
    );
    let file = variant(&cq, "nosub.toml", &no_sub);
    let err = cq.fail("nobody", T1, &["pipeline", "apply", &file]);
    assert!(
        err.contains("2 record(s) in stage `intake_review` have sub-status `missing_id`"),
        "{err}"
    );

    let no_ny = base().replace("\"NY\", ", "");
    let file = variant(&cq, "nony.toml", &no_ny);
    let err = cq.fail("nobody", T1, &["pipeline", "apply", &file]);
    assert!(
        err.contains("field `state`: 2 record(s) hold choices the new pipeline removes: `NY` (2)"),
        "{err}"
    );

    let file = variant(&cq, "removed.toml", &removed());
    let err = cq.fail("nobody", T1, &["pipeline", "apply", &file]);
    assert!(
        err.contains("2 record(s) in stage `intake_review`"),
        "{err}"
    );

    // A role someone holds: add one, give it to a user, then drop it.
    let with_scribe = base().replacen("[[roles]]", "[[roles]]\nid = \"scribe\"\n\n[[roles]]", 1);
    let file = variant(&cq, "scribe.toml", &with_scribe);
    cq.ok("nobody", T1, &["pipeline", "apply", &file]);
    cq.pipeline = file.into();
    cq.ok("nobody", T1, &["user", "add", "sam", "--role", "scribe"]);
    let file = variant(&cq, "noscribe.toml", &base());
    let err = cq.fail("nobody", T2, &["pipeline", "apply", &file]);
    assert!(
        err.contains("role `scribe` is held by 1 enabled user(s)"),
        "{err}"
    );

    assert_eq!(versions(&cq), 2, "only the scribe pipeline was applied");

    // Taking the role from its holder makes the change possible; the last
    // admin's role cannot be taken.
    let err = cq.fail(
        "nobody",
        T2,
        &["user", "revoke", "nobody", "--role", "supervisor"],
    );
    assert!(err.contains("no enabled admin"), "{err}");
    let out = cq.ok("nobody", T2, &["user", "revoke", "sam", "--role", "scribe"]);
    assert!(out.starts_with("sam: no roles"), "{out}");
    cq.ok("nobody", T2, &["pipeline", "apply", &file]);
    cq.pipeline = file.into();
    assert_eq!(versions(&cq), 3);
    for id in &ids {
        let r = cq.show("ann", T2, *id);
        assert_eq!(r["stage"], "intake_review");
        assert_eq!(r["substatus"], "missing_id");
    }
    let v = cq.ok("nobody", T2, &["verify"]);
    assert!(v.starts_with("ok:"), "{v}");
}

#[test]
fn an_sla_change_re_times_open_records_and_verify_passes_across_three_versions() {
    let mut cq = Cq::init_default(T0);
    let ids = in_intake_review(&cq, 2);
    let (a, b) = (ids[0].to_string(), ids[1].to_string());
    // Record a waits for the provider (24h, no calendar); b is paused in
    // intake review.
    cq.ok("ann", T0, &["claim", &a]);
    cq.ok("ann", T0, &["move", &a, "complete_intake"]);
    cq.ok("ann", T0, &["move", &a, "send_to_provider"]);
    cq.ok("ann", T0, &["substatus", &b, "awaiting_patient"]);
    let a0 = cq.show("ann", T1, ids[0]);
    let b0 = cq.show("ann", T1, ids[1]);
    assert_eq!(b0["sla"], "paused");

    let v2 = base().replace(
        "sla = { max = \"24h\", warn = \"18h\", warn_at = [\"50%\", \"80%\"] }",
        "sla = { max = \"12h\", warn = \"9h\", warn_at = [\"50%\", \"80%\"] }",
    );
    assert_ne!(v2, base());
    let file = variant(&cq, "v2.toml", &v2);
    let out = cq.ok("nobody", T1, &["pipeline", "apply", &file]);
    assert!(out.contains("applied as version 2"), "{out}");
    cq.pipeline = file.clone().into();
    let a1 = cq.show("ann", T1, ids[0]);
    let entered = chrono::DateTime::parse_from_rfc3339(a0["entered_at"].as_str().expect("t"))
        .expect("entered");
    let due = chrono::DateTime::parse_from_rfc3339(a1["due_at"].as_str().expect("t")).expect("due");
    assert_eq!((due - entered).num_hours(), 12, "{a1:#}");
    assert_eq!(a1["version"], a0["version"], "no event per re-timed record");
    assert!(cq.ok("nobody", T1, &["verify"]).starts_with("ok:"));

    let v3 = tightened(&v2);
    let file = variant(&cq, "v3.toml", &v3);
    cq.ok("nobody", T2, &["pipeline", "apply", &file]);
    cq.pipeline = file.into();
    let b1 = cq.show("ann", T2, ids[1]);
    assert_eq!(b1["sla"], "paused");
    let left = |r: &Value| r["seconds_left"].as_i64().expect("seconds_left");
    assert_eq!(
        left(&b1),
        left(&b0) - 4 * 3600,
        "paused time left follows the SLA"
    );
    assert!(cq.ok("nobody", T2, &["verify"]).starts_with("ok:"));

    // Resumed and swept under the new rules, the log still replays.
    cq.ok("ann", T3, &["substatus", &b, "--clear"]);
    cq.ok("nobody", T3, &["sweep"]);
    assert!(cq.ok("nobody", T3, &["verify"]).starts_with("ok:"));

    let history = cq.json("nobody", T3, &["pipeline", "history", "--json"]);
    let how: Vec<&str> = history
        .as_array()
        .expect("history")
        .iter()
        .map(|v| v["how"].as_str().expect("how"))
        .collect();
    assert_eq!(how, ["init", "apply", "apply"]);
    let first = cq.ok(
        "nobody",
        T3,
        &["pipeline", "show", "--version", "1", "--toml"],
    );
    assert_eq!(first, base());
    let second = cq.json(
        "nobody",
        T3,
        &["pipeline", "show", "--version", "2", "--json"],
    );
    let pending = second["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .flat_map(|ph| ph["stages"].as_array().expect("stages").iter())
        .find(|s| s["id"] == "pending_provider")
        .expect("pending_provider");
    assert_eq!(pending["sla_seconds"], 12 * 3600);
    let err = cq.fail("nobody", T3, &["pipeline", "show", "--version", "9"]);
    assert!(err.contains("versions 1 to 3"), "{err}");
}
