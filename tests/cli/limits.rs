//! Limits as numbers, through the real binary: notes (`note`, `move
//! --note`, `ack --note`), `--override` and reason codes share the
//! 4,096-byte limit of names and fields; a refusal names the field and the
//! sizes, and a refused value is never echoed back in full.

use crate::common::Cq;
use carequeue::ops::MAX_TEXT;

/// A Monday inside clinic hours (America/New_York).
const NOW: &str = "2026-11-23T15:00:00Z";
/// Two days later: every new record's 4h SLA is breached.
const LATER: &str = "2026-11-25T15:00:00Z";

fn setup() -> (Cq, String) {
    let cq = Cq::init_default(NOW);
    cq.ok("nobody", NOW, &["user", "add", "ann", "--role", "ops"]);
    cq.ok(
        "nobody",
        NOW,
        &["user", "add", "sup", "--role", "supervisor"],
    );
    let lead = [
        "user",
        "add",
        "lead",
        "--role",
        "ops",
        "--role",
        "supervisor",
    ];
    cq.ok("nobody", NOW, &lead);
    let id = cq.add("ann", NOW, "Pat Limit", &[]).to_string();
    (cq, id)
}

/// Refused with one line naming `what`, the size and the limit, and not
/// the value.
#[track_caller]
fn over(cq: &Cq, user: &str, now: &str, args: &[&str], what: &str, value: &str) {
    let err = cq.fail(user, now, args);
    assert!(
        err.contains(&format!(
            "{what} is {} bytes; the limit is {MAX_TEXT} bytes",
            value.len()
        )),
        "{args:?}: {err}"
    );
    assert!(!err.contains(&value[..64]), "the value is echoed: {err}");
}

#[test]
fn every_text_shares_the_limit_and_names_its_size() {
    let (cq, id) = setup();
    let big = "n".repeat(MAX_TEXT + 1);
    let at = "a".repeat(MAX_TEXT);
    over(&cq, "ann", NOW, &["note", &id, &big], "note", &big);
    over(
        &cq,
        "ann",
        NOW,
        &["move", &id, "start_review", "--note", &big],
        "note",
        &big,
    );
    over(
        &cq,
        "sup",
        NOW,
        &["move", &id, "start_review", "--override", &big],
        "--override reason",
        &big,
    );
    over(
        &cq,
        "ann",
        NOW,
        &["move", &id, "withdraw", "--reason", &big],
        "reason",
        &big,
    );
    over(
        &cq,
        "ann",
        NOW,
        &[
            "move",
            &id,
            "withdraw",
            "--reason",
            "duplicate",
            "--breach-reason",
            &big,
        ],
        "breach reason",
        &big,
    );
    over(
        &cq,
        "sup",
        LATER,
        &["ack", &id, "--reason", &big],
        "reason",
        &big,
    );
    over(
        &cq,
        "sup",
        LATER,
        &["ack", &id, "--reason", "staffing", "--note", &big],
        "note",
        &big,
    );
    over(
        &cq,
        "ann",
        NOW,
        &["add", "--patient", &big],
        "patient name",
        &big,
    );
    let field = format!("phone={big}");
    over(
        &cq,
        "ann",
        NOW,
        &["add", "--patient", "P", "--field", &field],
        "field `phone`",
        &big,
    );
    // Nothing of that was stored.
    assert_eq!(cq.show("ann", NOW, 1)["version"], 1);

    // At the limit, each is accepted.
    cq.ok("ann", NOW, &["note", &id, &at]);
    cq.ok(
        "sup",
        LATER,
        &["ack", &id, "--reason", "staffing", "--note", &at],
    );
    cq.ok(
        "lead",
        LATER,
        &["move", &id, "start_review", "--override", &at],
    );
    let hist = cq.show("ann", LATER, 1)["history"].clone();
    assert_eq!(hist[1]["note"], at.as_str());
    assert_eq!(hist[2]["note"], at.as_str(), "the ack's note");
    assert_eq!(hist[2]["kind"], "ack");
}

#[test]
fn a_refused_code_is_never_echoed_in_full() {
    let (cq, id) = setup();
    // Within the limit, but no such code: the refusal quotes its start only.
    let long = format!("r{}", "e".repeat(2999));
    for (user, now, args) in [
        (
            "ann",
            NOW,
            vec!["move", id.as_str(), "withdraw", "--reason", long.as_str()],
        ),
        ("ann", NOW, vec!["move", id.as_str(), long.as_str()]),
        ("ann", NOW, vec!["substatus", id.as_str(), long.as_str()]),
        (
            "sup",
            LATER,
            vec!["ack", id.as_str(), "--reason", long.as_str()],
        ),
    ] {
        let err = cq.fail(user, now, &args);
        assert!(!err.contains(&long[..64]), "{args:?}: echoed: {err}");
        assert!(err.contains("(3000 bytes)"), "{args:?}: {err}");
        assert!(err.len() < 600, "{args:?}: {} bytes of error", err.len());
    }
}
