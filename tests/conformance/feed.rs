//! `events`, the log as a feed, on either store: sequence numbers with no
//! gap; each event beside its record's stage after it; resuming from any
//! sequence number repeats and skips nothing; kinds filter; no patient
//! data unless an export role asks (logged as an export; refused and
//! logged otherwise); `--follow` sees another process's move.

use super::{NOW, Target, ok, refused};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The feed's lines as JSON.
fn feed(t: &Target, user: &str, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["events", "--json"];
    all.extend_from_slice(args);
    t.ok(user, &all)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn seqs(lines: &[Value]) -> Vec<i64> {
    lines
        .iter()
        .map(|l| l["seq"].as_i64().expect("seq"))
        .collect()
}

pub fn events_fed(t: &Target) {
    let kind = t.kind();
    let a = t.add("maria", "Quinn Feedwell");
    let b = t.add("dev", "Rosa Feedwell");
    let (sa, sb) = (a.to_string(), b.to_string());
    t.ok("maria", &["claim", &sa]);
    t.ok("maria", &["note", &sa, "called the pharmacy"]);
    t.ok("maria", &["move", &sa, "start_review"]);
    t.ok("dev", &["move", &sb, "start_review"]);
    t.ok("dev", &["claim", &sb]);

    let all = feed(t, "maria", &[]);
    let s = seqs(&all);
    let n = s.len() as i64;
    assert_eq!(s, (1..=n).collect::<Vec<_>>(), "{kind}: no gaps, in order");
    // Each record event beside the record's stage after it.
    let of = |rec: i64, k: &str| -> Vec<&Value> {
        all.iter()
            .filter(|l| l["record_id"] == rec && l["kind"] == k)
            .collect()
    };
    assert_eq!(of(a, "claim")[0]["stage"], "form_submitted", "{kind}");
    assert_eq!(of(a, "claim")[0]["to"], "maria");
    assert_eq!(of(a, "transition")[0]["stage"], "intake_review");
    assert_eq!(of(b, "claim")[0]["stage"], "intake_review", "{kind}");
    assert_eq!(of(a, "note")[0]["actor"], "maria");
    // Nothing of a patient without --with-patient.
    let text = t.ok("maria", &["events", "--json"]);
    assert!(!text.contains("Feedwell"), "{kind}: {text}");
    assert!(!text.contains("pharmacy"), "{kind}: the note");
    assert!(all.iter().all(|l| l.get("note").is_none()));

    // Resuming from every sequence number: exactly the rest, once.
    for k in 0..=n {
        let rest = feed(t, "maria", &["--since", &k.to_string()]);
        assert_eq!(rest, all[k as usize..].to_vec(), "{kind}: from {k}");
    }
    // A page at a time, each resumed from the last line read.
    let mut got = Vec::new();
    let mut at = 0;
    loop {
        let page = feed(t, "maria", &["--since", &at.to_string(), "--limit", "3"]);
        let Some(last) = page.last() else { break };
        at = last["seq"].as_i64().expect("seq");
        got.extend(page);
    }
    assert_eq!(got, all, "{kind}");

    let moves = feed(t, "maria", &["--kind", "transition", "--kind", "claim"]);
    assert_eq!(moves.len(), 4, "{kind}");
    assert!(
        moves
            .iter()
            .all(|l| l["kind"] == "transition" || l["kind"] == "claim")
    );

    // Patient data: an export role only, logged as an export first.
    let e = refused(&t.run("maria", &["events", "--with-patient", "--json"]));
    assert!(
        e.contains("export of patient data needs one of the roles"),
        "{e}"
    );
    let full = feed(t, "kim", &["--with-patient", "--kind", "create"]);
    let names: Vec<&str> = full.iter().filter_map(|l| l["patient"].as_str()).collect();
    assert!(names.contains(&"Quinn Feedwell"), "{kind}: {full:?}");
    let notes = feed(t, "kim", &["--with-patient", "--kind", "note"]);
    assert_eq!(notes[0]["note"], "called the pharmacy", "{kind}");
    let log = t.ok("kim", &["access-log"]);
    assert!(log.contains("export-refused"), "{kind}: {log}");
    assert!(
        log.contains("events since 0, kinds create"),
        "{kind}: {log}"
    );

    let e = refused(&t.run("maria", &["events", "--kind", "bogus"]));
    assert!(e.contains("--kind `bogus` is not an event kind"), "{e}");
}

/// `--follow` in one process sees a move another process commits.
pub fn events_followed(t: &Target) {
    let kind = t.kind();
    let id = t.add("maria", "Follow Me");
    let last = seqs(&feed(t, "maria", &[]))
        .last()
        .copied()
        .expect("events");
    let mut child = t
        .command_at(
            "maria",
            NOW,
            &["events", "--json", "--follow", "--since", &last.to_string()],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the follower");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The follower is reading before the move is made.
    std::thread::sleep(Duration::from_millis(500));
    ok(&t.run("maria", &["move", &id.to_string(), "start_review"]));
    let committed = Instant::now();
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{kind}: the follower saw no move"));
    let seen = committed.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    let v: Value = serde_json::from_str(&line).expect("json");
    assert_eq!(v["kind"], "transition", "{kind}");
    assert_eq!(v["record_id"], id);
    assert_eq!(v["seq"], last + 1, "{kind}: the next sequence number");
    // The promise is a second; the follower asks five times a second.
    assert!(seen < Duration::from_secs(1), "{kind}: seen after {seen:?}");
}

/// `deliver --dry-run` on either store: the targets' messages from the
/// feed, signed, with a patient only for a `phi` target and an export role.
pub fn deliveries_dry_run(t: &Target) {
    use std::os::unix::fs::PermissionsExt;
    let kind = t.kind();
    let id = t.add("maria", "Dora Webhook");
    t.ok("maria", &["move", &id.to_string(), "start_review"]);
    let dir = t.cq.dir.path();
    let secret = dir.join("hook.secret");
    std::fs::write(&secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n").expect("write");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let notify = dir.join("notify.toml");
    std::fs::write(
        &notify,
        r#"
[[target]]
name = "ehr"
url = "https://ehr.example/hooks"
shape = "cloudevents"
secret_file = "hook.secret"
kinds = ["create", "transition"]
phi = true

[[target]]
name = "chat"
url = "https://chat.example/hook"
shape = "slack"
secret_file = "hook.secret"
kinds = ["transition"]
"#,
    )
    .expect("write");
    let notify = notify.display().to_string();
    let run = |user: &str| -> Vec<Value> {
        t.ok(
            user,
            &["deliver", "--dry-run", "--json", "--notify", &notify],
        )
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
    };
    // `phi` needs an export role.
    let e = refused(&t.run("maria", &["deliver", "--dry-run", "--notify", &notify]));
    assert!(e.contains("export of patient data needs"), "{kind}: {e}");
    let msgs = run("kim");
    let ours: Vec<&Value> = msgs
        .iter()
        .filter(|m| {
            let b: Value =
                serde_json::from_str(m["body"].as_str().unwrap_or("{}")).unwrap_or_default();
            b["data"]["record_id"] == id
                || b["text"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(&format!("#{id} ")))
        })
        .collect();
    let targets: Vec<&str> = ours.iter().filter_map(|m| m["target"].as_str()).collect();
    assert_eq!(targets, ["ehr", "ehr", "chat"], "{kind}: {ours:?}");
    assert!(
        ours[0]["body"]
            .as_str()
            .unwrap_or("")
            .contains("Dora Webhook"),
        "{kind}"
    );
    assert!(
        !ours[2]["body"].as_str().unwrap_or("").contains("Dora"),
        "chat never"
    );
    assert!(ours.iter().all(|m| {
        m["headers"]["webhook-signature"]
            .as_str()
            .is_some_and(|s| s.starts_with("v1,"))
    }));
}
