//! Walks records through every phase of the default pipeline to each of its
//! terminal stages, through every decision branch, with the real binary.

use crate::common::{Cq, Walk, allowed, ids};

/// Monday 2026-03-02 09:00 in New York: inside clinic hours, so no SLA of
/// the walk runs out while it is going on.
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

/// From a new record to `in_review`, claimed by the provider.
fn to_review(w: &mut Walk, patient: &str) -> i64 {
    let id = w.add("ann", patient, &["state=NY", "program=weight"]);
    w.mv("ann", id, "start_review", &[], "intake_review");
    w.act("ann", "claim", id, &[]);
    w.mv("ann", id, "complete_intake", &[], "intake_complete");
    w.mv("ann", id, "send_to_provider", &[], "pending_provider");
    w.mv("pat", id, "begin_review", &[], "in_review");
    w.act("pat", "claim", id, &[]);
    id
}

/// From `in_review` through approval and fulfilment to `ongoing`.
fn approve_to_ongoing(w: &mut Walk, id: i64) {
    w.mv("pat", id, "approve", &[], "approved");
    let rec = w.cq.show("phil", &w.clock.now(), id);
    assert_eq!(rec["owner_role"], "pharmacy");
    assert_eq!(
        rec["owner"],
        serde_json::Value::Null,
        "a new owning role starts unassigned"
    );
    w.mv("phil", id, "send_rx", &[], "rx_sent");
    w.mv("phil", id, "pharmacy_confirm", &[], "pharmacy_received");
    w.mv("phil", id, "ship", &[], "shipped");
    w.mv("phil", id, "first_fill", &[], "first_fill_complete");
    let rec = w.cq.show("ann", &w.clock.now(), id);
    assert_eq!(rec["phase"], "active");
    assert_eq!(
        rec["fields"]["fill_date"], "2026-03-02",
        "first_fill sets the fill date to today (pipeline time zone)"
    );
    w.mv("ann", id, "checkin_done", &[], "ongoing");
}

#[track_caller]
fn assert_terminal(w: &Walk, id: i64, stage: &str, phase: &str) {
    let now = w.clock.now();
    for user in ["ann", "pat", "phil", "sue"] {
        let rec = w.cq.show(user, &now, id);
        assert_eq!(rec["stage"], stage);
        assert_eq!(rec["phase"], phase);
        assert_eq!(
            allowed(&rec),
            Vec::<String>::new(),
            "terminal record {id} allows nothing for {user}"
        );
        assert_eq!(rec["sla"], "none", "terminal stages carry no SLA");
    }
    // And a move from it is refused, naming the terminal stage.
    let err = w.cq.fail(
        "sue",
        &now,
        &["move", &id.to_string(), "withdraw", "--reason", "duplicate"],
    );
    assert!(err.contains(&format!("record {id}")), "{err}");
    assert!(err.contains(stage), "{err}");
}

#[test]
fn approve_fulfil_refill_lapse_outreach_to_lost() {
    let mut w = team();
    let id = to_review(&mut w, "Alice Lost");
    approve_to_ongoing(&mut w, id);

    // One refill cycle, then a missed one.
    w.mv("ann", id, "refill_window", &[], "refill_due");
    w.mv("phil", id, "refill", &[], "ongoing");
    w.mv("ann", id, "refill_window", &[], "refill_due");
    w.mv("ann", id, "lapse", &[], "lapsed");
    assert_eq!(w.cq.show("ann", &w.clock.now(), id)["phase"], "reengage");

    // Outreach up to the pipeline's max (3), counted in a field.
    for n in 1..=3 {
        w.mv(
            "ann",
            id,
            "outreach",
            &["--note", &format!("call {n}")],
            "reengagement_attempted",
        );
        let rec = w.cq.show("ann", &w.clock.now(), id);
        assert_eq!(rec["fields"]["reengagement_attempts"], n.to_string());
    }
    // The fourth is refused and changes nothing.
    let err = w.refused(
        "ann",
        &["move", &id.to_string(), "outreach", "--note", "call 4"],
        id,
    );
    assert!(err.contains("reengagement_attempts"), "{err}");
    assert!(err.contains('3'), "{err}");
    assert!(err.contains("outreach"), "{err}");

    w.mv("ann", id, "give_up", &["--reason", "unreachable"], "lost");
    assert_terminal(&w, id, "lost", "reengage");
    let rec = w.verify_history(id);
    // create, 5 intake/clinical moves, 2 claims, 6 fulfilment/active moves,
    // 4 refill/lapse moves, 3 outreaches, give_up: the refused 4th outreach
    // left no trace.
    assert_eq!(rec["history"].as_array().unwrap().len(), 21);
    let last = rec["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["reason"], "unreachable");
    assert_eq!(last["from"], "reengagement_attempted");
}

#[test]
fn reactivated_back_to_ongoing_then_complete_care() {
    let mut w = team();
    let id = to_review(&mut w, "Bob Back");
    approve_to_ongoing(&mut w, id);
    w.mv("ann", id, "refill_window", &[], "refill_due");
    w.mv("ann", id, "lapse", &[], "lapsed");
    w.mv(
        "ann",
        id,
        "outreach",
        &["--note", "left voicemail"],
        "reengagement_attempted",
    );
    w.mv("ann", id, "reactivate", &[], "reactivated");
    w.mv("phil", id, "resume_care", &[], "ongoing");
    let rec = w.cq.show("ann", &w.clock.now(), id);
    assert_eq!(rec["phase"], "active");
    assert_eq!(
        rec["fields"]["reengagement_attempts"], "0",
        "resume_care resets the attempt counter"
    );
    // complete_care needs a note and a provider.
    w.refused("pat", &["move", &id.to_string(), "complete_care"], id);
    w.refused(
        "ann",
        &["move", &id.to_string(), "complete_care", "--note", "done"],
        id,
    );
    w.mv(
        "pat",
        id,
        "complete_care",
        &["--note", "plan completed"],
        "care_completed",
    );
    assert_terminal(&w, id, "care_completed", "active");
    w.verify_history(id);
}

#[test]
fn deny_then_notify_to_closed_denied() {
    let mut w = team();
    let id = to_review(&mut w, "Carol Denied");
    w.mv(
        "pat",
        id,
        "deny",
        &["--reason", "contraindication", "--note", "interaction risk"],
        "denied",
    );
    let rec = w.cq.show("ann", &w.clock.now(), id);
    assert_eq!(rec["owner_role"], "ops", "a denial is owned by ops");
    assert_eq!(allowed(&rec), vec!["notify_denial", "withdraw"]);
    w.mv(
        "ann",
        id,
        "notify_denial",
        &["--note", "called the patient"],
        "closed_denied",
    );
    assert_terminal(&w, id, "closed_denied", "clinical");
    let rec = w.verify_history(id);
    let hist = rec["history"].as_array().unwrap();
    let deny = hist.iter().find(|h| h["event"] == "deny").unwrap();
    assert_eq!(deny["reason"], "contraindication");
    assert_eq!(deny["note"], "interaction risk");
    assert_eq!(deny["from"], "in_review");
}

#[test]
fn request_info_pauses_until_cleared_then_back_to_provider() {
    let mut w = team();
    let id = to_review(&mut w, "Dan Info");
    w.mv(
        "pat",
        id,
        "request_info",
        &["--note", "need recent labs"],
        "needs_more_info",
    );
    let now = w.clock.now();
    let row =
        w.cq.list("ann", &now, &[])
            .into_iter()
            .find(|r| r["id"] == id)
            .unwrap();
    assert_eq!(row["substatus"], "awaiting_patient");
    assert_eq!(row["sla"], "paused");
    assert_eq!(row["due_at"], serde_json::Value::Null);
    assert_eq!(row["seconds_left"], 48 * 3600, "the whole 48h is left");
    // Still paused a day later: the clock does not run.
    let later = w.clock.plus(24 * 3600);
    let row = w.cq.list("ann", &later, &["--stage", "needs_more_info"]);
    assert_eq!(row[0]["sla"], "paused");
    assert_eq!(row[0]["seconds_left"], 48 * 3600);

    // info_received needs the sub-status cleared first.
    let err = w.refused("ann", &["move", &id.to_string(), "info_received"], id);
    assert!(err.contains("awaiting_patient"), "{err}");
    w.act("ann", "substatus", id, &["--clear"]);
    let now = w.clock.now();
    let row = &w.cq.list("ann", &now, &["--stage", "needs_more_info"])[0];
    assert_eq!(row["sla"], "ok");
    assert_eq!(row["substatus"], serde_json::Value::Null);
    w.mv("ann", id, "info_received", &[], "pending_provider");
    assert_eq!(
        w.cq.show("pat", &w.clock.now(), id)["owner_role"],
        "provider"
    );

    // Back through review, this time approved, then the patient withdraws
    // from fulfilment (withdraw is allowed from every live stage).
    w.mv("pat", id, "begin_review", &[], "in_review");
    w.act("sue", "assign", id, &["pat"]);
    w.mv("pat", id, "approve", &[], "approved");
    w.mv("phil", id, "send_rx", &[], "rx_sent");
    w.mv("sue", id, "withdraw", &["--reason", "cost"], "withdrawn");
    assert_terminal(&w, id, "withdrawn", "intake");
    let rec = w.verify_history(id);
    let hist = rec["history"].as_array().unwrap();
    let kinds: Vec<&str> = hist.iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"assign"), "{kinds:?}");
}

#[test]
fn withdraw_from_an_early_stage() {
    let mut w = team();
    let id = w.add("ann", "Eve Early", &["dob=1990-05-17", "phone=555-0100"]);
    w.mv("ann", id, "start_review", &[], "intake_review");
    // An incomplete intake stays in the phase with an explicit sub-status.
    w.act("ann", "substatus", id, &["missing_id"]);
    let row = &w.cq.list("ann", &w.clock.now(), &[])[0];
    assert_eq!(row["substatus"], "missing_id");
    assert_eq!(row["sla"], "paused", "missing_id pauses the clock");
    w.act("ann", "note", id, &["patient will send ID later"]);
    w.mv(
        "ann",
        id,
        "withdraw",
        &["--reason", "patient_request"],
        "withdrawn",
    );
    assert_terminal(&w, id, "withdrawn", "intake");
    let rec = w.verify_history(id);
    assert_eq!(rec["substatus"], serde_json::Value::Null);
    assert_eq!(rec["fields"]["dob"], "1990-05-17");
    let hist = rec["history"].as_array().unwrap();
    assert_eq!(hist.len(), 5);
    assert_eq!(hist[3]["kind"], "note");
    assert_eq!(hist[3]["note"], "patient will send ID later");
}

#[test]
fn every_stage_of_the_default_pipeline_is_visited() {
    // One database, all branches: the union of stages the records pass
    // through is every stage of the pipeline.
    let mut w = team();
    let a = to_review(&mut w, "A");
    approve_to_ongoing(&mut w, a);
    w.mv("ann", a, "refill_window", &[], "refill_due");
    w.mv("ann", a, "lapse", &[], "lapsed");
    w.mv(
        "ann",
        a,
        "outreach",
        &["--note", "x"],
        "reengagement_attempted",
    );
    w.mv("ann", a, "give_up", &["--reason", "cost"], "lost");
    let b = to_review(&mut w, "B");
    approve_to_ongoing(&mut w, b);
    w.mv("ann", b, "refill_window", &[], "refill_due");
    w.mv("ann", b, "lapse", &[], "lapsed");
    w.mv("ann", b, "reactivate", &[], "reactivated");
    w.mv("ann", b, "resume_care", &[], "ongoing");
    w.mv(
        "pat",
        b,
        "complete_care",
        &["--note", "done"],
        "care_completed",
    );
    let c = to_review(&mut w, "C");
    w.mv(
        "pat",
        c,
        "deny",
        &["--reason", "not_eligible", "--note", "n"],
        "denied",
    );
    w.mv("ann", c, "notify_denial", &["--note", "n"], "closed_denied");
    let d = to_review(&mut w, "D");
    w.mv(
        "pat",
        d,
        "request_info",
        &["--note", "n"],
        "needs_more_info",
    );
    w.mv(
        "ann",
        d,
        "withdraw",
        &["--reason", "unreachable"],
        "withdrawn",
    );

    let now = w.clock.now();
    let mut seen = std::collections::BTreeSet::new();
    for id in [a, b, c, d] {
        let rec = w.verify_history(id);
        for h in rec["history"].as_array().unwrap() {
            if let Some(to) = h["to"].as_str()
                && (h["kind"] == "create" || h["kind"] == "transition")
            {
                seen.insert(to.to_string());
            }
        }
    }
    let pipeline = w.cq.json("ann", &now, &["pipeline", "--json"]);
    let all: std::collections::BTreeSet<String> = pipeline["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["stages"].as_array().unwrap())
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, all, "every stage visited");
    // All four are closed: nothing left in any queue but terminal stages.
    let rows = w.cq.list("sue", &now, &[]);
    assert_eq!(ids(&rows).len(), 4);
    assert!(rows.iter().all(|r| r["sla"] == "none"));
}
