//! The human-readable tables speak names (stages, sub-statuses, roles);
//! `--json` keeps the ids scripts match on.

use crate::common::Cq;

const START: &str = "2026-03-02T14:00:00Z";

#[test]
fn reports_and_list_print_names_and_json_keeps_ids() {
    let cq = Cq::init_default(START);
    cq.ok("nobody", START, &["user", "add", "ann", "--role", "ops"]);
    let id = cq.add("ann", START, "Pat Example", &[]);
    let moved = cq.ok("ann", START, &["move", &id.to_string(), "start_review"]);
    assert!(
        moved.contains("Form Submitted → Intake Review (Start intake review)"),
        "{moved}"
    );
    let sub = cq.ok("ann", START, &["substatus", &id.to_string(), "missing_id"]);
    assert!(sub.contains("sub-status Missing photo ID"), "{sub}");
    let other = cq.add("ann", START, "Quinn Example", &[]);
    let table = cq.ok("ann", START, &["list"]);
    let row = |id: i64| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("row {id}:\n{table}"))
            .to_string()
    };
    let reviewed = row(id);
    assert!(reviewed.contains("Intake Review"), "{reviewed}");
    assert!(reviewed.contains("Missing photo ID"), "{reviewed}");
    assert!(!reviewed.contains("intake_review"), "{reviewed}");
    assert!(!reviewed.contains("missing_id"), "{reviewed}");
    let fresh = row(other);
    assert!(fresh.contains("Form Submitted"), "{fresh}");
    assert!(fresh.contains("(Ops coordinator)"), "{fresh}");
    assert!(
        !fresh.contains("form_submitted") && !fresh.contains("(ops)"),
        "{fresh}"
    );
    // The JSON contract is unchanged: ids.
    let rows = cq.list("ann", START, &[]);
    let r = rows
        .iter()
        .find(|r| r["id"] == id)
        .expect("the record in --json");
    assert_eq!(r["stage"], "intake_review");
    assert_eq!(r["substatus"], "missing_id");
    let r = rows.iter().find(|r| r["id"] == other).expect("the other");
    assert_eq!(r["owner_role"], "ops");
}
