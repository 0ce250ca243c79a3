//! The record cases: a record's life, refusals, retries, listing,
//! logged reads, concurrent writers and killed clients.

use super::*;

/// A record through intake to the provider, with the stages, owners,
/// versions and history each step leaves, and `show`'s allowed events.
pub fn lifecycle(t: &Target) {
    let id = t.add("maria", "Zoë Grünewald");
    let s = id.to_string();
    let r = t.json("maria", &["show", &s, "--json"]);
    assert_eq!(r["stage"], "form_submitted", "{}", t.kind());
    assert_eq!(r["version"], 1);
    assert_eq!(r["patient"], "Zoë Grünewald");
    let out = t.ok("maria", &["move", &s, "start_review"]);
    // A person reads the report: names (the JSON keeps the ids).
    assert!(
        out.contains("Form Submitted → Intake Review (Start intake review)"),
        "{out}"
    );
    t.ok("maria", &["claim", &s]);
    t.ok("maria", &["note", &s, "called, left a message"]);
    t.ok("maria", &["move", &s, "complete_intake"]);
    t.ok("maria", &["move", &s, "send_to_provider"]);
    let r = t.json("okafor", &["show", &s, "--json"]);
    assert_eq!(r["stage"], "pending_provider");
    assert_eq!(r["version"], 6);
    let kinds: Vec<&str> = r["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "create",
            "transition",
            "claim",
            "note",
            "transition",
            "transition"
        ]
    );
    let actors: Vec<&str> = r["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["actor"].as_str().expect("actor"))
        .collect();
    assert!(actors.iter().all(|a| *a == "maria"), "{actors:?}");
    let allowed: Vec<&str> = r["allowed_events"]
        .as_array()
        .expect("allowed")
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    assert!(allowed.contains(&"begin_review"), "{allowed:?}");
    t.ok("okafor", &["move", &s, "begin_review"]);
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{v}");
    assert_eq!(count_before(&v, "records"), 1, "{v}");
}

/// Refusals are one `error:` line, exit 1, and change nothing.
pub fn refusals(t: &Target) {
    let id = t.add("maria", "Ana Ruiz");
    let s = id.to_string();
    let e = t.refused("okafor", &["move", &s, "start_review"]);
    assert!(e.contains("refused"), "{e}");
    let e = t.refused("maria", &["move", &s, "approve"]);
    assert!(e.contains("approve"), "{e}");
    let e = t.refused("maria", &["show", "999"]);
    assert!(e.contains("record 999 not found"), "{e}");
    let e = t.refused("nosuch", &["list"]);
    assert!(e.contains("unknown user `nosuch`"), "{e}");
    t.ok("maria", &["move", &s, "start_review"]);
    let e = t.refused("maria", &["claim", &s, "--expect-version", "1"]);
    assert!(
        e.contains("changed since you read it (version 1, now 2)"),
        "{e}"
    );
    let r = t.json("maria", &["show", &s, "--json"]);
    assert_eq!(
        r["version"],
        2,
        "{}: nothing written by a refusal",
        t.kind()
    );
    assert!(r["owner"].is_null());
}

/// An operation id makes a retry a no-op, for adds and changes alike.
pub fn retries(t: &Target) {
    let a = t.ok(
        "maria",
        &["add", "--patient", "Retry Once", "--op-id", "add-1"],
    );
    let b = t.ok(
        "maria",
        &["add", "--patient", "Retry Once", "--op-id", "add-1"],
    );
    assert_eq!(a, b, "the same record comes back");
    let s = a.trim().to_string();
    t.ok("maria", &["move", &s, "start_review", "--op-id", "mv-1"]);
    t.ok("maria", &["move", &s, "start_review", "--op-id", "mv-1"]);
    let r = t.json("maria", &["show", &s, "--json"]);
    assert_eq!(r["version"], 2, "applied once");
    assert_eq!(r["history"].as_array().map(Vec::len), Some(2));
    let rows = t.json("maria", &["list", "--json"]);
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "one record made");
}

/// `list`'s filters select the same rows on both stores.
pub fn listing(t: &Target) {
    let ids: Vec<i64> = (0..6)
        .map(|i| t.add("maria", &format!("Pat {i}")))
        .collect();
    for id in &ids[..3] {
        t.ok("maria", &["move", &id.to_string(), "start_review"]);
    }
    t.ok("maria", &["claim", &ids[0].to_string()]);
    t.ok("dev", &["claim", &ids[1].to_string()]);
    let count = |args: &[&str]| {
        let mut all = vec!["list", "--json"];
        all.extend_from_slice(args);
        t.json("kim", &all).as_array().map_or(0, Vec::len)
    };
    assert_eq!(count(&[]), 6, "{}", t.kind());
    assert_eq!(count(&["--stage", "intake_review"]), 3);
    assert_eq!(count(&["--stage", "form_submitted"]), 3);
    assert_eq!(count(&["--owner", "dev"]), 1);
    assert_eq!(count(&["--unassigned"]), 4);
    assert_eq!(count(&["--limit", "2"]), 2);
    assert_eq!(count(&["--filter", "pat 4"]), 1);
    assert_eq!(count(&["--filter", "zed,pat"]), 6, "a comma means OR");
    assert_eq!(count(&["--filter", "zed,qqq"]), 0);
    assert_eq!(count(&["--filter", "qq,pa"]), 6, "short alternatives too");
    let mine = t.json("maria", &["list", "--mine", "--json"]);
    assert_eq!(mine[0]["id"], ids[0]);
    let table = t.ok("kim", &["list", "--stage", "intake_review"]);
    assert!(table.starts_with("ID"), "{table}");
    assert_eq!(table.lines().count(), 4, "{table}");
}

/// Every read is logged before it is shown, and the log verifies.
pub fn reads_are_logged(t: &Target) {
    let id = t.add("maria", "Logged Read");
    let before = count_before(&t.verify(), "access");
    t.ok("kim", &["show", &id.to_string()]);
    t.ok("kim", &["list"]);
    let after = count_before(&t.verify(), "access");
    assert_eq!(after - before, 2, "{}: show and list logged", t.kind());
}

/// Four processes on the same records at once: each change applied once or
/// refused clearly (stale or not allowed), never a lock error, and the log
/// verifies with one event per applied change.
pub fn concurrent_writers(t: &Target) {
    let ids: Vec<i64> = (0..3)
        .map(|i| t.add("maria", &format!("Busy {i}")))
        .collect();
    let before = count_before(&t.verify(), "events");
    let applied = std::sync::atomic::AtomicI64::new(0);
    std::thread::scope(|sc| {
        for w in 0..4 {
            let (ids, applied) = (&ids, &applied);
            sc.spawn(move || {
                let me = if w % 2 == 0 { "maria" } else { "dev" };
                for n in 0..12 {
                    let s = ids[(w + n) % ids.len()].to_string();
                    let r = t.json(me, &["show", &s, "--json"]);
                    let v = r["version"].as_i64().expect("version").to_string();
                    let args: Vec<&str> = match n % 3 {
                        0 => vec!["note", &s, "busy", "--expect-version", &v],
                        1 => vec!["claim", &s, "--expect-version", &v],
                        _ => vec!["release", &s],
                    };
                    let out = t.run(me, &args);
                    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
                    assert!(
                        !err.contains("locked") && !err.contains("busy handler"),
                        "{err}"
                    );
                    match out.status.code() {
                        Some(0) => {
                            applied.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        Some(1) => {
                            refused(&out);
                            assert!(
                                err.contains("changed since you read it")
                                    || err.contains("refused"),
                                "not a clear refusal: {err}"
                            );
                        }
                        other => panic!("exit {other:?}: {err}"),
                    }
                }
            });
        }
    });
    let v = t.verify();
    let after = count_before(&v, "events");
    let applied = applied.load(std::sync::atomic::Ordering::SeqCst);
    assert!(applied > 0, "some changes went through");
    assert_eq!(
        after - before,
        applied,
        "{}: one event per applied change: {v}",
        t.kind()
    );
    for id in ids {
        let r = t.json("kim", &["show", &id.to_string(), "--json"]);
        let n = r["history"].as_array().map_or(0, Vec::len) as i64;
        assert_eq!(r["version"].as_i64(), Some(n), "version = its events");
    }
}

/// Crashes: each round a `note` with an op id is killed with SIGKILL at
/// a moment of its run, then retried with the same op id, as a client does
/// after an unknown outcome: each note is there exactly once, whether the
/// killed run had committed or not, and the log verifies.
pub fn killed_clients(t: &Target) {
    const ROUNDS: usize = 8;
    let id = t.add("maria", "Rae Crash").to_string();
    for round in 0..ROUNDS {
        let text = format!("crash round {round}");
        let op = format!("crash-{round}");
        let args = ["note", id.as_str(), text.as_str(), "--op-id", op.as_str()];
        let mut child = t
            .command_at("maria", NOW, &args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // From before the connection to well past the commit.
        std::thread::sleep(std::time::Duration::from_millis(5 + 15 * round as u64));
        let _ = child.kill();
        let _ = child.wait();
        t.ok("maria", &args);
    }
    let r = t.json("maria", &["show", &id, "--json"]);
    for round in 0..ROUNDS {
        let text = format!("crash round {round}");
        let n = r["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter(|e| e["note"] == text.as_str())
            .count();
        assert_eq!(n, 1, "{}: `{text}` once: {r}", t.kind());
    }
    let n = r["history"].as_array().map_or(0, Vec::len) as i64;
    assert_eq!(r["version"].as_i64(), Some(n), "version = its events: {r}");
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{}: {v}", t.kind());
}
