//! What a k9s, lazygit, tig or htop user reaches for: back and forward,
//! the message log, Space that marks and moves on, a key that copies the
//! record id, a sort key shown in its column's heading, and the `:`
//! commands listed with what each does.

use crate::harness::{Console, demo_db};
use crossterm::event::KeyCode;

fn status(c: &Console) -> String {
    c.app.status.clone().map(|s| s.text).unwrap_or_default()
}

#[test]
fn back_and_forward_return_to_the_view_filter_cursor_and_pane() {
    let (_dir, db) = demo_db(160);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.press('<');
    assert!(
        status(&c).contains("nothing to go back to"),
        "{}",
        status(&c)
    );

    // A record in another phase, to go to by :go.
    c.press('2');
    let elsewhere = c.app.selected_record().expect("a clinical record").id;
    // On Intake, the third row, with a filter: where we start.
    c.press('1');
    c.press(':');
    c.typed("filter sla:ok");
    c.code(KeyCode::Enter);
    c.press('j');
    c.press('j');
    let start_view = c.app.view;
    let start = c.app.selected_record().expect("a row").id;
    c.press(':');
    c.typed(&format!("go {elsewhere}"));
    c.code(KeyCode::Enter);
    assert_eq!(c.app.pane, Some(elsewhere));
    assert_ne!(c.app.view, start_view);

    c.press('<');
    assert_eq!(c.app.view, start_view, "back in Intake");
    assert_eq!(c.app.filter, "sla:ok", "with its filter");
    assert_eq!(
        c.app.selected_record().map(|r| r.id),
        Some(start),
        "the cursor on its record"
    );
    assert!(!c.app.detail_open, "no pane was open there");
    assert!(status(&c).starts_with("back to Intake"), "{}", status(&c));

    c.press('>');
    assert_eq!(c.app.pane, Some(elsewhere), "forward: the record's pane");
    assert!(c.app.detail_open);
    assert_eq!(c.app.filter, elsewhere.to_string());
    c.press('>');
    assert!(status(&c).contains("nothing to go forward to"));

    // Esc keeps its meaning: it closes the pane, it does not go back.
    c.code(KeyCode::Esc);
    assert!(!c.app.detail_open);
    assert_eq!(c.app.filter, elsewhere.to_string());
}

#[test]
fn back_from_a_breaches_group_returns_to_the_groups() {
    let (_dir, db) = demo_db(160);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.press('8');
    c.press('w');
    assert!(c.app.group_nav.focus, "the keys on the groups");
    c.press('j');
    let sel = c.app.group_nav.sel;
    c.code(KeyCode::Enter);
    assert!(!c.app.group_nav.focus, "a group's records");
    assert!(c.app.filter.starts_with("owner:"), "{}", c.app.filter);
    c.press('<');
    assert!(c.app.group_nav.focus, "back on the groups");
    assert_eq!(c.app.group_nav.sel, sel);
    assert_eq!(c.app.filter, "");
    assert_eq!(c.app.stage_sel, 0);
}

#[test]
fn the_message_log_keeps_what_the_status_line_showed() {
    let (_dir, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.press('o');
    c.press('o');
    c.press(':');
    c.typed("go 999999");
    c.code(KeyCode::Enter);
    let refused = status(&c);
    assert!(refused.contains("no such record"), "{refused}");
    c.press('o');
    c.press('@');
    let screen = c.screen(120, 36);
    assert!(screen.contains("Messages · 4 this session"), "{screen}");
    // Latest first: the third owner change, the refusal, the second, the first.
    let logged: Vec<String> = screen
        .lines()
        .filter_map(|l| l.split("10:00:00  ").nth(1))
        .map(|l| l.split('│').next().unwrap_or(l).trim_end().to_string())
        .collect();
    assert_eq!(logged.len(), 4, "{screen}");
    assert_eq!(logged[0], "owner filter: mine + unassigned");
    assert!(logged[1].contains("no such record"), "{}", logged[1]);
    assert_eq!(logged[2], "owner filter: unassigned");
    assert_eq!(logged[3], "owner filter: mine");
    // Any other key closes it; the queue is back.
    c.press('x');
    assert!(c.app.popup.is_none(), "{:?}", c.app.popup);
}

#[test]
fn space_marks_and_moves_on() {
    let (_dir, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.press('1');
    let rows: Vec<i64> = c.app.page.rows.iter().take(3).map(|r| r.id).collect();
    for _ in 0..3 {
        c.press(' ');
    }
    for id in &rows {
        assert!(c.app.marks.contains(*id), "#{id} marked");
    }
    assert_eq!(c.app.marks.len(), 3);
    assert_eq!(c.app.selected, 3, "the cursor moved on each time");
}

#[test]
fn y_copies_the_record_id_and_never_the_name() {
    let (_dir, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.press('1');
    let r = c.app.selected_record().cloned().expect("a row");
    c.press('y');
    assert_eq!(c.app.clipboard.as_deref(), Some(r.id.to_string().as_str()));
    assert!(status(&c).contains(&format!("#{} copied", r.id)));
    assert!(!status(&c).contains(&r.patient));
}

#[test]
fn a_sort_key_cycles_the_columns_and_the_heading_shows_it() {
    let (_dir, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 140, 36);
    c.press('1');
    let heading = |c: &mut Console| -> String {
        let screen = c.screen(140, 36);
        screen
            .lines()
            .find(|l| l.contains("PATIENT"))
            .expect("the heading row")
            .to_string()
    };
    assert!(heading(&mut c).contains("DUE ↑"), "{}", heading(&mut c));
    c.press('S');
    assert!(heading(&mut c).contains("AGE ↓"), "{}", heading(&mut c));
    assert!(!heading(&mut c).contains("DUE ↑"));
    assert!(status(&c).contains("sorted by age ↓"));
    let ages: Vec<i64> = c.app.page.rows.iter().map(|r| r.entered_at).collect();
    assert!(ages.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    c.press('I');
    assert!(heading(&mut c).contains("AGE ↑"));
    let ages: Vec<i64> = c.app.page.rows.iter().map(|r| r.entered_at).collect();
    assert!(ages.windows(2).all(|w| w[0] >= w[1]), "newest first");
    c.press('S');
    assert!(heading(&mut c).contains("PATIENT ↑"));
    c.press('S');
    assert!(heading(&mut c).contains("ID ↑"));
    c.press('S');
    assert!(heading(&mut c).contains("DUE ↑"));
}

#[test]
fn the_command_line_lists_its_commands_with_what_each_does() {
    let (_dir, db) = demo_db(40);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.press(':');
    let screen = c.screen(120, 36);
    for cmd in carequeue::keys::Command::ALL {
        let line = screen
            .lines()
            .find(|l| l.contains(&format!("│{:<9}", cmd.as_str())))
            .unwrap_or_else(|| panic!(":{cmd} listed:\n{screen}"));
        let words: String = cmd.description().chars().take(20).collect();
        assert!(line.contains(&words), "{line}");
    }
    c.typed("s");
    let screen = c.screen(120, 36);
    assert!(screen.contains("│stage") && screen.contains("│sort") && screen.contains("│save"));
    assert!(
        !screen.contains("│go "),
        "narrowed to what `s` can become:\n{screen}"
    );
    c.typed("ort ");
    let screen = c.screen(120, 36);
    assert!(
        !screen.contains(" commands · "),
        "gone once an argument is typed"
    );
}

/// Until the rows of a new filter come, the old rows under the new title
/// are not what the user asked for: an action on them is refused, and the
/// same action on the new rows works once they are read.
#[test]
fn an_action_while_the_new_rows_are_read_does_nothing() {
    let (_dir, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.press('1');
    let first = c.app.selected_record().cloned().expect("a row");
    let other = c.app.page.rows.last().cloned().expect("another row");
    assert_ne!(first.id, other.id);
    // The filter changes by `:filter`; its page is not answered yet.
    let asked = c.app.on_key_code(KeyCode::Char(':'));
    assert!(asked.is_empty());
    for ch in format!("filter {}", other.id).chars() {
        c.app.on_key_code(KeyCode::Char(ch));
    }
    let page = c.app.on_key_code(KeyCode::Enter);
    assert!(c.app.rows_outdated, "the new filter's page is on its way");
    let none = c.app.on_key_code(KeyCode::Char('c'));
    assert!(none.is_empty(), "no claim of the old row: {none:?}");
    assert!(
        status(&c).contains("still reading the rows of this view; nothing was done"),
        "{}",
        status(&c)
    );
    // The page comes: the same key acts on the record now shown.
    c.send(page);
    assert!(!c.app.rows_outdated);
    assert_eq!(c.app.selected_record().map(|r| r.id), Some(other.id));
}

/// With the pane open, an action acts on the pane's patient or not at all.
#[test]
fn an_action_never_acts_on_a_row_other_than_the_panes() {
    let (_dir, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.press('1');
    c.code(KeyCode::Enter);
    let shown = c.app.pane.expect("the pane");
    // Forced apart (as a stale row could leave them): refused.
    c.app.selected += 1;
    let none = c.app.on_key_code(KeyCode::Char('u'));
    assert!(none.is_empty(), "{none:?}");
    assert!(
        status(&c).contains(&format!("the pane shows #{shown} but the cursor is on #")),
        "{}",
        status(&c)
    );
}

/// Help lists the `:` commands and the filter syntax, with this
/// pipeline's filterable fields; scrolling reaches every line.
#[test]
fn help_lists_the_commands_and_the_filter_syntax() {
    let (_dir, db) = demo_db(40);
    let mut c = Console::open(&db, "kim", 120, 40);
    c.press('?');
    let mut seen = String::new();
    for _ in 0..80 {
        seen.push_str(&c.screen(120, 40));
        c.press('j');
    }
    for cmd in carequeue::keys::Command::ALL {
        assert!(
            seen.contains(&format!(":{} ", cmd.as_str())),
            ":{cmd}\n{seen}"
        );
    }
    for term in [
        "stage:ID",
        "owner:NAME",
        "sla:STATE",
        "sub:ID",
        "state:VALUE",
    ] {
        assert!(seen.contains(term), "{term}");
    }
    assert!(seen.contains("AND between terms"));
}

#[test]
fn snapshots_of_the_message_log() {
    let (_dir, db) = demo_db(60);
    for (w, h) in [(120u16, 36u16), (80, 24)] {
        let mut c = Console::open(&db, "kim", w, h);
        c.press('1');
        c.press('o');
        c.press('c');
        c.press(':');
        c.typed("go 999999");
        c.code(KeyCode::Enter);
        c.press('/');
        c.typed("sla:brea");
        c.code(KeyCode::Enter);
        c.press('@');
        insta::assert_snapshot!(format!("message_log_{w}x{h}"), c.screen(w, h));
    }
}

/// With the views on other keys, digits count: `5j` moves five rows, `2`
/// PgDn two pages, `3J` scrolls the pane three rows; another key forgets
/// the count. With digits on views (the default) `5` opens view 5.
#[test]
fn digits_no_key_binds_are_a_count() {
    let (cfg, problems) = carequeue::config::read(
        r#"
[keys.normal]
view_1 = ["B"]
view_2 = ["D"]
view_3 = ["E"]
view_4 = ["H"]
view_5 = ["L"]
view_6 = ["N"]
view_7 = ["P"]
view_8 = ["Q"]
view_9 = ["R"]
view_10 = ["T"]
"#,
    );
    assert!(problems.is_empty(), "{problems:?}");
    let (_dir, db) = demo_db(600);
    let mut c = Console::open(&db, "kim", 120, 36);
    // The default: 5 opens view 5.
    c.press('5');
    assert_eq!(c.app.view, 4);
    c.press('1');
    assert_eq!(c.app.view, 0);
    c.app.configure(&cfg);
    c.press('1');
    assert_eq!(c.app.view, 0, "1 opens no view now");
    assert_eq!(c.app.count, Some(1), "it starts a count");
    c.press('g');
    assert_eq!((c.app.selected, c.app.count), (0, None), "g took it");
    c.press('5');
    c.press('j');
    assert_eq!(c.app.selected, 5, "5j");
    c.press('1');
    c.press('2');
    c.press('k');
    assert_eq!(c.app.selected, 0, "12k stops at the top");
    let page = c.app.height;
    c.press('2');
    c.code(KeyCode::PageDown);
    assert!(c.app.page.total > 2 * page + 2, "enough rows");
    assert_eq!(c.app.selected, 2 * page, "2 PgDn");
    c.press('3');
    c.press('z');
    c.press('j');
    assert_eq!(c.app.selected, 2 * page + 1, "z forgot the count");
}

/// A `:go` whose lookup fails leaves the rows as they were: actions on
/// them go on working.
#[test]
fn a_failed_go_does_not_hold_actions() {
    let (_dir, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.press('1');
    c.press(':');
    c.typed("go 5");
    let asked = c.app.on_key_code(KeyCode::Enter);
    assert!(
        c.app.rows_outdated,
        "held while :go is on its way: {asked:?}"
    );
    // The worker fails the lookup.
    let more = c.app.on_response(carequeue::app::service::Response::Error(
        "the database is locked".into(),
    ));
    assert!(more.is_empty());
    assert!(!c.app.rows_outdated, "nothing moved: the rows are current");
    c.press('y');
    assert!(c.app.clipboard.is_some(), "an action works again");
}

/// While a new filter's rows are read, the queue's title says so at any
/// width (the narrow title drops the order and owner first, never this).
#[test]
fn the_title_says_when_the_rows_are_not_yet_read() {
    let (_dir, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 80, 24);
    c.press('1');
    c.press(':');
    for ch in "filter sla:ok".chars() {
        c.app.on_key_code(KeyCode::Char(ch));
    }
    let page = c.app.on_key_code(KeyCode::Enter);
    let screen = c.screen(80, 24);
    let title = screen
        .lines()
        .find(|l| l.contains("┌ Intake"))
        .expect("the queue's title");
    assert!(title.contains("reading…"), "{title}");
    c.send(page);
    let screen = c.screen(80, 24);
    assert!(!screen.contains("reading…"), "{screen}");
}
