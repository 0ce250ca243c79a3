//! People read names, never ids: the status line after a move, a
//! sub-status or an acknowledgement, the history in the detail pane, a
//! refusal, and the Breaches view's REASON column.

use crate::harness as console;

use carequeue::engine::sla;
use carequeue::store::Store;
use console::{Console, demo_db, now};
use crossterm::event::KeyCode;

/// No pipeline id (`start_review`, `intake_review`, `missing_id`…) in `text`.
#[track_caller]
fn no_ids(text: &str, ids: &[&str]) {
    for id in ids {
        assert!(!text.contains(id), "`{id}` in: {text}");
    }
}

#[test]
fn status_history_and_refusals_speak_names() {
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "maria", 120, 40);
    c.press('1');
    let target = c
        .app
        .page
        .rows
        .iter()
        .find(|r| r.stage == "form_submitted" && r.assignee.as_deref().is_none_or(|a| a == "maria"))
        .map(|r| r.id)
        .expect("a new intake maria may take");
    c.select(target);
    c.press('m');
    c.pick("start_review");
    let status = c.app.status.clone().expect("status");
    assert!(!status.error, "{status:?}");
    assert_eq!(
        status.text,
        format!("record {target}: Start intake review → Intake Review")
    );
    c.select(target);
    c.press('s');
    c.pick("missing_id");
    let status = c.app.status.clone().expect("status");
    assert_eq!(
        status.text,
        format!("record {target}: sub-status Missing photo ID")
    );
    c.select(target);
    c.press('s');
    c.pick("");
    let status = c.app.status.clone().expect("status");
    assert_eq!(status.text, format!("record {target}: sub-status cleared"));

    // The history, in the detail pane: labels, and no arrow into nothing.
    c.select(target);
    c.code(KeyCode::Enter);
    let screen = c.screen(200, 50);
    assert!(screen.contains("maria pause Missing photo ID"), "{screen}");
    assert!(
        screen.contains("maria resume Missing photo ID cleared"),
        "{screen}"
    );
    assert!(
        !screen
            .lines()
            .any(|l| l.trim_end_matches(['│', ' ']).ends_with('→')),
        "a dangling arrow:\n{screen}"
    );
    no_ids(&screen, &["missing_id", "start_review", "intake_review"]);
    c.code(KeyCode::Enter);

    // A refusal: an event not allowed here, by name, with the allowed ones.
    c.select(target);
    let version = c.app.selected_record().expect("selected").version;
    c.press('m');
    c.pick("complete_intake");
    let status = c.app.status.clone().expect("status");
    assert!(status.error, "{status:?}");
    assert!(status.text.contains("Intake Review"), "{status:?}");
    no_ids(&status.text, &["complete_intake", "intake_review", "`"]);
    let store = Store::open(&db).expect("open");
    assert_eq!(store.record(target).expect("r").version, version);
}

#[test]
fn an_acknowledged_breach_reads_its_reason_by_label() {
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "kim", 160, 50);
    let p = c.app.pipeline.clone();
    let (id, stage) = c
        .app
        .page
        .rows
        .iter()
        .find(|r| sla::breached(r, now()) && r.breach_reason.is_none())
        .map(|r| (r.id, r.stage.clone()))
        .expect("a breached record");
    let code = p.stage(p.stage_ix(&stage).expect("stage")).breach_reasons[0].clone();
    let label = p
        .reason_label(&code)
        .expect("a labelled reason")
        .to_string();
    c.select(id);
    c.press('x');
    c.pick(&code);
    let status = c.app.status.clone().expect("status");
    assert_eq!(
        status.text,
        format!("record {id}: breach acknowledged ({label})")
    );
    let screen = c.screen(160, 50);
    let row = screen
        .lines()
        .find(|l| l.starts_with(&format!("│ {id:<7}")))
        .unwrap_or_else(|| panic!("row {id}:\n{screen}"));
    assert!(row.contains(&label[..label.len().min(12)]), "{row}");
    assert!(!row.contains(&code), "{row}");
}
