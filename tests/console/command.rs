//! The `:` command line, driven by key presses on a real SQLite file:
//! `:go`, `:view`, `:stage`, `:owner`, `:filter`, `:mark`, `:q`, Tab
//! completion and the session's history.

use crate::harness as console;

use carequeue::app::popup::Popup;
use carequeue::app::views::ViewKind;
use carequeue::store::Store;
use console::{Console, demo_db};
use crossterm::event::KeyCode;

fn command(c: &mut Console, line: &str) {
    c.press(':');
    c.typed(line);
    c.code(KeyCode::Enter);
}

fn typed_so_far(c: &Console) -> String {
    match &c.app.popup {
        Some(Popup::Input { text, .. }) => text.clone(),
        other => panic!("no command line open: {other:?}"),
    }
}

#[test]
fn go_opens_a_record_wherever_it_is_with_its_detail() {
    let (_d, db) = demo_db(200);
    // A record in the fulfillment phase, opened from the Breaches view.
    let target = {
        let store = Store::open(&db).expect("open");
        store
            .list(
                &carequeue::store::ListFilter {
                    stages: Some(vec!["rx_sent".into()]),
                    ..Default::default()
                },
                console::now().timestamp(),
            )
            .expect("list")
            .first()
            .expect("a record in rx_sent")
            .id
    };
    let mut c = Console::open(&db, "kim", 120, 40);
    assert_eq!(c.app.current().kind, ViewKind::Breaches);
    command(&mut c, &format!("go {target}"));
    assert!(matches!(c.app.current().kind, ViewKind::Phase(_)));
    assert_eq!(c.app.selected_record().map(|r| r.id), Some(target));
    assert_eq!(c.app.detail.as_ref().map(|d| d.record.id), Some(target));
    command(&mut c, "go 999999");
    let status = c.app.status.clone().expect("status");
    assert!(
        status.error && status.text.contains("no such record"),
        "{status:?}"
    );
}

#[test]
fn view_stage_owner_filter_and_mark_commands() {
    let (_d, db) = demo_db(300);
    let mut c = Console::open(&db, "kim", 120, 40);
    command(&mut c, "view decisions");
    assert_eq!(c.app.current().kind, ViewKind::Decisions);
    command(&mut c, "view 1");
    assert_eq!(c.app.view, 0);

    command(&mut c, "stage intake_review");
    assert_eq!(c.app.active_stages(), ["intake_review"]);
    command(&mut c, "stage Rx Sent");
    assert_eq!(c.app.active_stages(), ["rx_sent"]);

    command(&mut c, "view 1");
    command(&mut c, "owner dev");
    assert!(!c.app.page.rows.is_empty());
    assert!(
        c.app
            .page
            .rows
            .iter()
            .all(|r| r.assignee.as_deref() == Some("dev"))
    );
    assert!(c.screen(120, 40).contains("owner: dev"));
    command(&mut c, "owner all");

    command(&mut c, "filter Larsen");
    let larsen = c.app.page.total;
    assert!(larsen > 0);
    assert!(c.app.page.rows.iter().all(|r| r.patient.contains("Larsen")));
    c.code(KeyCode::Esc);
    assert!(c.app.filter.is_empty(), "esc clears the filter");
    command(&mut c, "mark Larsen");
    assert_eq!(c.app.marks.len(), larsen);
    assert!(c.app.filter.is_empty(), "marking does not filter");

    command(&mut c, "fly");
    let status = c.app.status.clone().expect("status");
    assert!(status.error && status.text.contains("unknown command `:fly`"));
    command(&mut c, "q");
    assert!(c.app.quit);
}

#[test]
fn tab_completes_and_up_recalls_earlier_commands() {
    let (_d, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 120, 40);
    c.press(':');
    c.typed("vi");
    c.code(KeyCode::Tab);
    assert_eq!(typed_so_far(&c), "view ");
    c.typed("Bre");
    c.code(KeyCode::Tab);
    assert_eq!(typed_so_far(&c), "view Breaches");
    c.code(KeyCode::Esc);

    c.press(':');
    c.typed("stage intake_");
    c.code(KeyCode::Tab);
    assert_eq!(
        typed_so_far(&c),
        "stage intake_",
        "two stages share the prefix"
    );
    let shown = c.app.status.clone().expect("candidates").text;
    assert!(shown.contains("intake_review") && shown.contains("intake_complete"));
    c.typed("r");
    c.code(KeyCode::Tab);
    assert_eq!(typed_so_far(&c), "stage intake_review");
    c.code(KeyCode::Enter);
    command(&mut c, "view 2");

    c.press(':');
    c.code(KeyCode::Up);
    assert_eq!(typed_so_far(&c), "view 2");
    c.code(KeyCode::Up);
    assert_eq!(typed_so_far(&c), "stage intake_review");
    c.code(KeyCode::Down);
    assert_eq!(typed_so_far(&c), "view 2");
}
