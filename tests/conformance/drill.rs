//! The Audit's drill-down terms on either store: `noaction:yes`,
//! `reason:CODE` and `exited:STAGE` list exactly the records a history
//! built by hand puts behind each count, alone and together with other
//! terms; a bad one is refused by name.

use super::{Target, refused};

/// Three days before `NOW` (a Monday), the records' Thursday.
const THU: &str = "2026-10-30T09:00:00Z";
const THU_LATER: &str = "2026-10-30T09:05:00Z";

/// Record ids in `list --filter TEXT --json`, in id order.
fn ids(t: &Target, filter: &str) -> Vec<i64> {
    let v = t.json(
        "kim",
        &["list", "--filter", filter, "--sort", "id", "--json"],
    );
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

pub fn audit_drilled(t: &Target) {
    let add = |who: &str, at: &str, name: &str| -> i64 {
        let out = t.run_at(who, at, &["add", "--patient", name]);
        super::ok(&out).trim().parse().expect("id")
    };
    // A: withdrawn five minutes in, before any breach: an exit before
    // Active Care from the first stage.
    let a = add("maria", THU, "Ada Exit");
    super::ok(&t.run_at(
        "maria",
        THU_LATER,
        &["move", &a.to_string(), "withdraw", "--reason", "duplicate"],
    ));
    // B: left where it started, unassigned: breached (4 clinic hours are
    // long past), no reason given, and no owner action.
    let b = add("maria", THU, "Bea Stuck");
    // C: the same, its breach acknowledged as staffing.
    let c = add("maria", THU, "Cy Acked");
    t.ok("kim", &["ack", &c.to_string(), "--reason", "staffing"]);
    // D: new now and claimed: nothing to count.
    let d = t.add("maria", "Dee Fresh");
    t.ok("maria", &["claim", &d.to_string()]);
    let kind = t.kind();

    assert_eq!(ids(t, "exited:form_submitted"), vec![a], "{kind}");
    assert_eq!(ids(t, "exited:intake_review"), Vec::<i64>::new(), "{kind}");
    assert_eq!(ids(t, "reason:unacknowledged"), vec![b], "{kind}");
    assert_eq!(ids(t, "reason:staffing"), vec![c], "{kind}");
    assert_eq!(
        ids(t, "reason:staffing,unacknowledged"),
        vec![b, c],
        "a comma means OR"
    );
    assert_eq!(ids(t, "noaction:yes"), vec![b, c], "{kind}");
    assert_eq!(ids(t, "noaction:yes reason:staffing"), vec![c], "terms AND");
    assert_eq!(ids(t, "noaction:yes cy"), vec![c], "with a name word");
    assert_eq!(
        ids(t, "noaction:yes stage:intake_review"),
        Vec::<i64>::new()
    );
    // The audit's counts are those lists' sizes.
    let r = t.json("kim", &["audit", "--json"]);
    let first = r["stages"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["stage"] == "form_submitted"))
        .expect("form_submitted");
    assert_eq!(first["no_owner_action"], 2, "{kind}");
    assert_eq!(first["breaches"], 2, "{kind}");

    let e = refused(&t.run("kim", &["list", "--filter", "reason:nonsense"]));
    assert!(e.contains("no breach reason `nonsense`"), "{e}");
    let e = refused(&t.run("kim", &["list", "--filter", "noaction:maybe"]));
    assert!(e.contains("noaction:maybe is not yes"), "{e}");
    let e = refused(&t.run("kim", &["list", "--filter", "exited:nowhere"]));
    assert!(e.contains("no stage `nowhere`"), "{e}");
}
