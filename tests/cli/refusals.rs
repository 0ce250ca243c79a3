//! Refusals on the default pipeline: each names what and why, exits 1 with
//! one `error:` line, and changes nothing.

use crate::common;
use crate::common::{Cq, Walk};
use serde_json::Value;

const START: &str = "2026-03-02T14:00:00Z";

fn team() -> Walk {
    let cq = Cq::init_default(START);
    for (name, role) in [
        ("ann", "ops"),
        ("pat", "provider"),
        ("phil", "pharmacy"),
        ("sue", "supervisor"),
    ] {
        cq.ok("nobody", START, &["user", "add", name, "--role", role]);
    }
    Walk::new(cq, START)
}

fn version(rec: &Value) -> i64 {
    rec["version"].as_i64().unwrap()
}

#[test]
fn move_not_valid_from_stage_names_record_event_stage_and_allowed() {
    let mut w = team();
    let id = w.add("ann", "P", &[]);
    let err = w.refused("ann", &["move", &id.to_string(), "approve"], id);
    assert!(err.contains(&format!("record {id}")), "{err}");
    assert!(err.contains("approve"), "{err}");
    assert!(err.contains("form_submitted"), "{err}");
    assert!(err.contains("start_review"), "{err}");
    assert!(err.contains("withdraw"), "{err}");
    // An event the pipeline does not have at all.
    let err = w.refused("ann", &["move", &id.to_string(), "teleport"], id);
    assert!(
        err.contains("teleport") && err.contains("form_submitted"),
        "{err}"
    );
}

#[test]
fn role_not_allowed_is_refused() {
    let mut w = team();
    let id = w.add("ann", "P", &[]);
    w.mv("ann", id, "start_review", &[], "intake_review");
    w.act("ann", "claim", id, &[]);
    w.mv("ann", id, "complete_intake", &[], "intake_complete");
    w.mv("ann", id, "send_to_provider", &[], "pending_provider");
    // ops may not begin a clinical review, pharmacy neither.
    let err = w.refused("ann", &["move", &id.to_string(), "begin_review"], id);
    assert!(
        err.contains("begin_review") && err.contains("provider"),
        "{err}"
    );
    w.refused("phil", &["move", &id.to_string(), "begin_review"], id);
    w.mv("pat", id, "begin_review", &[], "in_review");
    w.act("pat", "claim", id, &[]);
    let err = w.refused("ann", &["move", &id.to_string(), "approve"], id);
    assert!(err.contains(&format!("record {id}")), "{err}");
    assert!(
        err.contains("approve") && err.contains("in_review"),
        "{err}"
    );
    assert!(err.contains("ops"), "names the role held: {err}");
    // A supervisor may not approve either: roles are the pipeline's.
    w.refused("sue", &["move", &id.to_string(), "approve"], id);
    // ops may not work a provider's record's sub-status or claim it.
    w.refused("ann", &["claim", &id.to_string()], id);
    // An ops user cannot be assigned a provider record.
    w.refused("sue", &["assign", &id.to_string(), "ann"], id);
    // ...and the pipeline did not lose the provider's claim.
    assert_eq!(w.cq.show("pat", &w.clock.now(), id)["owner"], "pat");
    w.verify_history(id);
}

#[test]
fn missing_guards_are_refused_and_change_nothing() {
    let mut w = team();
    let id = w.add("ann", "P", &[]);
    w.mv("ann", id, "start_review", &[], "intake_review");
    let sid = id.to_string();
    // assignee guard
    let err = w.refused("ann", &["move", &sid, "complete_intake"], id);
    assert!(err.contains("assign"), "{err}");
    w.act("ann", "claim", id, &[]);
    // no_substatus guard
    w.act("ann", "substatus", id, &["missing_history"]);
    let err = w.refused("ann", &["move", &sid, "complete_intake"], id);
    assert!(err.contains("missing_history"), "{err}");
    w.act("ann", "substatus", id, &["--clear"]);
    // an unknown sub-status names the allowed ones
    let err = w.refused("ann", &["substatus", &sid, "lost_paperwork"], id);
    assert!(
        err.contains("lost_paperwork") && err.contains("awaiting_patient"),
        "{err}"
    );
    w.mv("ann", id, "complete_intake", &[], "intake_complete");
    w.mv("ann", id, "send_to_provider", &[], "pending_provider");
    w.mv("pat", id, "begin_review", &[], "in_review");
    // assignee guard on a decision
    w.refused(
        "pat",
        &[
            "move",
            &sid,
            "deny",
            "--reason",
            "not_eligible",
            "--note",
            "n",
        ],
        id,
    );
    w.act("pat", "claim", id, &[]);
    // reason guard: missing, then not in the transition's list
    let err = w.refused("pat", &["move", &sid, "deny", "--note", "n"], id);
    assert!(
        err.contains("reason") && err.contains("contraindication"),
        "{err}"
    );
    let err = w.refused(
        "pat",
        &["move", &sid, "deny", "--reason", "staffing", "--note", "n"],
        id,
    );
    assert!(
        err.contains("staffing") && err.contains("not_eligible"),
        "{err}"
    );
    // note guard: missing, and blank
    let err = w.refused(
        "pat",
        &["move", &sid, "deny", "--reason", "not_eligible"],
        id,
    );
    assert!(err.contains("note"), "{err}");
    w.refused(
        "pat",
        &[
            "move",
            &sid,
            "deny",
            "--reason",
            "not_eligible",
            "--note",
            "   ",
        ],
        id,
    );
    w.refused("pat", &["move", &sid, "request_info"], id);
    w.mv(
        "pat",
        id,
        "deny",
        &["--reason", "not_eligible", "--note", "n"],
        "denied",
    );
    let err = w.refused("ann", &["move", &sid, "notify_denial"], id);
    assert!(err.contains("note"), "{err}");
    // Only the successful actions are in the history.
    w.verify_history(id);
}

#[test]
fn stale_expect_version_is_refused_with_a_clear_message() {
    let mut w = team();
    let id = w.add("ann", "P", &[]);
    let sid = id.to_string();
    let v1 = version(&w.cq.show("ann", &w.clock.now(), id));
    w.mv("ann", id, "start_review", &[], "intake_review");
    let v2 = version(&w.cq.show("ann", &w.clock.now(), id));
    assert!(v2 > v1, "every change bumps the version");
    let stale = v1.to_string();
    let err = w.refused(
        "ann",
        &[
            "move",
            &sid,
            "withdraw",
            "--reason",
            "duplicate",
            "--expect-version",
            &stale,
        ],
        id,
    );
    assert!(err.contains(&format!("record {id}")), "{err}");
    assert!(err.contains("changed"), "{err}");
    assert!(
        err.contains(&v1.to_string()) && err.contains(&v2.to_string()),
        "{err}"
    );
    for args in [
        vec!["claim", sid.as_str(), "--expect-version", stale.as_str()],
        vec![
            "note",
            sid.as_str(),
            "hello",
            "--expect-version",
            stale.as_str(),
        ],
        vec![
            "substatus",
            sid.as_str(),
            "missing_id",
            "--expect-version",
            stale.as_str(),
        ],
    ] {
        let err = w.refused("ann", &args, id);
        assert!(err.contains("changed"), "{err}");
    }
    // The current version is accepted.
    let current = v2.to_string();
    w.act("ann", "claim", id, &["--expect-version", &current]);
    w.verify_history(id);
}

#[test]
fn unknown_user_is_refused() {
    let mut w = team();
    let id = w.add("ann", "P", &[]);
    let sid = id.to_string();
    let err = w.refused("mallory", &["move", &sid, "start_review"], id);
    assert!(err.contains("mallory"), "{err}");
    w.refused("mallory", &["claim", &sid], id);
    w.refused("mallory", &["note", &sid, "hi"], id);
    let err = w.refused("ann", &["assign", &sid, "ghost"], id);
    assert!(err.contains("ghost"), "{err}");
    let now = w.clock.tick();
    let err = w.cq.fail("mallory", &now, &["add", "--patient", "Q"]);
    assert!(err.contains("mallory"), "{err}");
    assert_eq!(w.cq.list("ann", &now, &[]).len(), 1, "no record was added");
    // The reserved system actor is not a way in either... for user add.
    w.cq.fail("ann", &now, &["user", "add", "system", "--role", "ops"]);
    let err =
        w.cq.fail("ann", &now, &["user", "add", "zed", "--role", "wizard"]);
    assert!(err.contains("wizard"), "{err}");
    w.verify_history(id);
}

#[test]
fn bad_fields_are_refused_naming_the_field() {
    let w = team();
    let now = w.clock.now();
    let err = w.cq.fail(
        "ann",
        &now,
        &["add", "--patient", "Q", "--field", "shoe_size=9"],
    );
    assert!(err.contains("shoe_size"), "{err}");
    let err = w.cq.fail(
        "ann",
        &now,
        &["add", "--patient", "Q", "--field", "dob=1990-02-30"],
    );
    assert!(err.contains("dob"), "{err}");
    let err = w.cq.fail(
        "ann",
        &now,
        &["add", "--patient", "Q", "--field", "fill_date=yesterday"],
    );
    assert!(err.contains("fill_date"), "{err}");
    let err = w.cq.fail(
        "ann",
        &now,
        &["add", "--patient", "Q", "--field", "days_supply=thirty"],
    );
    assert!(err.contains("days_supply"), "{err}");
    let err = w.cq.fail(
        "ann",
        &now,
        &["add", "--patient", "Q", "--field", "state=ZZ"],
    );
    assert!(err.contains("state"), "{err}");
    let err =
        w.cq.fail("ann", &now, &["add", "--patient", "Q", "--field", "dob"]);
    assert!(err.contains("dob"), "{err}");
    w.cq.fail("ann", &now, &["add", "--patient", "   "]);
    assert!(w.cq.list("ann", &now, &[]).is_empty(), "nothing was added");
}

#[test]
fn usage_errors_exit_2_and_missing_records_exit_1() {
    let w = team();
    let now = w.clock.now();
    w.cq.usage("ann", &now, &["move", "1"]);
    w.cq.usage("ann", &now, &["show", "abc"]);
    w.cq.usage("ann", &now, &["list", "--owner", "ann", "--unassigned"]);
    w.cq.usage("ann", &now, &["list", "--breached", "--at-risk"]);
    w.cq.usage("ann", &now, &["substatus", "1"]);
    w.cq.usage("ann", &now, &["substatus", "1", "x", "--clear"]);
    w.cq.usage("ann", &now, &["add"]);
    w.cq.usage("ann", &now, &["frobnicate"]);
    w.cq.usage("ann", &now, &["user", "add", "zed"]);
    let err = w.cq.fail("ann", &now, &["show", "9999"]);
    assert!(err.contains("9999"), "{err}");
    let err = w.cq.fail("ann", &now, &["move", "9999", "start_review"]);
    assert!(err.contains("9999"), "{err}");
    w.cq.fail("ann", &now, &["claim", "9999"]);
    let err = w.cq.fail("ann", "yesterday", &["list"]);
    assert!(err.contains("--now"), "{err}");
    let err = w.cq.fail("ann", &now, &["list", "--phase", "nowhere"]);
    assert!(err.contains("nowhere"), "{err}");
    let err = w.cq.fail("ann", &now, &["list", "--stage", "limbo"]);
    assert!(err.contains("limbo"), "{err}");
}

#[test]
fn commands_on_a_missing_database_are_refused() {
    let cq = Cq::new(common::default_pipeline());
    let err = cq.fail("ann", START, &["list"]);
    assert!(err.contains("init"), "{err}");
    assert!(!cq.db.exists(), "a read must not create the database");
}
