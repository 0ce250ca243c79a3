//! What the queue shows people: sub-status labels rather than ids, the
//! record's patient in popup titles, the order named in the title, and a
//! DUE column (local wall-clock time) where the width allows.

use crate::harness as console;

use carequeue::app::popup::Popup;
use carequeue::ops::{self, ChangeOpts};
use carequeue::store::Store;
use console::{Console, demo_db, now, pipeline};

#[test]
fn labels_patients_order_and_due_times_are_on_screen() {
    let (_d, db) = demo_db(200);
    let p = pipeline();
    let (id, patient) = {
        let mut store = Store::open(&db).expect("open");
        let maria = ops::actor(&store, "maria").expect("maria");
        let r = store
            .list(
                &carequeue::store::ListFilter {
                    stages: Some(vec!["intake_review".into()]),
                    ..Default::default()
                },
                now().timestamp(),
            )
            .expect("list")
            .into_iter()
            .find(|r| r.substatus.is_none())
            .expect("an intake review without a sub-status");
        ops::set_substatus(
            &p,
            &mut store,
            &maria,
            r.id,
            Some("missing_id"),
            ChangeOpts::default(),
            now(),
        )
        .expect("sub-status");
        (r.id, r.patient)
    };
    let mut c = Console::open(&db, "kim", 120, 40);
    c.press('1');
    c.select(id);
    let wide = c.screen(120, 40);
    let row = wide
        .lines()
        .find(|l| l.contains(&format!(" {id} ")) && l.contains(&patient))
        .unwrap_or_else(|| panic!("row of {id}:\n{wide}"));
    assert!(
        row.contains("Missing photo ID") && !row.contains("missing_id"),
        "{row}"
    );
    assert!(wide.contains("by due time ↑"), "{wide}");
    assert!(wide.contains(" DUE "), "{wide}");
    // DUE is the first column to give way when the width runs short.
    let narrow = c.screen(60, 24);
    assert!(
        !narrow.contains(" DUE "),
        "no room for DUE at 60 columns:\n{narrow}"
    );
    assert!(narrow.contains(" SLA"), "{narrow}");

    c.press('m');
    let Some(Popup::Pick { title, .. }) = &c.app.popup else {
        panic!("no move picker: {:?}", c.app.popup)
    };
    assert_eq!(title, &format!("Move #{id} {patient}"));
    c.code(crossterm::event::KeyCode::Esc);

    // The assign picker names roles, never their ids.
    c.press('a');
    let Some(Popup::Pick { title, items, .. }) = &c.app.popup else {
        panic!("no assign picker: {:?}", c.app.popup)
    };
    assert_eq!(title, &format!("Assign #{id} {patient} (Ops coordinator)"));
    assert!(
        items.iter().all(|i| i.label.ends_with("(Ops coordinator)")),
        "{items:?}"
    );
}

#[test]
fn the_cursor_keeps_its_patient_or_says_where_it_went() {
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "kim", 120, 40);
    c.press('1');
    // Narrow to one stage so a move takes the record out of the view.
    while c.app.active_stages() != ["intake_complete".to_string()] {
        c.press('l');
    }
    assert!(c.app.page.total >= 3, "enough records");
    c.press('j');
    let r = c.app.selected_record().cloned().expect("a record");
    // Another process changes the record before it: the cursor follows it.
    {
        let p = pipeline();
        let mut store = Store::open(&db).expect("open");
        let first = c.app.page.rows[0].id;
        let kim = ops::actor(&store, "kim").expect("kim");
        withdraw(&p, &mut store, &kim, first);
    }
    c.press('r');
    assert_eq!(
        c.app.selected_record().map(|x| x.id),
        Some(r.id),
        "still on its patient"
    );

    // Its own move takes it out of the view: the detail closes and says so.
    c.code(crossterm::event::KeyCode::Enter);
    assert!(c.app.detail_open);
    {
        let p = pipeline();
        let mut store = Store::open(&db).expect("open");
        let kim = ops::actor(&store, "kim").expect("kim");
        withdraw(&p, &mut store, &kim, r.id);
    }
    c.press('r');
    assert!(
        !c.app.detail_open,
        "the pane does not show the next patient"
    );
    assert!(c.app.detail.is_none());
    let status = c.app.status.clone().expect("status").text;
    assert!(
        status.contains(&format!("#{} {} left this view", r.id, r.patient)),
        "{status}"
    );
    assert!(status.contains("the cursor is on #"), "{status}");
}

/// Withdraws record `id` as `who`, with a breach reason if it needs one.
fn withdraw(p: &carequeue::domain::Pipeline, store: &mut Store, who: &ops::Actor, id: i64) {
    let code = p
        .transitions
        .iter()
        .find(|t| t.event == "withdraw")
        .and_then(|t| t.reasons.first().cloned())
        .expect("withdraw reasons");
    let breach = p
        .stage(p.stage_ix("intake_complete").expect("stage"))
        .breach_reasons[0]
        .clone();
    let args = carequeue::engine::rules::MoveArgs {
        reason: Some(&code),
        breach_reason: Some(&breach),
        ..Default::default()
    };
    let plain = carequeue::engine::rules::MoveArgs {
        reason: Some(&code),
        ..Default::default()
    };
    if ops::move_record(
        p,
        store,
        who,
        id,
        "withdraw",
        &plain,
        ChangeOpts::default(),
        now(),
    )
    .is_err()
    {
        ops::move_record(
            p,
            store,
            who,
            id,
            "withdraw",
            &args,
            ChangeOpts::default(),
            now(),
        )
        .expect("withdraw");
    }
}

#[test]
fn taking_a_record_someone_holds_asks_first() {
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "kim", 120, 40);
    c.press('1');
    let held = c
        .app
        .page
        .rows
        .iter()
        .find(|r| r.assignee.as_deref() == Some("maria"))
        .cloned()
        .expect("a record maria holds");
    c.select(held.id);
    c.press('a');
    c.pick("dev");
    let Some(Popup::Pick { title, .. }) = &c.app.popup else {
        panic!("expected the question, got {:?}", c.app.popup)
    };
    assert_eq!(
        title,
        &format!(
            "Take #{} {} from maria and give it to dev?",
            held.id, held.patient
        )
    );
    c.pick("no");
    let store = Store::open(&db).expect("open");
    assert_eq!(
        store.record(held.id).expect("r").assignee.as_deref(),
        Some("maria")
    );
    c.press('a');
    c.pick("dev");
    c.pick("yes");
    assert_eq!(
        store.record(held.id).expect("r").assignee.as_deref(),
        Some("dev")
    );
}
