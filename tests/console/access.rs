//! The console under the access rules: both reasons of a breached move in
//! one flow, every detail pane and view visited in the access log, and a
//! console whose user is disabled meanwhile locked at its next refresh.

use crate::harness as console;

use carequeue::app::popup::Popup;
use carequeue::engine::sla;
use carequeue::ops;
use carequeue::store::{Store, sqlite::access, sqlite::events};
use console::{Console, demo_db, now, pipeline};
use crossterm::event::KeyCode;

fn popup_title(c: &Console) -> String {
    match &c.app.popup {
        Some(Popup::Pick { title, .. }) => title.clone(),
        other => panic!("no picker open: {other:?}"),
    }
}

fn entries(db: &std::path::Path, user: &str) -> Vec<carequeue::store::access::AccessRow> {
    let store = Store::open(db).expect("open");
    access::list(
        store.conn(),
        &carequeue::store::access::AccessFilter {
            user: Some(user.into()),
            ..Default::default()
        },
    )
    .expect("access log")
}

#[test]
fn a_breached_withdraw_asks_for_both_reasons_in_one_flow() {
    let (_d, db) = demo_db(200);
    let p = pipeline();
    // A breached, unacknowledged intake record; held by a colleague, the
    // supervisor hands it back to the queue first, so maria may take it.
    let held = {
        let store = Store::open(&db).expect("open");
        let intake = p.phases[0].stages.iter().map(|s| p.stage(*s).id.clone());
        let f = carequeue::store::ListFilter {
            stages: Some(intake.collect()),
            ..Default::default()
        };
        store
            .list(&f, now().timestamp())
            .expect("list")
            .into_iter()
            .find(|r| sla::breached(r, now()) && r.breach_reason.is_none())
            .expect("a breached intake record")
    };
    if held.assignee.as_deref().is_some_and(|a| a != "maria") {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_carequeue"))
            .arg("--db")
            .arg(&db)
            .args(["--as", "kim", "--now", console::NOW, "release"])
            .arg(held.id.to_string())
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut c = Console::open(&db, "maria", 120, 40);
    c.press('1');
    let target = c
        .app
        .page
        .rows
        .iter()
        .find(|r| {
            sla::breached(r, now())
                && r.breach_reason.is_none()
                && r.assignee.as_deref().is_none_or(|a| a == "maria")
        })
        .map(|r| (r.id, r.stage.clone()))
        .expect("a breached record maria may withdraw");
    let breach_code = p
        .stage(p.stage_ix(&target.1).expect("stage"))
        .breach_reasons
        .first()
        .cloned()
        .expect("the stage has breach reasons");
    let withdraw_reason = p
        .transitions
        .iter()
        .find(|t| t.event == "withdraw")
        .and_then(|t| t.reasons.first().cloned())
        .expect("withdraw has reasons");
    c.select(target.0);
    c.press('m');
    c.pick("withdraw");
    // Titles name the event by its label and the record by id and patient.
    let label = &p
        .transitions
        .iter()
        .find(|t| t.event == "withdraw")
        .expect("withdraw")
        .label;
    assert!(
        popup_title(&c).starts_with(&format!("Reason for {label}")),
        "{}",
        popup_title(&c)
    );
    c.pick(&withdraw_reason);
    assert!(
        popup_title(&c).starts_with(&format!("Breach reason for #{} ", target.0)),
        "the breach reason is asked next, in the same flow: {}",
        popup_title(&c)
    );
    c.pick(&breach_code);
    let store = Store::open(&db).expect("open");
    let r = store.record(target.0).expect("record");
    assert_eq!(r.stage, "withdrawn", "{:?}", c.app.status);
    let h = events::history(store.conn(), target.0).expect("history");
    let tail: Vec<(&str, Option<&str>)> = h[h.len() - 2..]
        .iter()
        .map(|e| (e.kind.as_str(), e.reason.as_deref()))
        .collect();
    assert_eq!(
        tail,
        [
            ("ack", Some(breach_code.as_str())),
            ("transition", Some(withdraw_reason.as_str()))
        ]
    );
    let v = carequeue::ops::verify::verify(&p, &store).expect("verify runs");
    assert!(v.problems.is_empty(), "the log replays: {:?}", v.problems);
}

#[test]
fn detail_panes_and_views_are_in_the_access_log_once_each() {
    let (_d, db) = demo_db(60);
    let mut c = Console::open(&db, "maria", 120, 40);
    c.press('1');
    let first = c.app.selected_record().map(|r| r.id).expect("a row");
    c.code(KeyCode::Enter);
    // Refreshes re-read the pane; they are not further accesses.
    c.press('r');
    c.press('r');
    c.press('j');
    let second = c.app.selected_record().map(|r| r.id).expect("a second row");
    assert_ne!(first, second);
    // Closed and opened again: a new access.
    c.code(KeyCode::Enter);
    c.code(KeyCode::Enter);
    let log = entries(&db, "maria");
    let details: Vec<Option<i64>> = log
        .iter()
        .filter(|a| a.action == "detail")
        .map(|a| a.record)
        .collect();
    assert_eq!(details, [Some(first), Some(second), Some(second)]);
    let views: Vec<&str> = log
        .iter()
        .filter(|a| a.action == "console-view")
        .filter_map(|a| a.detail.as_deref())
        .collect();
    assert_eq!(
        views.len(),
        2,
        "the first view and the Intake view: {views:?}"
    );
    assert!(views[1].contains("Intake"), "{views:?}");
    // The Audit view's read is logged too.
    c.send(vec![carequeue::app::service::Request::Audit]);
    let audits = entries(&db, "maria")
        .into_iter()
        .filter(|a| a.action == "audit")
        .count();
    assert_eq!(audits, 1);
    // Reads never bump a record's version.
    let store = Store::open(&db).expect("open");
    assert_eq!(
        store.record(first).expect("r").version,
        c.app
            .page
            .rows
            .iter()
            .find(|r| r.id == first)
            .expect("row")
            .version
    );
}

#[test]
fn a_disabled_users_open_console_locks_at_its_next_refresh() {
    let (_d, db) = demo_db(60);
    let mut c = Console::open(&db, "maria", 120, 40);
    c.press('1');
    let patient = c.app.page.rows[0].patient.clone();
    assert!(c.screen(120, 40).contains(&patient));
    let held = {
        let s = Store::open(&db).expect("open");
        s.list(&Default::default(), now().timestamp())
            .expect("list")
            .into_iter()
            .filter(|r| r.assignee.as_deref() == Some("maria"))
            .count()
    };
    assert!(held > 0, "maria holds records in the demo");
    // An admin disables maria from another process's store.
    let p = pipeline();
    let mut store = Store::open(&db).expect("open");
    let admin = store
        .users()
        .expect("users")
        .into_iter()
        .find(|u| u.roles.iter().any(|r| r == "supervisor"))
        .expect("an admin");
    let admin = ops::actor(&store, &admin.name).expect("admin");
    let released =
        ops::team::disable_user(&p, &mut store, &admin, "maria", now()).expect("disable");
    assert_eq!(released, held, "every record maria held is released");
    c.press('r');
    assert!(c.app.revoked.is_some(), "locked at the next refresh");
    let screen = c.screen(120, 40);
    assert!(screen.contains("Access withdrawn"), "{screen}");
    assert!(screen.contains("disabled"), "{screen}");
    assert!(!screen.contains(&patient), "no patient data: {screen}");
    // Only quitting is left: keys do nothing, nothing is read.
    c.press('j');
    c.code(KeyCode::Enter);
    assert!(c.app.revoked.is_some() && !c.app.quit);
    assert!(c.app.page.rows.is_empty() && c.app.detail.is_none());
    c.press('q');
    assert!(c.app.quit);
}
