//! Screen snapshots of the console (TestBackend + insta) at 200x50, 120x40
//! and 80x24: every view, the detail pane, the move picker and help, on
//! seeded demo data at a fixed instant, and on a seven-phase fixture with
//! an accented phase and a long accented stage name. Review a changed
//! snapshot like code.

use crate::harness as console;

use console::{Console, demo_db};
use crossterm::event::KeyCode;

const SIZES: [(u16, u16); 3] = [(200, 50), (120, 40), (80, 24)];

#[test]
fn every_view_at_both_sizes() {
    let (_dir, db) = demo_db(160);
    for (w, h) in SIZES {
        let mut c = Console::open(&db, "kim", w, h);
        let n = c.app.views.len();
        for i in 0..n {
            c.press(char::from_digit(i as u32 + 1, 10).expect("digit"));
            let title = c.app.views[i]
                .title
                .to_lowercase()
                .replace([' ', '&', '/'], "_")
                .replace("__", "_");
            let screen = c.screen(w, h);
            // The footer keeps the keys a queue is worked with, at every size.
            let footer = screen.lines().last().unwrap_or_default();
            let keys: &[&str] = if c.app.views[i].kind == carequeue::app::views::ViewKind::Audit {
                &["w next panel", "r recompute", "? help", "q quit"]
            } else {
                &["m move", "c claim", "x ack", "/ filter", "? help", "q quit"]
            };
            for k in keys {
                assert!(
                    footer.contains(k),
                    "{w}x{h} view {}: no `{k}` in {footer}",
                    i + 1
                );
            }
            insta::assert_snapshot!(format!("view_{}_{title}_{w}x{h}", i + 1), screen);
        }
    }
}

/// Seven phases make eleven views: `0` opens the tenth, `:view` the
/// eleventh; an accented phase and a long accented stage name stay
/// readable and distinguishable.
#[test]
fn a_seven_phase_pipeline_at_every_size() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seven_phases.toml"
    ))
    .expect("fixture");
    let (_dir, db, p) = console::demo_db_on(&text, 160);
    for (w, h) in SIZES {
        let mut c = Console::open_on(&db, p.clone(), "kim", w, h);
        let n = c.app.views.len();
        assert_eq!(n, 11, "seven phases and four more views");
        for i in 0..n {
            if i < 9 {
                c.press(char::from_digit(i as u32 + 1, 10).expect("digit"));
            } else if i == 9 {
                c.press('0');
            } else {
                c.press(':');
                c.typed(&format!("view {}", i + 1));
                c.code(KeyCode::Enter);
            }
            assert_eq!(c.app.view, i);
            let screen = c.screen(w, h);
            insta::assert_snapshot!(format!("seven_view_{}_{w}x{h}", i + 1), screen);
        }
        // The long stage, selected: its box and rows.
        c.press('4');
        c.press('l');
        c.press('l');
        insta::assert_snapshot!(format!("seven_long_stage_{w}x{h}"), c.screen(w, h));
    }
}

#[test]
fn detail_pane_move_picker_and_help() {
    let (_dir, db) = demo_db(160);
    for (w, h) in SIZES {
        // A provider on their first view, My Queue: detail, then the move picker.
        let mut c = Console::open(&db, "okafor", w, h);
        c.code(KeyCode::Enter);
        assert!(c.app.detail.is_some(), "the detail pane loads");
        insta::assert_snapshot!(format!("detail_{w}x{h}"), c.screen(w, h));
        c.code(KeyCode::Enter);
        c.press('m');
        assert!(
            c.app.popup.is_some(),
            "the move picker opens: {:?}",
            c.app.status
        );
        insta::assert_snapshot!(format!("move_picker_{w}x{h}"), c.screen(w, h));
        c.code(KeyCode::Esc);
        c.press('?');
        insta::assert_snapshot!(format!("help_{w}x{h}"), c.screen(w, h));
    }
}

#[test]
fn a_terminal_too_small_gets_a_message() {
    let (_dir, db) = demo_db(20);
    let mut c = Console::open(&db, "kim", 50, 10);
    let s = c.screen(50, 10);
    assert!(s.contains("Terminal too small"), "{s}");
    insta::assert_snapshot!("too_small_50x10", s);
}

#[test]
fn the_idle_lock_hides_patient_data() {
    let (_dir, db) = demo_db(40);
    let mut c = Console::open(&db, "kim", 120, 40);
    let names: Vec<String> = c.app.page.rows.iter().map(|r| r.patient.clone()).collect();
    assert!(!names.is_empty());
    assert!(names.iter().any(|n| c.screen(120, 40).contains(n.as_str())));
    c.app.locked = true;
    let locked = c.screen(120, 40);
    assert!(locked.contains("locked"), "{locked}");
    for n in &names {
        assert!(
            !locked.contains(n.as_str()),
            "patient name visible while locked"
        );
    }
    c.press('j');
    assert!(!c.app.locked, "a key unlocks");
    assert_eq!(c.app.selected, 0, "the waking key does nothing else");
}

/// Where the names fit, the tab line does not move as the user goes from
/// view to view; where they do not, the keys stay in place and the active
/// view is named in full, never cut to `In…`. Every tab keeps its key, and
/// the current view's full name is in the table's title.
#[test]
fn tabs_stay_put_as_the_active_one_changes_and_the_title_names_the_view() {
    let (_dir, db) = demo_db(40);
    for (w, h) in [(120, 40), (80, 24), (60, 15)] {
        let mut c = Console::open(&db, "kim", w, h);
        let mut lines = Vec::new();
        for i in 0..c.app.views.len() {
            c.press(char::from_digit(i as u32 + 1, 10).expect("digit"));
            assert_eq!(c.app.view, i);
            let s = c.screen(w, h);
            let tabs = s.lines().nth(1).expect("a tab line").to_string();
            let title = c.app.views[i].title.clone();
            if c.app.current().kind != carequeue::app::views::ViewKind::Audit {
                assert!(
                    s.contains(&format!("┌ {title} · ")),
                    "{w}x{h}: the table title names `{title}`:\n{s}"
                );
            }
            for j in 0..c.app.views.len() {
                let n = format!(" {}", j + 1);
                assert!(
                    tabs.contains(&format!("{n} "))
                        || tabs.ends_with(&n)
                        || tabs.starts_with(&format!("{} ", j + 1)),
                    "{w}x{h}: tab {} missing:\n{tabs}",
                    j + 1
                );
            }
            assert!(!tabs.contains('…'), "{w}x{h}: a cut tab: {tabs}");
            assert!(
                tabs.contains(&title),
                "{w}x{h}: `{title}` not named: {tabs}"
            );
            lines.push(tabs);
        }
        lines.dedup();
        if w >= 120 {
            assert_eq!(lines.len(), 1, "{w}x{h}: the tabs moved: {lines:#?}");
        }
    }
}

#[test]
fn breach_groups_count_time_over_like_the_sla_cells() {
    use carequeue::engine::sla;
    use carequeue::store::{ListFilter, OwnerFilter, Store};
    let (_dir, db) = demo_db(160);
    let mut c = Console::open(&db, "kim", 120, 40);
    assert_eq!(
        c.app.current().kind,
        carequeue::app::views::ViewKind::Breaches
    );
    let s = c.screen(120, 40);
    let store = Store::open(&db).expect("open");
    let p = console::pipeline();
    let now = console::now();
    let mut checked = 0;
    for g in &c.app.groups {
        let f = ListFilter {
            stages: Some(vec![g.stage.clone()]),
            owner: match &g.owner {
                Some(u) => OwnerFilter::User(u.clone()),
                None => OwnerFilter::Unassigned,
            },
            ..Default::default()
        };
        // The most overdue record of the group, in the working time its
        // SLA cell shows.
        let Some(over) = store
            .list(&f, now.timestamp())
            .expect("list")
            .iter()
            .map(|r| sla::view(&p, r, now))
            .filter(|v| v.state == sla::SlaState::Breached)
            .filter_map(|v| v.seconds_left)
            .map(|l| -l)
            .max()
        else {
            continue;
        };
        let stage = p.stage(p.stage_ix(&g.stage).expect("stage")).name.clone();
        let owner = carequeue::present::group_owner_label(&p, &g.stage, g.owner.as_deref());
        // After the border and the one-character cursor gutter.
        let head = format!(" {stage:<26} {owner:<14} ");
        let Some(line) = s.lines().find(|l| {
            l.starts_with('│') && l.chars().skip(2).collect::<String>().starts_with(&head)
        }) else {
            continue; // not among the groups that fit
        };
        let calendar = now.timestamp() - g.oldest_due;
        let want = carequeue::present::overdue(calendar, over);
        assert!(
            line.trim_end_matches(['│', ' '])
                .ends_with(&format!(" {want}")),
            "group {stage}/{owner}: want worst {want}:\n{line}"
        );
        checked += 1;
    }
    assert!(checked >= 3, "groups checked: {checked}\n{s}");
}
