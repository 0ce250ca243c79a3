//! Structured filters and orders in the console, driven by key presses on
//! a real SQLite file: the filter applies as it is typed, is named in the
//! title and the empty state, and Esc clears it; `/` reopens with the old
//! text selected; Ctrl-U clears the line; `:sort` orders the queue in
//! either direction across pages.

use crate::harness as console;

use carequeue::app::popup::Popup;
use carequeue::store::{Sort, SortKey};
use console::{Console, demo_db};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn command(c: &mut Console, line: &str) {
    c.press(':');
    c.typed(line);
    c.code(KeyCode::Enter);
}

fn prompt(c: &Console) -> (String, bool) {
    match &c.app.popup {
        Some(Popup::Input { text, selected, .. }) => (text.clone(), *selected),
        other => panic!("no prompt open: {other:?}"),
    }
}

/// Every row of the current view, reading page by page with the cursor.
fn all_rows(c: &mut Console) -> Vec<carequeue::engine::Record> {
    c.press('g');
    let mut out = Vec::new();
    for _ in 0..c.app.page.total {
        out.extend(c.app.selected_record().cloned());
        c.press('j');
    }
    out
}

#[test]
fn the_filter_applies_as_typed_is_named_and_esc_clears_it() {
    let (_d, db) = demo_db(400);
    let mut c = Console::open(&db, "kim", 120, 40);
    command(&mut c, "view 1");
    let everything = c.app.page.total;
    c.press('/');
    c.typed("grunewald");
    // No Enter yet: the queue already shows the matches.
    assert!(c.app.page.total > 0 && c.app.page.total < everything);
    assert!(
        c.app
            .page
            .rows
            .iter()
            .all(|r| r.patient.contains("Grünewald")),
        "accents folded: {:?}",
        c.app
            .page
            .rows
            .iter()
            .map(|r| &r.patient)
            .collect::<Vec<_>>()
    );
    c.code(KeyCode::Enter);
    let screen = c.screen(120, 40);
    assert!(screen.contains("filter \"grunewald\""), "{screen}");

    // Reopened, the old text is selected: typing replaces it.
    c.press('/');
    assert_eq!(prompt(&c), ("grunewald".to_string(), true));
    c.typed("stage:intake_review");
    assert_eq!(prompt(&c), ("stage:intake_review".to_string(), false));
    assert!(c.app.page.rows.iter().all(|r| r.stage == "intake_review"));
    // A bad term is named and left out; the others still apply.
    c.typed(" colour:red");
    let status = c.app.status.clone().expect("status");
    assert!(
        status.error && status.text.contains("unknown filter `colour:`"),
        "{status:?}"
    );
    assert!(c.app.page.rows.iter().all(|r| r.stage == "intake_review"));
    // Ctrl-U clears the line (and so the filter).
    c.key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert_eq!(prompt(&c).0, "");
    assert_eq!(c.app.page.total, everything);
    c.typed("zzzz");
    c.code(KeyCode::Enter);
    assert_eq!(c.app.page.total, 0);
    let screen = c.screen(120, 40);
    assert!(
        screen.contains("No records match filter \"zzzz\" here. Esc clears it."),
        "{screen}"
    );
    c.code(KeyCode::Esc);
    assert!(c.app.filter.is_empty());
    assert_eq!(c.app.page.total, everything);

    // Esc inside the prompt clears the filter too.
    c.press('/');
    c.typed("sla:breached");
    let breached = c.app.page.total;
    assert!(breached > 0 && breached < everything);
    c.code(KeyCode::Esc);
    assert!(c.app.popup.is_none() && c.app.filter.is_empty());
    assert_eq!(c.app.page.total, everything);
}

#[test]
fn sort_orders_every_page_either_way_and_names_the_order() {
    let (_d, db) = demo_db(300);
    let mut c = Console::open(&db, "kim", 120, 30);
    command(&mut c, "view 1");
    let total = c.app.page.total;
    assert!(total > c.app.height, "more rows than one screen");

    command(&mut c, "sort patient");
    assert_eq!(
        c.app.sort,
        Sort {
            key: SortKey::Patient,
            desc: false
        }
    );
    assert!(c.screen(120, 30).contains("by patient ↑"));
    let rows = all_rows(&mut c);
    assert_eq!(rows.len(), total);
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.patient.to_ascii_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "A to Z across every page");

    command(&mut c, "sort age");
    assert!(
        c.screen(120, 30).contains("by age ↓"),
        "oldest first by default"
    );
    let rows = all_rows(&mut c);
    assert!(rows.windows(2).all(|w| w[0].entered_at <= w[1].entered_at));

    command(&mut c, "sort id desc");
    let rows = all_rows(&mut c);
    assert!(rows.windows(2).all(|w| w[0].id > w[1].id));
    // The cursor can come back up through earlier pages in the same order.
    c.press('G');
    let last = c.app.selected_record().map(|r| r.id);
    assert_eq!(last, rows.last().map(|r| r.id));
    for _ in 1..total {
        c.press('k');
    }
    assert_eq!(
        c.app.selected_record().map(|r| r.id),
        rows.first().map(|r| r.id)
    );

    command(&mut c, "sort colour");
    let status = c.app.status.clone().expect("status");
    assert!(
        status.error && status.text.contains("unknown sort `colour`"),
        "{status:?}"
    );
    assert_eq!(c.app.sort.key, SortKey::Id, "a bad sort changes nothing");
}

#[test]
fn saved_views_keep_filter_order_owner_and_stage_and_follow_the_built_in_ones() {
    let (_d, db) = demo_db(300);
    let mut c = Console::open(&db, "kim", 120, 40);
    let builtin = c.app.views.len();
    command(&mut c, "view 1");
    command(&mut c, "stage intake_review");
    command(&mut c, "filter sla:breached");
    command(&mut c, "sort patient desc");
    command(&mut c, "owner none");
    let want: Vec<i64> = c.app.page.rows.iter().map(|r| r.id).collect();
    command(&mut c, "save late intake");
    assert_eq!(c.app.views.len(), builtin + 1);
    assert_eq!(c.app.views[builtin].title, "late intake");

    // Elsewhere, the filter and order are the defaults again.
    command(&mut c, "view late intake");
    command(&mut c, "view 2");
    assert!(c.app.filter.is_empty());
    assert_eq!(c.app.sort, Sort::default());
    command(&mut c, "view late intake");
    assert_eq!(c.app.filter, "sla:breached");
    assert_eq!(
        c.app.sort,
        Sort {
            key: SortKey::Patient,
            desc: true
        }
    );
    assert_eq!(c.app.active_stages(), ["intake_review"]);
    assert_eq!(
        c.app.page.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        want
    );
    let screen = c.screen(120, 40);
    assert!(screen.contains("late intake ·"), "{screen}");

    // Another user does not see it; the name of a built-in view is refused.
    let other = Console::open(&db, "maria", 120, 40);
    assert!(other.app.views.iter().all(|v| v.saved.is_none()));
    command(&mut c, "save Breaches");
    let status = c.app.status.clone().expect("status");
    assert!(
        status.error && status.text.contains("built-in view"),
        "{status:?}"
    );
    command(&mut c, "view delete Audit");
    assert!(c.app.status.clone().is_some_and(|s| s.error));

    command(&mut c, "view delete late intake");
    assert_eq!(c.app.views.len(), builtin);
    assert_eq!(
        c.app.view, 0,
        "the view shown was deleted: back to the first"
    );
    let reopened = Console::open(&db, "kim", 120, 40);
    assert_eq!(reopened.app.views.len(), builtin);
}

/// The queue table's heading line.
fn heading(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains("PATIENT") && l.contains(" SLA"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|w| w.trim_matches('│'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_saved_view_keeps_its_columns() {
    let (_d, db) = demo_db(120);
    let mut c = Console::open(&db, "kim", 120, 40);
    command(&mut c, "view 1");
    let all = heading(&c.screen(120, 40));
    assert!(all.contains("STAGE") && all.contains("OWNER"), "{all}");
    command(&mut c, "columns patient,id,sla");
    assert_eq!(heading(&c.screen(120, 40)), "PATIENT ID SLA");
    command(&mut c, "save slim");
    // Like the filter, the columns hold across built-in views until
    // changed; the saved view brings its own, and leaving it puts the
    // configured ones back.
    command(&mut c, "columns default");
    assert!(heading(&c.screen(120, 40)).contains("STAGE"));
    command(&mut c, "view slim");
    assert_eq!(heading(&c.screen(120, 40)), "PATIENT ID SLA");
    command(&mut c, "view 2");
    assert!(heading(&c.screen(120, 40)).contains("STAGE"));
    // Kept in the database: the next session's saved view has them too.
    let mut again = Console::open(&db, "kim", 120, 40);
    command(&mut again, "view slim");
    assert_eq!(heading(&again.screen(120, 40)), "PATIENT ID SLA");
    // `default` goes back; an unknown column is named and changes nothing.
    command(&mut c, "columns default");
    assert!(heading(&c.screen(120, 40)).contains("STAGE"));
    command(&mut c, "columns id,nope");
    let st = c.app.status.clone().expect("status");
    assert!(st.error && st.text.contains("no column `nope`"), "{st:?}");
    assert!(heading(&c.screen(120, 40)).contains("STAGE"));
}
