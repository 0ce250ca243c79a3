//! `deliver`, for real, on either store, to a receiver on 127.0.0.1 that
//! the test starts: `scripts/webhook_receiver.py`, which verifies every
//! request's Standard Webhooks signature with Python's standard library
//! (with the second key of a rotation only: carequeue signs with both) and
//! answers 401 to one that does not verify. The receiver answers 500, is
//! then stopped: deliveries back off; it comes back: everything arrives,
//! in order per record, each id once after deduplication. A breach's
//! escalation reaches it. It goes for good: the message goes dead, shown
//! by `deliveries --failed`, and `deliveries retry` queues it again. One
//! deliverer at a time: `--once` is refused while another holds the lease,
//! and the long-running one ends cleanly on SIGTERM.

use super::{NOW, Target, ok, refused};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW: &str = "whsec_c2Vjb25kIGtleSBvZiAzMiBieXRlcyBmb3IgdGVzdHM=";
/// Three days on: a record left in Form Submitted has breached and escalated.
const LATER: &str = "2026-11-05T09:00:00Z";

fn at(base: &str, secs: i64) -> String {
    let t =
        chrono::DateTime::parse_from_rfc3339(base).expect("time") + chrono::Duration::seconds(secs);
    t.to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The Python receiver, stopped on drop.
struct Receiver {
    child: Child,
    port: u16,
}

impl Receiver {
    fn start(port: u16, log: &std::path::Path, extra: &[&str]) -> Receiver {
        let mut child = Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/webhook_receiver.py"
            ))
            .args(["--port", &port.to_string(), "--tolerance", "0", "--log"])
            .arg(log)
            .args(extra)
            .env("WEBHOOK_SECRET", NEW)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the receiver");
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut line)
            .expect("the receiver says where it listens");
        // It prints each message it takes: read on, so it never meets a
        // closed or full pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("receiver: {line:?}"));
        Receiver { child, port }
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every verified request the receiver logged.
fn logged(log: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn deliveries(t: &Target, now: &str, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["deliveries", "--json"];
    all.extend_from_slice(args);
    match serde_json::from_str(&ok(&t.run_at("kim", now, &all))).expect("json") {
        Value::Array(rows) => rows,
        v => panic!("deliveries --json: {v}"),
    }
}

fn secs(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .timestamp()
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

pub fn deliveries_sent(t: &Target) {
    let kind = t.kind();
    let dir = t.cq.dir.path().to_path_buf();
    let log = dir.join("received.ndjson");
    let a = t.add("maria", "Ines Hookfield");
    let b = t.add("maria", "Olaf Hookfield");
    let (sa, sb) = (a.to_string(), b.to_string());
    t.ok("maria", &["note", &sa, "called back"]);
    t.ok("maria", &["move", &sa, "start_review"]);

    let rx = Receiver::start(0, &log, &["--fail-first", "2"]);
    let port = rx.port;
    write(&dir.join("hook.secret"), &format!("{OLD}\n{NEW}\n"));
    let notify = dir.join("notify.toml");
    write(
        &notify,
        &format!(
            r#"
[delivery]
backoff = "10s"
backoff_cap = "1m"
dead_after = "10m"

[[target]]
name = "hook"
url = "http://127.0.0.1:{port}/hooks"
shape = "cloudevents"
secret_file = "hook.secret"
kinds = ["create", "note", "transition", "escalation"]
timeout = "5s"
"#
        ),
    );
    let notify = notify.display().to_string();
    let once = |now: &str, extra: &[&str]| -> String {
        let mut args = vec!["deliver", "--once", "--notify", &notify];
        args.extend_from_slice(extra);
        ok(&t.run_at("kim", now, &args))
    };

    // 500 to the first two: both records' first messages fail; the later
    // messages of record a wait behind its first.
    let out = once(NOW, &["--since", "0"]);
    assert!(out.contains("delivered 0, failed 2"), "{kind}: {out}");
    let failed = deliveries(t, NOW, &["--failed"]);
    assert_eq!(failed.len(), 2, "{kind}: {failed:?}");
    let wait1 = secs(&failed[0]["next_attempt"]) - secs(&Value::from(NOW));
    assert!((5..=10).contains(&wait1), "{kind}: first wait {wait1}");
    assert!(
        failed
            .iter()
            .all(|d| d["last_error"] == "HTTP 500" && d["attempts"] == 1)
    );
    let held = deliveries(t, NOW, &[]);
    assert_eq!(
        held.len(),
        4,
        "{kind}: create, create, note, transition: {held:?}"
    );

    // Stopped: refused connections, a longer wait.
    rx.stop();
    let t2 = at(NOW, 15);
    let out = once(&t2, &[]);
    assert!(out.contains("delivered 0, failed 2"), "{kind}: {out}");
    let failed = deliveries(t, &t2, &["--failed"]);
    let wait2 = secs(&failed[0]["next_attempt"]) - secs(&Value::from(t2.as_str()));
    assert!(
        wait2 >= 10 && wait2 >= wait1,
        "{kind}: second wait {wait2} after {wait1}"
    );
    assert!(
        failed
            .iter()
            .all(|d| d["attempts"] == 2 && d["last_error"] == "connection refused"),
        "{kind}: {failed:?}"
    );

    // Back: everything arrives, in order per record, each id once.
    let rx = Receiver::start(port, &log, &[]);
    let t3 = at(NOW, 120);
    let out = once(&t3, &[]);
    assert!(
        out.contains("delivered 4, failed 0, dead 0"),
        "{kind}: {out} {:?}",
        deliveries(t, &t3, &["--failed"])
    );
    assert!(deliveries(t, &t3, &["--failed"]).is_empty(), "{kind}");
    let got = logged(&log);
    let new: Vec<&Value> = got.iter().filter(|l| l["new"] == true).collect();
    let ids: Vec<&str> = new.iter().filter_map(|l| l["id"].as_str()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{kind}: each id once: {ids:?}");
    let of = |r: i64| -> Vec<(i64, String)> {
        new.iter()
            .filter_map(|l| serde_json::from_str::<Value>(l["body"].as_str()?).ok())
            .filter(|b| b["data"]["record_id"] == r)
            .map(|b| {
                (
                    b["data"]["seq"].as_i64().unwrap_or(0),
                    b["data"]["kind"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let kinds_a: Vec<String> = of(a).into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        kinds_a,
        ["create", "note", "transition"],
        "{kind}: in order"
    );
    assert!(of(a).windows(2).all(|w| w[0].0 < w[1].0), "{kind}");
    assert_eq!(of(b).len(), 1, "{kind}");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !text.contains("Hookfield"),
        "{kind}: no patient in a non-phi payload"
    );
    assert!(!text.contains("called back"), "{kind}: no note either");

    // A breach's escalation reaches it.
    ok(&t.run_at("kim", LATER, &["sweep"]));
    let out = once(LATER, &[]);
    assert!(out.contains("failed 0, dead 0"), "{kind}: {out}");
    let escalated = logged(&log).into_iter().any(|l| {
        serde_json::from_str::<Value>(l["body"].as_str().unwrap_or("{}")).is_ok_and(|body| {
            body["type"] == "org.carequeue.escalation" && body["data"]["record_id"] == b
        })
    });
    assert!(escalated, "{kind}: the escalation of record {b}");

    // Gone for good: dead after `dead_after`, shown, retried.
    rx.stop();
    t.ok("maria", &["note", &sb, "left a message"]);
    let out = once(LATER, &[]);
    assert!(out.contains("failed 1"), "{kind}: {out}");
    let t4 = at(LATER, 11 * 60);
    let out = once(&t4, &[]);
    assert!(out.contains("dead 1"), "{kind}: {out}");
    let dead = deliveries(t, &t4, &["--failed", "--target", "hook"]);
    assert_eq!(dead.len(), 1, "{kind}: {dead:?}");
    assert_eq!(dead[0]["status"], "dead");
    assert_eq!(dead[0]["next_attempt"], Value::Null);
    let id = dead[0]["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("msg_hook_"), "{id}");
    let human = ok(&t.run_at("kim", &t4, &["deliveries", "--failed"]));
    assert!(
        human.contains(&id) && human.contains("dead"),
        "{kind}: {human}"
    );
    let e = refused(&t.run_at("maria", &t4, &["deliver", "--once", "--notify", &notify]));
    assert!(e.contains("no supervising or admin role"), "{kind}: {e}");
    let e = refused(&t.run_at("maria", &t4, &["deliveries", "retry", &id]));
    assert!(e.contains("no supervising or admin role"), "{kind}: {e}");
    assert!(ok(&t.run_at("kim", &t4, &["deliveries", "retry", &id])).contains("re-queued 1"));
    let again = deliveries(t, &t4, &["--failed"]);
    assert_eq!(again[0]["status"], "pending", "{kind}: {again:?}");
    let e = refused(&t.run_at("kim", &t4, &["deliveries", "retry", "msg_hook_999999"]));
    assert!(e.contains("not a dead or failing message"), "{kind}: {e}");

    // One deliverer at a time; SIGTERM ends the long-running one cleanly.
    // It finds its targets by CAREQUEUE_NOTIFY, as a console does where
    // no notify.toml sits beside the database (PostgreSQL).
    let mut long = t
        .command_at("kim", &t4, &["deliver"])
        .env("CAREQUEUE_NOTIFY", &notify)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("deliver");
    let mut lines = BufReader::new(long.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(|l| l.ok()).unwrap_or_default();
    assert!(
        first.contains("failed 1"),
        "{kind}: the long-running pass: {first}"
    );
    let e = refused(&t.run_at("kim", &t4, &["deliver", "--once", "--notify", &notify]));
    assert!(
        e.contains("another deliverer holds the delivery lease"),
        "{kind}: {e}"
    );
    let pid = long.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success())
    );
    let start = Instant::now();
    let status = loop {
        if let Some(s) = long.try_wait().expect("wait") {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{kind}: deliver ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{kind}: a clean exit");
    // The lease is free again.
    once(&t4, &[]);

    // A bad notify.toml: one error line naming the key.
    write(&dir.join("bad.toml"), "[delivery]\ndead_after = \"soon\"\n");
    let bad = dir.join("bad.toml").display().to_string();
    let e = refused(&t.run_at("kim", &t4, &["deliver", "--once", "--notify", &bad]));
    assert!(e.contains("dead_after"), "{kind}: {e}");
}
