//! The console's state machine driven by key presses, with no terminal:
//! requests are answered by a real `Service` on a real SQLite file.

use crate::harness as console;

use carequeue::store::Sort;

use carequeue::app::popup::Popup;
use carequeue::app::views::ViewKind;
use carequeue::engine::sla;
use carequeue::store::{Store, sqlite::events};
use console::{Console, demo_db, now, pipeline};
use crossterm::event::KeyCode;

#[test]
fn first_view_follows_the_role() {
    let (_d, db) = demo_db(60);
    let kind = |u: &str| {
        let c = Console::open(&db, u, 120, 40);
        c.app.current().kind
    };
    assert_eq!(kind("kim"), ViewKind::Breaches);
    // Pending Provider is no decision point: the provider opens where both
    // their stages are.
    assert_eq!(kind("okafor"), ViewKind::MyQueue);
    assert_eq!(kind("maria"), ViewKind::MyQueue);
    assert_eq!(kind("patel"), ViewKind::MyQueue);
}

#[test]
fn start_asks_for_the_first_frame_before_the_sweep() {
    use carequeue::app::App;
    use carequeue::app::service::Request;
    let (_d, db) = demo_db(60);
    let store = Store::open(&db).expect("open");
    let kim = store.user("kim").expect("query").expect("kim");
    let mut app = App::new(pipeline(), kim, now());
    let reqs = app.start();
    let at = |want: fn(&Request) -> bool| reqs.iter().position(want).expect("requested");
    let sweep = at(|r| matches!(r, Request::Sweep));
    // The Breaches view's frame: counts, groups and the first page.
    for shown in [
        at(|r| matches!(r, Request::Counts)),
        at(|r| matches!(r, Request::BreachGroups)),
        at(|r| matches!(r, Request::Page { .. })),
    ] {
        assert!(shown < sweep, "{reqs:?}");
    }
}

#[test]
fn number_keys_and_tab_switch_views() {
    let (_d, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 120, 40);
    c.press('2');
    assert_eq!(c.app.current().kind, ViewKind::Phase(1));
    let clinical: Vec<String> = c.app.active_stages();
    assert!(
        c.app.page.rows.iter().all(|r| clinical.contains(&r.stage)),
        "only the phase's stages"
    );
    c.code(KeyCode::Tab);
    assert_eq!(c.app.current().kind, ViewKind::Phase(2));
    c.code(KeyCode::BackTab);
    c.code(KeyCode::BackTab);
    assert_eq!(c.app.current().kind, ViewKind::Phase(0));
    c.press('9');
    assert_eq!(c.app.current().kind, ViewKind::Audit);
    assert!(
        c.app.audit.is_some() && !c.app.audit_computing,
        "the audit is computed on entering its view"
    );
    c.code(KeyCode::Tab);
    assert_eq!(c.app.current().kind, ViewKind::Phase(0), "Tab wraps around");
    c.press('l');
    assert_eq!(c.app.stage_sel, 1);
    let first = c.app.active_stages();
    assert_eq!(first.len(), 1);
    assert!(c.app.page.rows.iter().all(|r| r.stage == first[0]));
}

#[test]
fn move_with_reason_and_note_prompts_commits_as_the_console_user() {
    let (_d, db) = demo_db(160);
    let p = pipeline();
    let mut c = Console::open(&db, "okafor", 120, 40);
    let target = c
        .app
        .page
        .rows
        .iter()
        .find(|r| r.stage == "in_review" && r.assignee.is_some() && !sla::breached(r, now()))
        .map(|r| r.id)
        .expect("an in-review record");
    c.select(target);
    c.press('m');
    c.pick("deny");
    let reasons = p
        .transition(p.transition_ix("deny").expect("deny"))
        .reasons
        .clone();
    c.pick(&reasons[1]);
    assert!(
        matches!(c.app.popup, Some(Popup::Input { .. })),
        "the note prompt follows"
    );
    c.code(KeyCode::Enter);
    assert!(
        c.app.status.as_ref().is_some_and(|s| s.error),
        "an empty note is refused"
    );
    c.typed("History of reactions");
    c.code(KeyCode::Enter);
    // Deny is a decision the pipeline marks `confirm`: the second key.
    assert!(
        matches!(c.app.popup, Some(Popup::Decide { .. })),
        "{:?}",
        c.app.popup
    );
    c.press('y');
    assert!(c.app.popup.is_none());
    let status = c.app.status.clone().expect("a status line");
    assert!(!status.error, "{status:?}");
    let store = Store::open(&db).expect("open");
    assert_eq!(store.record(target).expect("record").stage, "denied");
    let last = events::history(store.conn(), target)
        .expect("history")
        .pop()
        .expect("an event");
    assert_eq!(last.actor, "okafor");
    assert_eq!(last.event.as_deref(), Some("deny"));
    assert_eq!(last.reason.as_deref(), Some(reasons[1].as_str()));
    assert_eq!(last.note.as_deref(), Some("History of reactions"));
}

#[test]
fn a_refused_move_shows_the_engines_reason_and_changes_nothing() {
    let (_d, db) = demo_db(160);
    let mut c = Console::open(&db, "okafor", 120, 40);
    let target = c
        .app
        .page
        .rows
        .iter()
        .find(|r| r.stage == "in_review" && !sla::breached(r, now()))
        .map(|r| r.id)
        .expect("an in-review record");
    c.select(target);
    // Someone else changes the record after this console read it.
    let before = {
        let mut other = Store::open(&db).expect("open");
        let chen = carequeue::ops::actor(&other, "chen").expect("chen");
        carequeue::ops::note(
            &mut other,
            &chen,
            target,
            "checked labs",
            Default::default(),
            now(),
        )
        .expect("note");
        other.record(target).expect("record")
    };
    c.press('m');
    c.pick("approve");
    c.press('y');
    let status = c.app.status.clone().expect("status");
    assert!(status.error, "{status:?}");
    // Who changed it and how, by name.
    assert!(
        status
            .text
            .contains(&format!("#{target} was given a note by chen at "))
            && status.text.ends_with("nothing was done"),
        "{}",
        status.text
    );
    let store = Store::open(&db).expect("open");
    assert_eq!(
        store.record(target).expect("record"),
        before,
        "nothing changed"
    );
}

#[test]
fn a_guard_refusal_names_the_rule() {
    let (_d, db) = demo_db(200);
    // Put a sub-status on an intake review that is not breached.
    let target = {
        let mut store = Store::open(&db).expect("open");
        let f = carequeue::store::ListFilter {
            stages: Some(vec!["intake_review".into()]),
            ..Default::default()
        };
        let r = store
            .list(&f, now().timestamp())
            .expect("list")
            .into_iter()
            .find(|r| !sla::breached(r, now()) && r.substatus.is_none())
            .expect("an intake review");
        let maria = carequeue::ops::actor(&store, "maria").expect("maria");
        let p = pipeline();
        carequeue::ops::set_substatus(
            &p,
            &mut store,
            &maria,
            r.id,
            Some("insurance_check"),
            Default::default(),
            now(),
        )
        .expect("set sub-status");
        r.id
    };
    let mut c = Console::open(&db, "maria", 120, 40);
    c.press('1');
    c.select(target);
    let version = c.app.selected_record().expect("selected").version;
    c.press('m');
    c.pick("complete_intake");
    let status = c.app.status.clone().expect("status");
    assert!(
        status.error && status.text.contains("sub-status Insurance check is open"),
        "{status:?}"
    );
    let store = Store::open(&db).expect("open");
    assert_eq!(store.record(target).expect("record").version, version);
}

#[test]
fn assign_picks_from_holders_of_the_owning_role() {
    let (_d, db) = demo_db(160);
    let mut c = Console::open(&db, "kim", 120, 40);
    c.press('2');
    let target = c
        .app
        .page
        .rows
        .iter()
        .find(|r| r.stage == "pending_provider" && r.assignee.as_deref() != Some("chen"))
        .map(|r| r.id)
        .expect("a pending record");
    c.select(target);
    c.press('a');
    let Some(Popup::Pick { items, .. }) = &c.app.popup else {
        panic!("assign picker")
    };
    let names: Vec<&str> = items.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(names, vec!["chen", "okafor"], "only providers");
    c.pick("chen");
    assert!(!c.app.status.as_ref().expect("status").error);
    let store = Store::open(&db).expect("open");
    assert_eq!(
        store.record(target).expect("record").assignee.as_deref(),
        Some("chen")
    );
    let last = events::history(store.conn(), target)
        .expect("history")
        .pop()
        .expect("event");
    assert_eq!((last.kind.as_str(), last.actor.as_str()), ("assign", "kim"));
}

#[test]
fn filter_narrows_the_queue() {
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "kim", 120, 40);
    c.press('1');
    let all = c.app.page.total;
    let last_name = c.app.page.rows[0]
        .patient
        .split(' ')
        .nth(1)
        .expect("a last name")
        .to_string();
    c.press('/');
    c.typed(&last_name);
    c.code(KeyCode::Enter);
    assert!(
        c.app.page.total >= 1 && c.app.page.total < all,
        "{} of {all}",
        c.app.page.total
    );
    assert!(c.app.page.rows.iter().all(|r| {
        r.patient.contains(&last_name)
            || r.assignee
                .as_deref()
                .is_some_and(|a| a.contains(&last_name))
    }));
    c.press('/');
    for _ in 0..last_name.len() {
        c.code(KeyCode::Backspace);
    }
    c.code(KeyCode::Enter);
    assert_eq!(
        c.app.page.total, all,
        "clearing the filter restores the queue"
    );
}

#[test]
fn owner_filter_cycles() {
    let (_d, db) = demo_db(160);
    let mut c = Console::open(&db, "maria", 120, 40);
    c.press('1');
    c.press('o');
    assert!(
        c.app
            .page
            .rows
            .iter()
            .all(|r| r.assignee.as_deref() == Some("maria"))
    );
    c.press('o');
    assert!(c.app.page.rows.iter().all(|r| r.assignee.is_none()));
}

#[test]
fn paging_keeps_the_selection_in_order_across_windows() {
    let (_d, db) = demo_db(700);
    // An ops coordinator's My Queue, every owner: eleven stages' records.
    let mut c = Console::open(&db, "maria", 120, 40);
    c.press('6');
    c.press('o'); // mine + unassigned → all
    assert_eq!(c.app.owner, carequeue::app::OwnerMode::All);
    let total = c.app.page.total;
    assert!(
        total > carequeue::app::WINDOW,
        "more rows than one window: {total}"
    );
    let key = |c: &Console| {
        let r = c.app.selected_record().expect("a selected record");
        (carequeue::engine::sla::ClockState::of(r).sort_due(), r.id)
    };
    let mut last = key(&c);
    for _ in 0..total + 5 {
        c.press('j');
        let k = key(&c);
        assert!(k >= last, "most urgent first, also across windows");
        last = k;
    }
    assert_eq!(c.app.selected, total - 1);
    c.press('g');
    assert_eq!(c.app.selected, 0);
    assert!(c.app.selected_record().is_some());
    c.press('G');
    assert_eq!(c.app.selected, total - 1);
    assert!(c.app.selected_record().is_some());
    for _ in 0..30 {
        c.code(KeyCode::PageUp);
        assert!(
            c.app.selected_record().is_some(),
            "selection {} has a row",
            c.app.selected
        );
    }
}

#[test]
fn console_state_holds_a_window_not_the_table() {
    // The same walk over a small and a larger queue: the rows held stay
    // bounded by the window, whatever the number of records.
    let mut held = Vec::new();
    for n in [120, 1500] {
        let (_d, db) = demo_db(n);
        let mut c = Console::open(&db, "maria", 120, 40);
        c.press('6');
        c.press('o');
        let mut most = c.app.page.rows.len();
        for _ in 0..c.app.page.total {
            c.press('j');
            most = most.max(c.app.page.rows.len());
        }
        c.press('G');
        most = most.max(c.app.page.rows.len());
        assert!(
            most <= carequeue::app::WINDOW,
            "{most} rows held for {n} records"
        );
        held.push((c.app.page.total, most));
    }
    assert!(
        held[1].0 > 4 * carequeue::app::WINDOW,
        "the larger queue spans several windows: {held:?}"
    );
}

#[test]
fn page_down_walks_every_window_in_urgency_order() {
    let (_d, db) = demo_db(450);
    let mut c = Console::open(&db, "maria", 80, 24);
    c.press('6');
    c.press('o'); // mine + unassigned → all
    let total = c.app.page.total;
    assert!(total > carequeue::app::WINDOW, "several windows: {total}");
    let h = c.app.height;
    assert!(h > 0);
    // G then g: both ends have a row, and the ends are the extremes of the order.
    c.press('G');
    assert_eq!(c.app.selected, total - 1);
    let last = c
        .app
        .selected_record()
        .map(|r| Sort::default().row_key(r))
        .expect("a last row");
    c.press('g');
    assert_eq!(c.app.selected, 0);
    let first = c
        .app
        .selected_record()
        .map(|r| Sort::default().row_key(r))
        .expect("a first row");
    assert!(first < last, "most urgent first: {first:?} vs {last:?}");
    // PageDown to the end and beyond: every step lands on a row, one page on,
    // never less urgent than the one before it.
    let mut prev = first.clone();
    let mut seen = vec![c.app.selected_record().expect("row").id];
    let mut at = vec![0];
    for step in 1..=total / h + 3 {
        c.code(KeyCode::PageDown);
        let want = (step * h).min(total - 1);
        assert_eq!(c.app.selected, want, "PageDown moves one table height");
        let r = c.app.selected_record().unwrap_or_else(|| {
            panic!(
                "selection {} has no row (window {}+{})",
                c.app.selected,
                c.app.page.start,
                c.app.page.rows.len()
            )
        });
        let k = Sort::default().row_key(r);
        assert!(k >= prev, "order kept across windows at {}", c.app.selected);
        assert!(
            c.app.top <= c.app.selected && c.app.selected < c.app.top + h,
            "the selection is on screen"
        );
        seen.push(r.id);
        at.push(c.app.selected);
        prev = k;
    }
    assert_eq!(prev, last, "PageDown ends on the last record");
    seen.sort();
    seen.dedup();
    at.dedup();
    assert_eq!(seen.len(), at.len(), "a different record at every position");
    c.press('g');
    assert_eq!(
        c.app.selected_record().map(|r| Sort::default().row_key(r)),
        Some(first)
    );
}

#[test]
fn claim_release_substatus_note_and_ack_from_the_keyboard() {
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "maria", 120, 40);
    c.press('1'); // a phase view shows every owner
    let store = || Store::open(&db).expect("open");
    // A colleague's claim is not maria's to take: refused, the rule named.
    let held = c
        .app
        .page
        .rows
        .iter()
        .find(|r| r.stage == "intake_review" && r.assignee.as_deref().is_some_and(|a| a != "maria"))
        .map(|r| (r.id, r.assignee.clone()))
        .expect("an intake review a colleague holds");
    c.select(held.0);
    c.press('c');
    let status = c.app.status.clone().expect("a refusal is shown");
    assert!(
        status.error && status.text.contains("needs a supervising role"),
        "{status:?}"
    );
    assert_eq!(store().record(held.0).expect("r").assignee, held.1);

    // An intake review within its SLA, with no sub-status, that maria
    // may claim: unheld, or hers (released first).
    let (target, mine) = c
        .app
        .page
        .rows
        .iter()
        .find(|r| {
            r.stage == "intake_review"
                && r.substatus.is_none()
                && !sla::breached(r, now())
                && r.assignee.as_deref().is_none_or(|a| a == "maria")
        })
        .map(|r| (r.id, r.assignee.is_some()))
        .expect("an intake review maria may claim");
    if mine {
        c.select(target);
        c.press('u');
        assert_eq!(store().record(target).expect("r").assignee, None);
    }
    c.select(target);
    c.press('c');
    assert_eq!(
        store().record(target).expect("r").assignee.as_deref(),
        Some("maria"),
        "{:?}",
        c.app.status
    );
    c.select(target);
    c.press('s');
    c.pick("awaiting_patient");
    let r = store().record(target).expect("r");
    assert_eq!(r.substatus.as_deref(), Some("awaiting_patient"));
    assert!(
        r.paused_since.is_some(),
        "a pausing sub-status stops the clock"
    );
    c.select(target);
    c.press('n');
    c.typed("Left a voicemail");
    c.code(KeyCode::Enter);
    let last = events::history(store().conn(), target)
        .expect("h")
        .pop()
        .expect("event");
    assert_eq!(
        (
            last.kind.as_str(),
            last.note.as_deref(),
            last.actor.as_str()
        ),
        ("note", Some("Left a voicemail"), "maria")
    );
    c.select(target);
    c.press('u');
    assert_eq!(store().record(target).expect("r").assignee, None);

    // A breached record: `x` offers the stage's breach reasons.
    let breached = c
        .app
        .page
        .rows
        .iter()
        .find(|r| {
            sla::breached(r, now()) && r.breach_reason.is_none() && r.stage != "intake_review"
        })
        .map(|r| (r.id, r.stage.clone()))
        .expect("a breached record");
    c.select(breached.0);
    c.press('x');
    let p = pipeline();
    let codes = p
        .stage(p.stage_ix(&breached.1).expect("stage"))
        .breach_reasons
        .clone();
    c.pick(&codes[0]);
    assert_eq!(
        store()
            .record(breached.0)
            .expect("r")
            .breach_reason
            .as_deref(),
        Some(codes[0].as_str()),
        "{:?}",
        c.app.status
    );
    // And on a record within its SLA, `x` is refused with the reason.
    c.select(target);
    c.press('x');
    assert!(c.app.popup.is_none());
    assert!(
        c.app
            .status
            .as_ref()
            .is_some_and(|s| s.error && s.text.contains("not breached"))
    );
}
