//! A clinical decision on two keys: a transition the pipeline marks
//! `confirm = true` (the shipped provider decisions) opens a summary naming
//! the patient and the outcome; only the decide key writes it. Enter does
//! not decide, Esc cancels, and neither writes anything.

use crate::harness::{Console, demo_db, now};
use carequeue::app::popup::Popup;
use carequeue::engine::sla;
use carequeue::store::Store;
use crossterm::event::KeyCode;
use std::path::Path;

const SIZES: [(u16, u16); 2] = [(120, 36), (80, 24)];

/// okafor's in-review record he holds, whose SLA has not breached (so
/// approve asks no breach reason): its id, patient and history length.
fn held_in_review(c: &Console, db: &Path) -> (i64, String, usize) {
    let r = c
        .app
        .page
        .rows
        .iter()
        .find(|r| {
            r.stage == "in_review"
                && r.assignee.as_deref() == Some("okafor")
                && !sla::breached(r, now())
        })
        .cloned()
        .expect("an in-review record okafor holds");
    let n = events(db, r.id);
    (r.id, r.patient, n)
}

fn events(db: &Path, id: i64) -> usize {
    let store = Store::open(db).expect("open");
    carequeue::store::sqlite::events::history(store.conn(), id)
        .expect("history")
        .len()
}

#[test]
fn approve_needs_the_decide_key_and_names_patient_and_outcome() {
    let (_d, db) = demo_db(160);
    let mut c = Console::open(&db, "okafor", 120, 36);
    let (id, patient, before) = held_in_review(&c, &db);
    c.select(id);
    c.press('m');
    // Approve is first in the picker: `m Enter` used to approve at once.
    c.code(KeyCode::Enter);
    let Some(Popup::Decide { title, lines, .. }) = c.app.popup.clone() else {
        panic!("a confirmation, not a write: {:?}", c.app.popup)
    };
    let all = format!("{title}\n{}", lines.join("\n"));
    assert!(all.contains(&patient), "names the patient: {all}");
    assert!(all.contains(&format!("#{id}")), "names the record: {all}");
    assert!(all.contains("Approve"), "names the decision: {all}");
    assert!(all.contains("Approved"), "names the outcome stage: {all}");
    assert_eq!(events(&db, id), before, "nothing written yet");

    // Enter does not decide; it says which key does.
    c.code(KeyCode::Enter);
    assert!(matches!(c.app.popup, Some(Popup::Decide { .. })));
    let said = c.app.status.clone().expect("status").text;
    assert!(said.contains("press y to confirm"), "{said}");
    assert_eq!(events(&db, id), before, "Enter wrote nothing");

    // y decides.
    c.press('y');
    assert!(c.app.popup.is_none());
    assert_eq!(events(&db, id), before + 1, "the decision is written");
    let store = Store::open(&db).expect("open");
    assert_eq!(store.record(id).expect("record").stage, "approved");
}

#[test]
fn esc_cancels_a_confirmed_decision_and_writes_nothing() {
    let (_d, db) = demo_db(160);
    let mut c = Console::open(&db, "okafor", 120, 36);
    let (id, _, before) = held_in_review(&c, &db);
    c.select(id);
    c.press('m');
    c.code(KeyCode::Enter);
    assert!(matches!(c.app.popup, Some(Popup::Decide { .. })));
    c.code(KeyCode::Esc);
    assert!(c.app.popup.is_none(), "{:?}", c.app.popup);
    assert_eq!(events(&db, id), before);
    let store = Store::open(&db).expect("open");
    assert_eq!(store.record(id).expect("record").stage, "in_review");
}

#[test]
fn a_transition_without_confirm_writes_on_enter() {
    // maria's intake moves are not clinical decisions: no second key.
    let (_d, db) = demo_db(160);
    let mut c = Console::open(&db, "maria", 120, 36);
    c.press('1');
    let r = c
        .app
        .page
        .rows
        .iter()
        .find(|r| r.stage == "form_submitted" && !sla::breached(r, now()))
        .cloned()
        .expect("a new form");
    let before = events(&db, r.id);
    c.select(r.id);
    c.press('m');
    c.pick("start_review");
    assert!(
        !matches!(c.app.popup, Some(Popup::Decide { .. })),
        "{:?}",
        c.app.popup
    );
    assert!(events(&db, r.id) > before, "{:?}", c.app.status);
}

#[test]
fn snapshots_of_the_confirmation() {
    let (_d, db) = demo_db(160);
    for (w, h) in SIZES {
        let mut c = Console::open(&db, "okafor", w, h);
        let (id, _, _) = held_in_review(&c, &db);
        c.select(id);
        c.press('m');
        c.code(KeyCode::Enter);
        insta::assert_snapshot!(format!("confirm_{w}x{h}"), c.screen(w, h));
    }
}
