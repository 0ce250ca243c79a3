//! `deliver --dry-run`: what each webhook target would be sent, filtered by
//! its kinds, stages and escalation levels, in its shape, never with a
//! patient unless a CloudEvents target is marked `phi` and an export role
//! asks (logged); every message signed the Standard Webhooks way, which an
//! independent implementation (`scripts/webhook_receiver.py`, Python's
//! standard library) verifies, with either key during a rotation.

use crate::common::Cq;
use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

const T0: &str = "2026-11-02T14:00:00Z";
/// Three days on: the records left in Form Submitted have breached and
/// escalated twice.
const LATER: &str = "2026-11-05T14:00:00Z";
const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW: &str = "whsec_c2Vjb25kIGtleSBvZiAzMiBieXRlcyBmb3IgdGVzdHM=";

fn setup() -> (Cq, i64, i64) {
    let cq = Cq::init_default(T0);
    cq.ok("nobody", T0, &["user", "add", "maria", "--role", "ops"]);
    cq.ok(
        "nobody",
        T0,
        &["user", "add", "kim", "--role", "supervisor"],
    );
    let a = cq.add("maria", T0, "Zelda Hookworth", &[]);
    let b = cq.add("maria", T0, "Yusuf Hookworth", &[]);
    cq.ok(
        "maria",
        T0,
        &["note", &a.to_string(), "patient called about refill"],
    );
    cq.ok("maria", T0, &["move", &a.to_string(), "start_review"]);
    cq.ok("kim", LATER, &["sweep"]);
    (cq, a, b)
}

fn write(cq: &Cq, name: &str, text: &str, mode: u32) -> String {
    let p = cq.dir.path().join(name);
    std::fs::write(&p, text).expect("write");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    p.display().to_string()
}

fn targets(phi: bool) -> String {
    format!(
        r#"
[[target]]
name = "ehr"
url = "https://ehr.example/hooks"
shape = "cloudevents"
secret_file = "keys.secret"
kinds = ["transition", "note", "create"]
phi = {phi}

[[target]]
name = "sup-chat"
url = "https://chat.example/hook"
shape = "slack"
secret_file = "keys.secret"
kinds = ["escalation"]
levels = [2]

[[target]]
name = "teams"
url = "https://teams.example/flow"
shape = "teams"
secret_file = "keys.secret"
stages = ["intake_review"]
"#
    )
}

fn messages(cq: &Cq, user: &str, notify: &str) -> Vec<Value> {
    cq.ok(
        user,
        LATER,
        &["deliver", "--dry-run", "--json", "--notify", notify],
    )
    .lines()
    .map(|l| serde_json::from_str(l).expect("json"))
    .collect()
}

/// Python's standard library verifies each message with `secrets`; the
/// receiver's `--check` line for each.
fn check(msgs: &[Value], secrets: &str) -> Option<Vec<String>> {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CQ_REQUIRE_ROOT").as_deref() != Ok("1"),
            "python3 is needed, and CQ_REQUIRE_ROOT=1 forbids skipping"
        );
        eprintln!("note: signature check skipped: no python3");
        return None;
    }
    let mut child = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/webhook_receiver.py"
        ))
        .arg("--check")
        .env("WEBHOOK_SECRET", secrets)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for m in msgs {
            writeln!(stdin, "{m}").expect("write");
        }
    }
    let out = child.wait_with_output().expect("wait");
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn each_target_gets_its_events_in_its_shape_signed_and_without_a_patient() {
    let (cq, a, b) = setup();
    write(&cq, "keys.secret", &format!("{OLD}\n"), 0o600);
    let notify = write(&cq, "notify.toml", &targets(false), 0o600);
    let msgs = messages(&cq, "maria", &notify);
    let of = |t: &str| -> Vec<&Value> { msgs.iter().filter(|m| m["target"] == t).collect() };
    let body = |m: &Value| -> Value {
        serde_json::from_str(m["body"].as_str().expect("body")).expect("json")
    };

    // ehr: creates, the note and the transition, as CloudEvents.
    let ehr: Vec<Value> = of("ehr").iter().map(|m| body(m)).collect();
    let kinds: Vec<&str> = ehr
        .iter()
        .filter_map(|b| b["data"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["create", "create", "note", "transition"], "{ehr:?}");
    assert!(
        ehr.iter()
            .all(|b| b["specversion"] == "1.0" && b["source"].is_string())
    );
    assert_eq!(ehr[3]["type"], "org.carequeue.transition");
    assert_eq!(ehr[3]["subject"], format!("record/{a}"));
    assert_eq!(ehr[3]["data"]["stage"], "intake_review");
    assert_eq!(ehr[3]["data"]["link"], format!("carequeue show {a}"));
    // sup-chat: the second escalation level only, as a Slack message.
    let chat: Vec<Value> = of("sup-chat").iter().map(|m| body(m)).collect();
    assert_eq!(chat.len(), 1, "level 2 of record {b} alone: {chat:?}");
    let text = chat[0]["text"].as_str().expect("text");
    assert!(
        text.starts_with(&format!("#{b} escalated to level 2 in Form Submitted")),
        "{text}"
    );
    // teams: what happened in Intake Review, as an Adaptive Card.
    let teams: Vec<Value> = of("teams").iter().map(|m| body(m)).collect();
    assert!(!teams.is_empty());
    assert!(
        teams
            .iter()
            .all(|t| t["attachments"][0]["content"]["type"] == "AdaptiveCard")
    );
    // Every message: no patient, no note; an id and a signature.
    for m in &msgs {
        let text = m.to_string();
        assert!(
            !text.contains("Hookworth") && !text.contains("refill"),
            "{text}"
        );
        assert!(
            m["headers"]["webhook-signature"]
                .as_str()
                .is_some_and(|s| s.starts_with("v1,"))
        );
    }
    let ids: std::collections::BTreeSet<&str> = msgs
        .iter()
        .filter_map(|m| m["headers"]["webhook-id"].as_str())
        .collect();
    assert_eq!(ids.len(), msgs.len(), "an id of its own each");
    // The same events again: the same ids (a receiver deduplicates).
    let again = messages(&cq, "maria", &notify);
    let again_ids: Vec<&str> = again
        .iter()
        .filter_map(|m| m["headers"]["webhook-id"].as_str())
        .collect();
    assert_eq!(
        again_ids,
        msgs.iter()
            .filter_map(|m| m["headers"]["webhook-id"].as_str())
            .collect::<Vec<_>>()
    );

    // Verified by an independent implementation; refused under another
    // key or with the body changed.
    if let Some(said) = check(&msgs, OLD) {
        assert!(said.iter().all(|l| l.starts_with("ok ")), "{said:?}");
        assert_eq!(said.len(), msgs.len());
        let said = check(&msgs, NEW).expect("python");
        assert!(said.iter().all(|l| l.starts_with("BAD ")), "{said:?}");
        let mut tampered = msgs[0].clone();
        tampered["body"] = Value::from(tampered["body"].as_str().expect("b").replace('1', "2"));
        let said = check(&[tampered], OLD).expect("python");
        assert!(said[0].starts_with("BAD "), "{said:?}");
    }
}

#[test]
fn during_a_rotation_either_key_verifies() {
    let (cq, _, _) = setup();
    write(&cq, "keys.secret", &format!("{OLD}\n{NEW}\n"), 0o600);
    let notify = write(&cq, "notify.toml", &targets(false), 0o600);
    let msgs = messages(&cq, "maria", &notify);
    assert!(msgs.iter().all(|m| {
        m["headers"]["webhook-signature"]
            .as_str()
            .is_some_and(|s| s.split(' ').count() == 2)
    }));
    for key in [OLD, NEW] {
        if let Some(said) = check(&msgs, key) {
            assert!(said.iter().all(|l| l.starts_with("ok ")), "{key}: {said:?}");
        }
    }
}

#[test]
fn patient_data_goes_only_to_a_phi_target_for_an_export_role() {
    let (cq, a, _) = setup();
    write(&cq, "keys.secret", &format!("{OLD}\n"), 0o600);
    let notify = write(&cq, "notify.toml", &targets(true), 0o600);
    let out = cq.run(
        "maria",
        LATER,
        &["deliver", "--dry-run", "--notify", &notify],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("export of patient data needs"));
    let msgs = messages(&cq, "kim", &notify);
    let text: Vec<String> = msgs
        .iter()
        .map(|m| m["body"].as_str().unwrap_or("").to_string())
        .collect();
    let ehr: Vec<&String> = msgs
        .iter()
        .zip(&text)
        .filter(|(m, _)| m["target"] == "ehr")
        .map(|(_, t)| t)
        .collect();
    assert!(ehr.iter().any(|t| t.contains("Zelda Hookworth")), "{ehr:?}");
    assert!(
        ehr.iter()
            .any(|t| t.contains("patient called about refill"))
    );
    let others: Vec<&String> = msgs
        .iter()
        .zip(&text)
        .filter(|(m, _)| m["target"] != "ehr")
        .map(|(_, t)| t)
        .collect();
    assert!(
        others.iter().all(|t| !t.contains("Hookworth")),
        "chat never: {others:?}"
    );
    let log = cq.ok("kim", LATER, &["access-log"]);
    assert!(log.contains("deliver --dry-run to ehr"), "{log}");
    let _ = a;
}

#[test]
fn a_bad_target_is_named_with_its_key_and_nothing_is_printed() {
    let (cq, _, _) = setup();
    write(&cq, "keys.secret", &format!("{OLD}\n"), 0o600);
    let cases = [
        (
            targets(false).replacen("shape = \"slack\"", "shape = \"slack\"\nphi = true", 1),
            "target `sup-chat`: phi: a chat or push target never carries patient data",
        ),
        (
            targets(false).replace("stages = [\"intake_review\"]", "stages = [\"nowhere\"]"),
            "target `teams`: stages: `nowhere` is not a stage",
        ),
        (
            targets(false).replace("https://ehr.example/hooks", "ftp://ehr"),
            "target `ehr`: url:",
        ),
        (
            targets(false).replace("kinds = [\"escalation\"]", "kinds = [\"shout\"]"),
            "target `sup-chat`: kinds: `shout` is not an event kind",
        ),
        (
            targets(true).replace("https://ehr.example/hooks", "http://ehr.example/hooks"),
            "target `ehr`: url: patient data (`phi = true`) goes only over https://",
        ),
    ];
    for (text, said) in cases {
        let notify = write(&cq, "bad.toml", &text, 0o600);
        let out = cq.run(
            "maria",
            LATER,
            &["deliver", "--dry-run", "--notify", &notify],
        );
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(said), "{err}");
    }
    // A secret everyone may read is refused.
    write(&cq, "keys.secret", &format!("{OLD}\n"), 0o644);
    let notify = write(&cq, "notify.toml", &targets(false), 0o600);
    let out = cq.run(
        "maria",
        LATER,
        &["deliver", "--dry-run", "--notify", &notify],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("is readable by everyone"));
    // A name that cannot be part of a webhook-id, a timeout that is no
    // duration, a policy that is no policy: each named, for `--once` too.
    std::fs::set_permissions(
        cq.dir.path().join("keys.secret"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod");
    let cases = [
        (
            targets(false).replace("name = \"teams\"", "name = \"team hooks\""),
            "target `team hooks`: name:",
        ),
        (
            targets(false).replace("phi = false", "phi = false\ntimeout = \"0s\""),
            "target `ehr`: timeout:",
        ),
        (
            format!(
                "[delivery]\nbackoff = \"1h\"\nbackoff_cap = \"5s\"\n{}",
                targets(false)
            ),
            "backoff_cap is shorter than backoff",
        ),
    ];
    for (text, said) in cases {
        let notify = write(&cq, "bad.toml", &text, 0o600);
        let err = cq.fail("nobody", LATER, &["deliver", "--once", "--notify", &notify]);
        assert!(err.contains(said), "{err}");
    }
}
