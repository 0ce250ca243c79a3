//! Each role's first screen on three clinics (the shipped pipeline, the
//! four-phase skin clinic, the seven-phase physio referral clinic), at
//! 120x36 and 80x24, and a queue empty by construction saying why.
//! Review a changed snapshot like code: the view is the role's work, the
//! header names the user and role, no id or heading is cut.

use crate::derived_views::{clinics, user_of};
use crate::harness as console;

use carequeue::app::views::ViewKind;
use console::{Console, demo_db_on};

const SIZES: [(u16, u16); 2] = [(120, 36), (80, 24)];

#[test]
fn each_roles_first_screen_on_three_clinics() {
    for clinic in clinics() {
        let (_d, db, p) = demo_db_on(&clinic.text, 60);
        for r in &clinic.roles {
            let u = user_of(&db, r.role);
            let role_name = p
                .roles
                .iter()
                .find(|x| x.id == r.role)
                .map(|x| x.name.clone())
                .unwrap_or_default();
            for (w, h) in SIZES {
                let mut c = Console::open_on(&db, p.clone(), &u.name, w, h);
                let screen = c.screen(w, h);
                let at = format!("{} / {} {w}x{h}", clinic.name, r.role);
                assert_eq!(c.app.current().kind, r.first, "{at}");
                let header = screen.lines().next().unwrap_or_default();
                assert!(header.contains(&u.name), "{at}: {header}");
                // The queue's own records, not a note that it is empty.
                if r.first != ViewKind::Breaches {
                    assert!(!c.app.page.rows.is_empty(), "{at}");
                    assert!(!screen.contains("No records here"), "{at}\n{screen}");
                }
                insta::assert_snapshot!(
                    format!("first_{}_{}_{w}x{h}", clinic.name, r.role),
                    screen,
                    &format!("{at}: {role_name}")
                );
            }
        }
    }
}

/// A clinic lead owns no stage and no escalation hands them a record: My
/// Queue is empty and says why, at both sizes, whole.
#[test]
fn a_queue_empty_by_construction_says_why() {
    let clinic = clinics()
        .into_iter()
        .find(|c| c.name == "skin")
        .expect("skin clinic");
    let (_d, db, p) = demo_db_on(&clinic.text, 60);
    let u = user_of(&db, "lead");
    for (w, h) in SIZES {
        let mut c = Console::open_on(&db, p.clone(), &u.name, w, h);
        let i = c
            .app
            .views
            .iter()
            .position(|v| v.kind == ViewKind::MyQueue)
            .expect("My Queue");
        c.press(char::from_digit(i as u32 + 1, 10).expect("digit"));
        let screen = c.screen(w, h);
        assert!(c.app.page.rows.is_empty());
        let flat = screen
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for words in [
            "no stage is yours to work",
            "The phase views show every record.",
        ] {
            assert!(flat.contains(words), "{w}x{h}: `{words}` in\n{screen}");
        }
        insta::assert_snapshot!(format!("empty_my_queue_{w}x{h}"), screen);
    }
}
