//! Which view a user opens on, and with which owner mode: the pipeline's
//! `start_view` per role, a provider's own records (and the unclaimed ones)
//! in My Queue and Decisions, and a demo with work to claim in every owned
//! stage. Each role of three clinics: `derived_views.rs`.

use crate::harness as console;

use carequeue::app::OwnerMode;
use carequeue::app::views::ViewKind;
use carequeue::store::Store;
use console::{Console, demo_db, demo_db_on};

#[test]
fn a_roles_start_view_is_where_its_users_open() {
    let text = carequeue::domain::DEFAULT_PIPELINE.replace(
        "[[roles]]\nid = \"ops\"\n",
        "[[roles]]\nid = \"ops\"\nstart_view = \"fulfillment\"\n",
    );
    assert_ne!(
        text,
        carequeue::domain::DEFAULT_PIPELINE,
        "the role is found"
    );
    let (_d, db, p) = demo_db_on(&text, 60);
    let c = Console::open_on(&db, p.clone(), "maria", 120, 40);
    assert_eq!(c.app.current().title, "Rx & Fulfillment");
    // Without one, a supervisor still opens on Breaches.
    let c = Console::open_on(&db, p, "kim", 120, 40);
    assert_eq!(c.app.current().kind, ViewKind::Breaches);
}

#[test]
fn a_providers_queue_and_decisions_hold_their_own_records_and_the_unclaimed() {
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "okafor", 120, 40);
    assert_eq!(c.app.current().kind, ViewKind::MyQueue);
    for kind in [ViewKind::MyQueue, ViewKind::Decisions] {
        let i = c
            .app
            .views
            .iter()
            .position(|v| v.kind == kind)
            .expect("view");
        c.press(char::from_digit(i as u32 + 1, 10).expect("digit"));
        assert_eq!(c.app.current().kind, kind);
        assert_eq!(c.app.owner, OwnerMode::MineOrUnassigned);
        assert!(!c.app.page.rows.is_empty(), "{kind:?}");
        assert!(
            c.app
                .page
                .rows
                .iter()
                .all(|r| r.assignee.is_none() || r.assignee.as_deref() == Some("okafor")),
            "{kind:?}: no other provider's records"
        );
    }
}

#[test]
fn the_demo_leaves_work_to_claim_in_every_owned_stage() {
    let (_d, db) = demo_db(160);
    let store = Store::open(&db).expect("open");
    let p = console::pipeline();
    let now = console::now().timestamp();
    let counts = store.stage_counts(now).expect("counts");
    let mut checked = 0;
    for c in &counts {
        let Some(ix) = p.stage_ix(&c.stage) else {
            continue;
        };
        let st = p.stage(ix);
        if st.terminal || st.owner.is_none() {
            continue;
        }
        assert!(
            c.unassigned > 0,
            "{}: {} records, none to claim",
            c.stage,
            c.total
        );
        checked += 1;
    }
    assert!(checked >= 10, "most owned stages hold records: {checked}");
}

/// A lost database connection (PostgreSQL's listener says so) shows in
/// the header, words and symbol, at every width, with the totals still in
/// their place; once it is back the header is as before.
#[test]
fn a_lost_connection_is_said_in_the_header_and_the_totals_stay() {
    let (_dir, db) = demo_db(60);
    for (w, word) in [
        (120, "connection lost, reconnecting"),
        (80, "reconnecting…"),
    ] {
        let mut c = Console::open(&db, "kim", w, 30);
        let before = c.screen(w, 30);
        let header = |s: &str| s.lines().next().unwrap_or_default().to_string();
        assert!(!header(&before).contains(word), "{before}");
        let totals = header(&before)
            .rsplit("│ ")
            .next()
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        assert!(totals.starts_with("active "), "{w}: {before}");
        c.app.link_lost = Some("the server closed the connection".into());
        let lost = header(&c.screen(w, 30));
        assert!(lost.contains(&format!("✖ {word}")), "{w}: {lost}");
        assert!(
            lost.trim_end().ends_with(&totals),
            "{w}: `{totals}` in {lost}"
        );
        assert!(lost.contains("kim (Supervisor)"), "{w}: {lost}");
        c.app.link_lost = None;
        assert_eq!(header(&c.screen(w, 30)), header(&before));
    }
}
