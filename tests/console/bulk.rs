//! Marks and bulk actions, driven by key presses on a real SQLite file:
//! marks survive paging and live updates and show in the title and
//! footer; a bulk action dry-runs, is confirmed once, and writes each
//! record in its own transaction with the version the dry run saw.

use crate::harness as console;

use carequeue::app::popup::Popup;
use carequeue::engine::sla::{self, SlaState};
use carequeue::ops::{self, ChangeOpts};
use carequeue::store::{Store, sqlite::events};
use console::{Console, demo_db, now, pipeline};
use crossterm::event::KeyCode;

/// The Intake view, narrowed to the stage `stage`.
fn intake_stage(c: &mut Console, stage: &str) {
    c.press('1');
    while c.app.active_stages() != [stage.to_string()] {
        c.press('l');
    }
}

#[test]
fn marks_survive_paging_and_refreshes_and_are_counted_on_screen() {
    let (_d, db) = demo_db(400);
    let mut c = Console::open(&db, "kim", 120, 40);
    c.press('1');
    assert!(c.app.page.total > 30, "enough rows to page");
    let first = c.app.selected_record().expect("row").id;
    c.press(' ');
    c.press('j');
    let second = c.app.selected_record().expect("row").id;
    c.press(' ');
    assert_eq!(c.app.marks.len(), 2);
    c.code(KeyCode::PageDown);
    c.press('r');
    c.press('G');
    assert!(c.app.marks.contains(first) && c.app.marks.contains(second));
    let screen = c.screen(120, 40);
    assert!(screen.contains("2 marked"), "title and footer:\n{screen}");

    // A range: from the top, four rows down, `v` at both ends.
    c.press('g');
    c.press('v');
    for _ in 0..4 {
        c.press('j');
    }
    c.press('v');
    assert_eq!(c.app.marks.len(), 5, "rows 1-5, two of them already marked");
    let screen = c.screen(120, 40);
    assert!(screen.contains(&format!("✓{first}")), "{screen}");

    // Space again unmarks; `*` marks the whole view; esc clears.
    c.press('g');
    c.press(' ');
    assert!(!c.app.marks.contains(first));
    c.press('*');
    assert_eq!(c.app.marks.len(), c.app.page.total);
    c.code(KeyCode::Esc);
    assert!(c.app.marks.is_empty());
    assert!(!c.screen(120, 40).contains("marked"));
}

#[test]
fn a_bulk_move_dry_runs_then_writes_each_record_and_refuses_a_stale_one() {
    let (_d, db) = demo_db(400);
    let p = pipeline();
    // Three open intake reviews that have not breached, claimed by maria;
    // one of them stuck on a sub-status, which `complete_intake` refuses.
    let mut store = Store::open(&db).expect("open");
    let kim = ops::actor(&store, "kim").expect("kim");
    let maria = ops::actor(&store, "maria").expect("maria");
    let ids: Vec<i64> = (0..3)
        .map(|i| {
            let r = ops::add_record(
                &p,
                &mut store,
                &maria,
                &format!("Bulk Patient {i}"),
                Default::default(),
                now(),
            )
            .expect("add");
            ops::move_record(
                &p,
                &mut store,
                &maria,
                r,
                "start_review",
                &Default::default(),
                ChangeOpts::default(),
                now(),
            )
            .expect("start review");
            r
        })
        .collect();
    for id in &ids {
        ops::assign(
            &p,
            &mut store,
            &kim,
            *id,
            &maria,
            ChangeOpts::default(),
            now(),
        )
        .expect("assign");
        assert_ne!(
            sla::view(&p, &store.record(*id).expect("r"), now()).state,
            SlaState::Breached
        );
    }
    let (pass, stuck, raced) = (ids[0], ids[1], ids[2]);
    ops::set_substatus(
        &p,
        &mut store,
        &maria,
        stuck,
        Some("insurance_check"),
        ChangeOpts::default(),
        now(),
    )
    .expect("sub-status");

    let mut c = Console::open(&db, "maria", 120, 40);
    intake_stage(&mut c, "intake_review");
    for id in ids.iter() {
        c.select(*id);
        c.press(' ');
    }
    assert_eq!(c.app.marks.len(), 3);
    c.press('m');
    c.pick("complete_intake");
    let Some(Popup::BulkConfirm { verdicts, .. }) = &c.app.popup else {
        panic!("expected the dry run, got {:?}", c.app.popup);
    };
    let refused: Vec<(i64, String)> = verdicts
        .iter()
        .filter_map(|v| v.refused.clone().map(|r| (v.cmd.id(), r)))
        .collect();
    assert_eq!(refused.len(), 1, "{verdicts:?}");
    assert_eq!(refused[0].0, stuck);
    assert!(refused[0].1.contains("sub-status"), "{}", refused[0].1);
    let screen = c.screen(120, 40);
    assert!(screen.contains("2 of 3 pass"), "{screen}");
    // Nothing was written by the dry run.
    for id in &ids {
        assert_eq!(store.record(*id).expect("r").stage, "intake_review");
    }

    // Another process changes one record before the confirmation.
    ops::note(
        &mut store,
        &maria,
        raced,
        "called the patient",
        ChangeOpts::default(),
        now(),
    )
    .expect("note");
    c.code(KeyCode::Enter);
    let status = c.app.status.clone().expect("summary").text;
    assert!(
        status.starts_with("1 done, 1 refused (1 changed since the dry run)")
            && status.ends_with("1 refused by the dry run stay marked"),
        "{status}"
    );
    assert_eq!(store.record(pass).expect("r").stage, "intake_complete");
    for id in [stuck, raced] {
        assert_eq!(store.record(id).expect("r").stage, "intake_review");
    }
    let last = events::history(store.conn(), pass).expect("history");
    assert_eq!(last.last().map(|e| e.kind.as_str()), Some("transition"));
    assert!(!c.app.marks.contains(pass), "done records are unmarked");
    assert!(c.app.marks.contains(stuck) && c.app.marks.contains(raced));
}

#[test]
fn a_bulk_assign_writes_one_event_per_record() {
    let (_d, db) = demo_db(400);
    let mut c = Console::open(&db, "kim", 120, 40);
    intake_stage(&mut c, "form_submitted");
    let p = pipeline();
    let ids: Vec<i64> = {
        let mut store = Store::open(&db).expect("open");
        let kim = ops::actor(&store, "kim").expect("kim");
        (0..3)
            .map(|i| {
                ops::add_record(
                    &p,
                    &mut store,
                    &kim,
                    &format!("Bulk {i}"),
                    Default::default(),
                    now(),
                )
                .expect("add")
            })
            .collect()
    };
    c.press('r');
    for id in &ids {
        c.select(*id);
        c.press(' ');
    }
    let target = "dev";
    c.press('a');
    c.pick(target);
    let Some(Popup::BulkConfirm { verdicts, .. }) = &c.app.popup else {
        panic!("expected the dry run, got {:?}", c.app.popup);
    };
    assert!(verdicts.iter().all(|v| v.refused.is_none()), "{verdicts:?}");
    c.code(KeyCode::Enter);
    let status = c.app.status.clone().expect("summary").text;
    assert!(status.starts_with("3 done"), "{status}");
    let store = Store::open(&db).expect("open");
    for id in ids {
        assert_eq!(
            store.record(id).expect("r").assignee.as_deref(),
            Some(target)
        );
        let h = events::history(store.conn(), id).expect("history");
        assert_eq!(h.last().map(|e| e.kind.as_str()), Some("assign"));
    }
}
