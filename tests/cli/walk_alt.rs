//! A different clinic's pipeline (tests/fixtures/alt_pipeline.toml: four
//! phases, other stages, roles, events, reasons and fields) walked to every
//! terminal stage with the real binary: nothing of the default pipeline is
//! hard-coded.

use crate::common;
use crate::common::{Cq, Walk, allowed, fixture, ids};
use serde_json::Value;
use std::collections::BTreeSet;

/// Monday 2026-03-02 09:00 in London: the office calendar is open.
const START: &str = "2026-03-02T09:00:00Z";

fn team() -> Walk {
    let cq = Cq::init(fixture("alt_pipeline.toml"), START);
    for (name, role) in [
        ("cora", "coordinator"),
        ("cal", "clinician"),
        ("dex", "dispenser"),
        ("lea", "lead"),
    ] {
        cq.ok("nobody", START, &["user", "add", name, "--role", role]);
    }
    Walk::new(cq, START)
}

/// From a new referral to `queued_consult`, claimed by the clinician.
fn to_consult(w: &mut Walk, patient: &str, mrn: &str) -> i64 {
    let id = w.add("cora", patient, &[&format!("mrn={mrn}"), "skin_type=III"]);
    w.act("cora", "claim", id, &[]);
    w.mv("cora", id, "verify", &[], "verified");
    w.mv("cora", id, "book_consult", &[], "queued_consult");
    let rec = w.cq.show("cal", &w.clock.now(), id);
    assert_eq!(rec["phase"], "consult");
    assert_eq!(rec["owner_role"], "clinician");
    assert_eq!(rec["owner"], Value::Null, "new owning role, unassigned");
    w.act("cal", "claim", id, &[]);
    id
}

/// From `queued_consult` through dispensing to `maintained`.
fn prescribe_to_maintained(w: &mut Walk, id: i64) {
    w.mv("cal", id, "prescribe", &[], "rx_written");
    w.mv("dex", id, "pack", &[], "packed");
    w.act("dex", "substatus", id, &["backorder"]);
    let err = w.refused("dex", &["move", &id.to_string(), "hand_over"], id);
    assert!(err.contains("backorder"), "{err}");
    w.act("dex", "substatus", id, &["--clear"]);
    w.mv("dex", id, "hand_over", &[], "handed_over");
    assert_eq!(
        w.cq.show("dex", &w.clock.now(), id)["fields"]["handed_on"],
        "2026-03-02",
        "`sets = {{ handed_on = \"today\" }}` is the pipeline's, not hard-coded"
    );
    w.mv("cora", id, "start_plan", &[], "maintained");
    assert_eq!(
        w.cq.show("cora", &w.clock.now(), id)["phase"],
        "maintenance"
    );
}

#[track_caller]
fn assert_terminal(w: &Walk, id: i64, stage: &str, phase: &str) {
    let now = w.clock.now();
    for user in ["cora", "cal", "dex", "lea"] {
        let rec = w.cq.show(user, &now, id);
        assert_eq!(rec["stage"], stage);
        assert_eq!(rec["phase"], phase);
        assert_eq!(allowed(&rec), Vec::<String>::new(), "{user}: {rec:#}");
        assert_eq!(rec["sla"], "none");
    }
    let err = w.cq.fail(
        "lea",
        &now,
        &["move", &id.to_string(), "cancel", "--reason", "moved_away"],
    );
    assert!(
        err.contains(stage) && err.contains(&format!("record {id}")),
        "{err}"
    );
}

#[test]
fn prescribe_dispense_renew_chase_to_dropped_out() {
    let mut w = team();
    let id = to_consult(&mut w, "Ava Drop", "N-1");
    prescribe_to_maintained(&mut w, id);
    w.mv("cora", id, "renewal_open", &[], "renewal");
    w.mv("dex", id, "renew", &[], "maintained");
    w.mv("cora", id, "renewal_open", &[], "renewal");
    for n in 1..=2 {
        w.mv(
            "cora",
            id,
            "chase",
            &["--note", &format!("email {n}")],
            "renewal",
        );
        let rec = w.cq.show("cora", &w.clock.now(), id);
        assert_eq!(rec["fields"]["chase_count"], n.to_string());
    }
    let err = w.refused(
        "cora",
        &["move", &id.to_string(), "chase", "--note", "email 3"],
        id,
    );
    assert!(err.contains("chase_count") && err.contains('2'), "{err}");
    // drop needs one of its own reasons
    let err = w.refused("cora", &["move", &id.to_string(), "drop"], id);
    assert!(
        err.contains("no_response") && err.contains("moved_away"),
        "{err}"
    );
    w.mv(
        "cora",
        id,
        "drop",
        &["--reason", "no_response"],
        "dropped_out",
    );
    assert_terminal(&w, id, "dropped_out", "maintenance");
    let rec = w.verify_history(id);
    // create, claim, verify, book_consult, claim, prescribe, pack,
    // substatus, clear, hand_over, start_plan, renewal_open, renew,
    // renewal_open, 2 chases, drop
    assert_eq!(rec["history"].as_array().unwrap().len(), 17);
}

#[test]
fn maintained_then_discharged() {
    let mut w = team();
    let id = to_consult(&mut w, "Ben Done", "N-2");
    prescribe_to_maintained(&mut w, id);
    // discharge is the clinician's and needs a note
    w.refused(
        "cora",
        &["move", &id.to_string(), "discharge", "--note", "x"],
        id,
    );
    w.refused("cal", &["move", &id.to_string(), "discharge"], id);
    w.mv(
        "cal",
        id,
        "discharge",
        &["--note", "course complete"],
        "discharged",
    );
    assert_terminal(&w, id, "discharged", "maintenance");
    w.verify_history(id);
}

#[test]
fn decline_then_client_told() {
    let mut w = team();
    let id = to_consult(&mut w, "Cy Declined", "N-3");
    let err = w.refused(
        "cal",
        &[
            "move",
            &id.to_string(),
            "decline",
            "--reason",
            "backlog",
            "--note",
            "n",
        ],
        id,
    );
    assert!(
        err.contains("unsafe_rx") && err.contains("out_of_scope"),
        "{err}"
    );
    w.mv(
        "cal",
        id,
        "decline",
        &["--reason", "out_of_scope", "--note", "refer to hospital"],
        "declined",
    );
    let rec = w.cq.show("cora", &w.clock.now(), id);
    assert_eq!(rec["owner_role"], "coordinator");
    assert_eq!(allowed(&rec), vec!["tell_client", "cancel"]);
    w.mv(
        "cora",
        id,
        "tell_client",
        &["--note", "letter sent"],
        "declined_closed",
    );
    assert_terminal(&w, id, "declined_closed", "consult");
    let rec = w.verify_history(id);
    let hist = rec["history"].as_array().unwrap();
    let decline = hist.iter().find(|h| h["event"] == "decline").unwrap();
    assert_eq!(decline["reason"], "out_of_scope");
    assert_eq!(decline["actor"], "cal");
}

#[test]
fn hold_for_info_paused_then_back_then_cancelled_by_lead() {
    let mut w = team();
    let id = to_consult(&mut w, "Di Hold", "N-4");
    w.mv(
        "cal",
        id,
        "hold_for_info",
        &["--note", "need photos"],
        "info_hold",
    );
    let row = &w.cq.list("cora", &w.clock.now(), &["--stage", "info_hold"])[0];
    assert_eq!(row["substatus"], "client_pending");
    assert_eq!(row["sla"], "paused");
    assert_eq!(row["seconds_left"], 3 * 86400);
    let err = w.refused("cora", &["move", &id.to_string(), "info_in"], id);
    assert!(err.contains("client_pending"), "{err}");
    w.act("cora", "substatus", id, &["--clear"]);
    assert_eq!(
        w.cq.list("cora", &w.clock.now(), &["--stage", "info_hold"])[0]["sla"],
        "ok"
    );
    w.mv("cora", id, "info_in", &[], "queued_consult");
    w.mv(
        "lea",
        id,
        "cancel",
        &["--reason", "moved_away"],
        "cancelled",
    );
    assert_terminal(&w, id, "cancelled", "screening");
    w.verify_history(id);
}

#[test]
fn cancel_from_the_first_stage_with_a_pausing_substatus() {
    let mut w = team();
    let id = w.add("cora", "Ed Early", &["mrn=N-5"]);
    w.act("cora", "substatus", id, &["waiting_docs"]);
    let row = &w.cq.list("cora", &w.clock.now(), &[])[0];
    assert_eq!(row["sla"], "paused");
    assert_eq!(row["phase"], "screening");
    // verify needs the documents and an assignee
    w.refused("cora", &["move", &id.to_string(), "verify"], id);
    w.mv(
        "cora",
        id,
        "cancel",
        &["--reason", "duplicate_entry"],
        "cancelled",
    );
    assert_terminal(&w, id, "cancelled", "screening");
    w.verify_history(id);
}

#[test]
fn nothing_of_the_default_pipeline_leaks_in() {
    let w = team();
    let now = w.clock.now();
    let cq = &w.cq;
    // The default pipeline's roles, events, phases, stages, fields and
    // reasons mean nothing here.
    let err = cq.fail("x", &now, &["user", "add", "zed", "--role", "ops"]);
    assert!(
        err.contains("coordinator"),
        "lists this pipeline's roles: {err}"
    );
    let id = cq.add("cora", &now, "Fay", &["mrn=N-6"]);
    let sid = id.to_string();
    let err = cq.fail("cora", &now, &["move", &sid, "start_review"]);
    assert!(err.contains("received") && err.contains("cancel"), "{err}");
    cq.fail("cora", &now, &["substatus", &sid, "awaiting_patient"]);
    cq.fail(
        "cora",
        &now,
        &["move", &sid, "cancel", "--reason", "duplicate"],
    );
    let err = cq.fail("cora", &now, &["list", "--phase", "intake"]);
    assert!(err.contains("screening"), "{err}");
    cq.fail("cora", &now, &["list", "--stage", "form_submitted"]);
    let err = cq.fail(
        "cora",
        &now,
        &[
            "add",
            "--patient",
            "G",
            "--field",
            "mrn=1",
            "--field",
            "dob=2000-01-01",
        ],
    );
    assert!(err.contains("dob"), "{err}");
    // This pipeline's own rules apply: a required field, choice values.
    let err = cq.fail("cora", &now, &["add", "--patient", "G"]);
    assert!(err.contains("mrn"), "{err}");
    let err = cq.fail(
        "cora",
        &now,
        &[
            "add",
            "--patient",
            "G",
            "--field",
            "mrn=1",
            "--field",
            "skin_type=VII",
        ],
    );
    assert!(err.contains("skin_type"), "{err}");
    let err = cq.fail(
        "cora",
        &now,
        &[
            "add",
            "--patient",
            "G",
            "--field",
            "mrn=1",
            "--field",
            "handed_on=2026-02-30",
        ],
    );
    assert!(err.contains("handed_on"), "{err}");
    // Role refusal with this pipeline's roles.
    let err = cq.fail("lea", &now, &["move", &sid, "verify"]);
    assert!(err.contains("coordinator"), "{err}");
    assert_eq!(ids(&cq.list("cora", &now, &[])), vec![id]);
    // The pipeline as the binary sees it.
    let p = cq.json("cora", &now, &["pipeline", "--json"]);
    assert_eq!(p["name"], "Northside Skin Clinic");
    let phases: Vec<&str> = p["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["screening", "consult", "dispense", "maintenance"]);
    let users = cq.json("cora", &now, &["user", "list", "--json"]);
    let roles: BTreeSet<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["roles"].as_array().unwrap())
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        BTreeSet::from(["clinician", "coordinator", "dispenser", "lead"])
    );
}

#[test]
fn every_stage_of_the_alt_pipeline_is_visited() {
    let mut w = team();
    let a = to_consult(&mut w, "A", "1");
    prescribe_to_maintained(&mut w, a);
    w.mv("cora", a, "renewal_open", &[], "renewal");
    w.mv("lea", a, "drop", &["--reason", "moved_away"], "dropped_out");
    let b = to_consult(&mut w, "B", "2");
    prescribe_to_maintained(&mut w, b);
    w.mv("cal", b, "discharge", &["--note", "n"], "discharged");
    let c = to_consult(&mut w, "C", "3");
    w.mv(
        "cal",
        c,
        "decline",
        &["--reason", "unsafe_rx", "--note", "n"],
        "declined",
    );
    w.mv(
        "cora",
        c,
        "tell_client",
        &["--note", "n"],
        "declined_closed",
    );
    let d = to_consult(&mut w, "D", "4");
    w.mv("cal", d, "hold_for_info", &["--note", "n"], "info_hold");
    w.mv(
        "cora",
        d,
        "cancel",
        &["--reason", "moved_away"],
        "cancelled",
    );
    let mut seen = BTreeSet::new();
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
    let p =
        w.cq.json(common::ADMIN, &w.clock.now(), &["pipeline", "--json"]);
    let all: BTreeSet<String> = p["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|ph| ph["stages"].as_array().unwrap())
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(all.len(), 14);
    assert_eq!(seen, all);
}
