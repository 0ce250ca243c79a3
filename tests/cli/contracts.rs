//! The scripting contract of SPEC "Command line": JSON shapes, the db file's
//! mode, and `list`'s filters and order.

use crate::common;
use crate::common::{Clock, Cq, ids};
use serde_json::Value;
use std::collections::BTreeSet;

/// Monday 09:00 in New York (clinic hours open).
const T0: &str = "2026-03-02T14:00:00Z";

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn set(k: &[&str]) -> BTreeSet<String> {
    k.iter().map(|s| s.to_string()).collect()
}

#[cfg(unix)]
#[test]
fn db_file_is_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let cq = Cq::init_default(T0);
    let mode = std::fs::metadata(&cq.db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "db mode is {mode:o}");
    // init again is refused (the database exists) and keeps the mode.
    cq.fail("x", T0, &["init"]);
    let mode = std::fs::metadata(&cq.db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn pipeline_json_has_the_spec_shape() {
    for pipeline in [
        common::default_pipeline(),
        common::fixture("alt_pipeline.toml"),
    ] {
        let cq = Cq::init(&pipeline, T0);
        let p = cq.json(common::ADMIN, T0, &["pipeline", "--json"]);
        assert!(keys(&p).is_superset(&set(&["name", "phases", "transitions"])));
        assert!(p["name"].as_str().is_some_and(|n| !n.is_empty()));
        let phases = p["phases"].as_array().unwrap();
        assert!(!phases.is_empty());
        let mut stage_ids = BTreeSet::new();
        for ph in phases {
            assert!(
                keys(ph).is_superset(&set(&["id", "name", "stages"])),
                "{ph}"
            );
            for st in ph["stages"].as_array().unwrap() {
                assert!(
                    keys(st).is_superset(&set(&["id", "name", "owner", "terminal", "sla_seconds"])),
                    "{st}"
                );
                let terminal = st["terminal"].as_bool().expect("terminal is a bool");
                if terminal {
                    assert!(st["sla_seconds"].is_null(), "{st}");
                } else {
                    assert!(st["owner"].is_string(), "{st}");
                    assert!(st["sla_seconds"].as_i64().unwrap() > 0, "{st}");
                }
                stage_ids.insert(st["id"].as_str().unwrap().to_string());
            }
        }
        for t in p["transitions"].as_array().unwrap() {
            assert!(keys(t).is_superset(&set(&["event", "from", "to"])), "{t}");
            assert!(stage_ids.contains(t["to"].as_str().unwrap()), "{t}");
            for f in t["from"].as_array().unwrap() {
                assert!(
                    stage_ids.contains(f.as_str().unwrap()),
                    "from is resolved: {t}"
                );
            }
        }
    }
    // Spot checks on the default pipeline's numbers.
    let cq = Cq::init_default(T0);
    let p = cq.json(common::ADMIN, T0, &["pipeline", "--json"]);
    let ids: Vec<&str> = p["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["intake", "clinical", "fulfillment", "active", "reengage"]
    );
    let fs = &p["phases"][0]["stages"][0];
    assert_eq!(fs["id"], "form_submitted");
    assert_eq!(fs["owner"], "ops");
    assert_eq!(fs["sla_seconds"], 4 * 3600);
    let withdraw = p["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["event"] == "withdraw")
        .unwrap();
    assert!(
        withdraw["from"].as_array().unwrap().len() >= 15,
        "`*` expands to every live stage: {withdraw}"
    );
}

#[test]
fn user_list_json_rows() {
    let cq = Cq::init_default(T0);
    cq.ok(common::ADMIN, T0, &["user", "add", "ann", "--role", "ops"]);
    cq.ok(
        common::ADMIN,
        T0,
        &["user", "add", "kim", "--role", "ops", "--role", "pharmacy"],
    );
    // Adding roles to an existing user.
    cq.ok(
        common::ADMIN,
        T0,
        &["user", "add", "ann", "--role", "supervisor"],
    );
    cq.ok(common::ADMIN, T0, &["user", "add", "lee", "--role", "ops"]);
    cq.ok(common::ADMIN, T0, &["user", "disable", "lee"]);
    let rows = cq.json("ann", T0, &["user", "list", "--json"]);
    let rows = rows.as_array().unwrap();
    // `init` made the admin; disabled users stay listed.
    assert_eq!(rows.len(), 4, "{rows:?}");
    for r in rows {
        assert_eq!(keys(r), set(&["name", "roles", "login", "enabled"]), "{r}");
    }
    let row = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap();
    assert_eq!(row("lee")["enabled"], false);
    assert_eq!(row("ann")["enabled"], true);
    assert_eq!(row("ann")["login"], "ann", "the login defaults to the name");
    let find = |n: &str| -> BTreeSet<String> {
        rows.iter().find(|r| r["name"] == n).unwrap()["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(find("ann"), set(&["ops", "supervisor"]));
    assert_eq!(find("kim"), set(&["ops", "pharmacy"]));
}

/// Five records in different states (all created in clinic hours):
/// r1 form_submitted, unassigned, due T0+4h (18:00Z), warn at 17:00Z;
/// r2 intake_review claimed by ann (8h clinic, warn 6h);
/// r3 pending_provider claimed by pat (24h 24x7);
/// r4 needs_more_info, paused, unassigned;
/// r5 withdrawn (no SLA).
struct Board {
    cq: Cq,
    r: [i64; 5],
}

fn board() -> Board {
    let cq = Cq::init_default(T0);
    for (n, role) in [("ann", "ops"), ("pat", "provider"), ("sue", "supervisor")] {
        cq.ok(common::ADMIN, T0, &["user", "add", n, "--role", role]);
    }
    let mut c = Clock::at(T0);
    let r1 = cq.add("ann", T0, "One", &[]);
    let r2 = cq.add("ann", T0, "Two", &[]);
    cq.ok("ann", T0, &["move", &r2.to_string(), "start_review"]);
    cq.ok("ann", T0, &["claim", &r2.to_string()]);
    let r3 = cq.add("ann", T0, "Three", &[]);
    let r4 = cq.add("ann", T0, "Four", &[]);
    for r in [r3, r4] {
        let s = r.to_string();
        cq.ok("ann", &c.now(), &["move", &s, "start_review"]);
        cq.ok("ann", &c.now(), &["claim", &s]);
        cq.ok("ann", &c.now(), &["move", &s, "complete_intake"]);
        cq.ok("ann", &c.now(), &["move", &s, "send_to_provider"]);
    }
    // r3 waits for the provider; r4 goes back to the patient.
    cq.ok("pat", &c.now(), &["claim", &r3.to_string()]);
    let s4 = r4.to_string();
    cq.ok("pat", &c.now(), &["move", &s4, "begin_review"]);
    cq.ok("pat", &c.now(), &["claim", &s4]);
    cq.ok(
        "pat",
        &c.now(),
        &["move", &s4, "request_info", "--note", "labs"],
    );
    let r5 = cq.add("ann", &c.tick(), "Five", &[]);
    cq.ok(
        "sue",
        &c.now(),
        &["move", &r5.to_string(), "withdraw", "--reason", "duplicate"],
    );
    Board {
        cq,
        r: [r1, r2, r3, r4, r5],
    }
}

#[test]
fn list_json_rows_have_exactly_the_spec_keys() {
    let b = board();
    let rows = b.cq.list("ann", T0, &[]);
    assert_eq!(rows.len(), 5);
    let want = set(&[
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
    ]);
    for r in &rows {
        assert_eq!(keys(r), want, "{r}");
    }
    let r1 = rows.iter().find(|r| r["id"] == b.r[0]).unwrap();
    assert_eq!(r1["patient"], "One");
    assert_eq!(r1["phase"], "intake");
    assert_eq!(r1["stage"], "form_submitted");
    assert_eq!(r1["owner"], Value::Null);
    assert_eq!(r1["owner_role"], "ops");
    assert_eq!(r1["sla"], "ok");
    assert_eq!(r1["due_at"], "2026-03-02T18:00:00Z");
    assert_eq!(r1["seconds_left"], 4 * 3600);
    assert_eq!(r1["entered_at"], T0);
    assert_eq!(r1["version"], 1);
    let r5 = rows.iter().find(|r| r["id"] == b.r[4]).unwrap();
    assert_eq!(r5["sla"], "none");
    assert_eq!(r5["due_at"], Value::Null);
    assert_eq!(r5["seconds_left"], Value::Null);
    assert_eq!(r5["owner_role"], Value::Null);
}

#[test]
fn list_filters_each_filter_correctly() {
    let b = board();
    let [r1, r2, r3, r4, r5] = b.r;
    let q = |now: &str, as_user: &str, f: &[&str]| -> BTreeSet<i64> {
        ids(&b.cq.list(as_user, now, f)).into_iter().collect()
    };
    let s = |v: &[i64]| -> BTreeSet<i64> { v.iter().copied().collect() };
    assert_eq!(q(T0, "ann", &["--phase", "intake"]), s(&[r1, r2, r5]));
    assert_eq!(q(T0, "ann", &["--phase", "clinical"]), s(&[r3, r4]));
    assert_eq!(q(T0, "ann", &["--phase", "Clinical Review"]), s(&[r3, r4]));
    assert_eq!(q(T0, "ann", &["--phase", "active"]), s(&[]));
    assert_eq!(q(T0, "ann", &["--stage", "pending_provider"]), s(&[r3]));
    assert_eq!(
        q(
            T0,
            "ann",
            &["--phase", "intake", "--stage", "pending_provider"]
        ),
        s(&[])
    );
    assert_eq!(q(T0, "ann", &["--owner", "ann"]), s(&[r2]));
    assert_eq!(q(T0, "ann", &["--owner", "pat"]), s(&[r3]));
    assert_eq!(q(T0, "ann", &["--mine"]), s(&[r2]));
    assert_eq!(q(T0, "pat", &["--mine"]), s(&[r3]));
    assert_eq!(q(T0, "sue", &["--mine"]), s(&[]));
    assert_eq!(q(T0, "ann", &["--unassigned"]), s(&[r1, r4, r5]));
    assert_eq!(
        q(T0, "ann", &["--phase", "clinical", "--unassigned"]),
        s(&[r4])
    );
    // Nothing breached or at risk at the start.
    assert_eq!(q(T0, "ann", &["--breached"]), s(&[]));
    assert_eq!(q(T0, "ann", &["--at-risk"]), s(&[]));
    // 12:30 New York: r1 is past its 3h warn, not yet due.
    let t = "2026-03-02T17:30:00Z";
    assert_eq!(q(t, "ann", &["--at-risk"]), s(&[r1]));
    assert_eq!(q(t, "ann", &["--breached"]), s(&[]));
    assert_eq!(
        b.cq.list("ann", t, &["--stage", "form_submitted"])[0]["sla"],
        "warn"
    );
    // 14:00 New York: r1 breached; r2 not yet at risk (warn at 15:00 NY).
    let t = "2026-03-02T19:00:00Z";
    assert_eq!(q(t, "ann", &["--breached"]), s(&[r1]));
    assert_eq!(q(t, "ann", &["--at-risk"]), s(&[]));
    // 15:30 New York: r2 at risk, r1 still breached and not "at risk".
    let t = "2026-03-02T20:30:00Z";
    assert_eq!(q(t, "ann", &["--at-risk"]), s(&[r2]));
    assert_eq!(q(t, "ann", &["--breached"]), s(&[r1]));
    assert_eq!(q(t, "ann", &["--breached", "--unassigned"]), s(&[r1]));
    assert_eq!(q(t, "ann", &["--breached", "--owner", "ann"]), s(&[]));
    // Saturday: everything with a running clock is breached; the paused
    // r4 never breaches and r5 has no SLA.
    let sat = "2026-03-07T15:00:00Z";
    assert_eq!(q(sat, "ann", &["--breached"]), s(&[r1, r2, r3]));
    let rows = b.cq.list("ann", sat, &["--stage", "needs_more_info"]);
    assert_eq!(rows[0]["sla"], "paused");
    // --limit keeps the most urgent.
    let all = ids(&b.cq.list("ann", T0, &[]));
    assert_eq!(ids(&b.cq.list("ann", T0, &["--limit", "2"])), all[..2]);
    assert_eq!(
        ids(&b.cq.list("ann", T0, &["--limit", "0"])),
        Vec::<i64>::new()
    );
    assert_eq!(ids(&b.cq.list("ann", T0, &["--limit", "99"])), all);
}

#[test]
fn list_is_most_urgent_first() {
    let b = board();
    let [r1, r2, r3, r4, r5] = b.r;
    // At T0: by due time (r1 18:00Z, r2 22:00Z, r3 tomorrow), then the
    // paused record, then the one with no SLA.
    assert_eq!(ids(&b.cq.list("ann", T0, &[])), [r1, r2, r3, r4, r5]);
    // Wednesday: r1, r2, r3 all breached, the most overdue (earliest due)
    // first; paused and no-SLA records still last.
    let wed = "2026-03-04T15:00:00Z";
    let rows = b.cq.list("ann", wed, &[]);
    assert_eq!(ids(&rows), [r1, r2, r3, r4, r5]);
    let states: Vec<&str> = rows.iter().map(|r| r["sla"].as_str().unwrap()).collect();
    assert_eq!(
        states,
        ["breached", "breached", "breached", "paused", "none"]
    );
    for w in rows[..3].windows(2) {
        assert!(w[0]["due_at"].as_str() <= w[1]["due_at"].as_str());
    }
    assert!(rows[0]["seconds_left"].as_i64().unwrap() < 0);
    // A later record with a shorter clock outranks an older, longer one:
    // a new form at Tuesday 09:00 NY is due 18:00Z, after r3 (14:00Z, now
    // breached) but before the paused and closed records.
    let tue = "2026-03-03T14:00:00Z";
    let r6 = b.cq.add("ann", tue, "Six", &[]);
    let order = ids(&b.cq.list("ann", tue, &[]));
    let pos = |id: i64| order.iter().position(|x| *x == id).unwrap();
    assert!(
        pos(r1) < pos(r2) && pos(r2) < pos(r3) && pos(r3) < pos(r6),
        "{order:?}"
    );
    assert!(pos(r6) < pos(r4) && pos(r4) < pos(r5), "{order:?}");
    // Breached rows come first even when another clock is nearly due.
    let rows = b.cq.list("ann", tue, &[]);
    let first_ok = rows.iter().position(|r| r["sla"] != "breached").unwrap();
    assert!(rows[first_ok..].iter().all(|r| r["sla"] != "breached"));
}
