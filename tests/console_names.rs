//! What the queue shows people: sub-status labels rather than ids, the
//! record's patient in popup titles, the order named in the title, and a
//! DUE column (local wall-clock time) where the width allows.

mod console;

use carequeue::app::popup::Popup;
use carequeue::ops::{self, Guard};
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
            Guard::default(),
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
    assert!(
        !c.screen(80, 24).contains(" DUE "),
        "no room for DUE at 80 columns"
    );

    c.press('m');
    let Some(Popup::Pick { title, .. }) = &c.app.popup else {
        panic!("no move picker: {:?}", c.app.popup)
    };
    assert_eq!(title, &format!("Move #{id} {patient}"));
}
