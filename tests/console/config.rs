//! The user's configuration in the console: rebound keys (and the footer
//! and `?` telling the truth about them), aliases on the command line,
//! the chosen columns, and `?` explaining the symbols and the owner cycle.

use crate::harness as console;

use carequeue::app::popup::Popup;
use console::{Console, demo_db};
use crossterm::event::KeyCode;

const CONFIG: &str = r#"
columns = ["id", "patient", "owner", "sla", "age"]
[aliases]
late = "sla:breached"
[keys.normal]
move = ["M"]
assign = ["m"]
view_1 = ["!"]
"#;

#[test]
fn rebound_keys_aliases_and_columns_apply_and_the_screen_says_so() {
    let (cfg, problems) = carequeue::config::read(CONFIG);
    assert!(problems.is_empty(), "{problems:?}");
    let (_d, db) = demo_db(200);
    let mut c = Console::open(&db, "kim", 120, 40);
    c.app.configure(&cfg);

    c.press('!');
    assert_eq!(c.app.view, 0, "view_1 is on `!` now");
    c.press('1');
    assert_eq!(c.app.view, 0, "`1` is no longer bound");
    c.press('M');
    match &c.app.popup {
        Some(Popup::Pick { title, .. }) => assert!(title.starts_with("Move #"), "{title}"),
        other => panic!("M opens the move picker: {other:?}"),
    }
    c.code(KeyCode::Esc);
    c.press('m');
    match &c.app.popup {
        Some(Popup::Pick { title, .. }) => assert!(title.starts_with("Assign #"), "{title}"),
        other => panic!("m assigns now: {other:?}"),
    }
    c.code(KeyCode::Esc);

    let screen = c.screen(120, 40);
    let footer = screen.lines().last().unwrap_or("");
    assert!(
        footer.contains("M move") && footer.contains("m assign"),
        "{footer}"
    );
    let heads = screen
        .lines()
        .find(|l| l.contains("PATIENT"))
        .unwrap_or_else(|| panic!("a header row:\n{screen}"));
    assert!(heads.contains("OWNER") && heads.contains("AGE"), "{heads}");
    assert!(
        !heads.contains("STAGE") && !heads.contains("DUE"),
        "{heads}"
    );

    c.press(':');
    c.typed("late");
    c.code(KeyCode::Enter);
    assert_eq!(c.app.filter, "sla:breached");
    assert!(c.app.page.total > 0);

    c.press('?');
    let help = c.screen(120, 40);
    for want in [
        "M ",
        "move: fire an event",
        "✖",
        "breached",
        "‖",
        "paused",
        "cycles the owner filter",
        "all → mine → unassigned → mine + unassigned",
        "!,2-9 ",
    ] {
        assert!(help.contains(want), "`{want}` in help:\n{help}");
    }
}

/// With `mouse = true`: a click on a tab, a stage box or a row does what
/// the keys would; the wheel scrolls. Off by default.
#[test]
fn the_mouse_clicks_tabs_stage_boxes_and_rows_when_turned_on() {
    use carequeue::ui::hit::{Hit, hit};
    use ratatui::layout::Rect;
    let (_d, db) = demo_db(200);
    let area = Rect::new(0, 0, 120, 40);
    let mut c = Console::open(&db, "kim", 120, 40);
    c.press('1');
    let at = |c: &Console, want: Hit| -> (u16, u16) {
        for y in 0..40 {
            for x in 0..120 {
                if hit(area, &c.app, x, y) == Some(want) {
                    return (x, y);
                }
            }
        }
        panic!("{want:?} is nowhere on screen")
    };
    // Off: a click does nothing.
    let (x, y) = at(&c, Hit::Tab(2));
    let reqs = c.app.on_click(hit(area, &c.app, x, y));
    assert!(reqs.is_empty() && c.app.view == 0);

    let (cfg, problems) = carequeue::config::read("mouse = true\n");
    assert!(problems.is_empty());
    c.app.configure(&cfg);
    let (x, y) = at(&c, Hit::Tab(2));
    assert_eq!(y, 1, "tabs are on the second line");
    let reqs = c.app.on_click(hit(area, &c.app, x, y));
    c.send(reqs);
    assert_eq!(c.app.view, 2);
    let (x, y) = at(&c, Hit::Stage(2));
    let reqs = c.app.on_click(hit(area, &c.app, x, y));
    c.send(reqs);
    assert_eq!(c.app.stage_sel, 2);
    assert_eq!(c.app.active_stages().len(), 1);
    let (x, y) = at(&c, Hit::Stage(0));
    let reqs = c.app.on_click(hit(area, &c.app, x, y));
    c.send(reqs);
    assert_eq!(c.app.stage_sel, 0, "All stages again");
    let (x, y) = at(&c, Hit::Row(4));
    let reqs = c.app.on_click(hit(area, &c.app, x, y));
    c.send(reqs);
    assert_eq!(c.app.selected, 4);
    let want = c.app.page.rows.get(4).map(|r| r.id);
    assert_eq!(c.app.selected_record().map(|r| r.id), want);
    let reqs = c.app.on_wheel(true);
    c.send(reqs);
    assert_eq!(c.app.selected, 7, "the wheel moves three rows");
    // The header line and the borders are not rows.
    assert_eq!(hit(area, &c.app, 5, 0), None);
}
