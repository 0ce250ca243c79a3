//! The detail pane and the full record view hide nothing without saying
//! so: the pane scrolls by its own keys through every field, allowed event
//! and history event; a cut end says how much is beyond it; a heading never
//! ends a window whose content it cuts; the full view scrolls by the moving
//! keys without ever changing the patient shown.

use crate::harness::{Console, demo_db};
use carequeue::present;
use crossterm::event::KeyCode;

const SIZES: [(u16, u16); 2] = [(120, 36), (80, 24)];

/// The lines inside the pane's border on `screen` (the box whose title
/// begins `┌ #`).
fn pane_lines(screen: &str) -> Vec<String> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let Some((top, col)) = lines.iter().enumerate().find_map(|(i, l)| {
        l.windows(3)
            .position(|w| w == ['┌', ' ', '#'])
            .map(|c| (i, c))
    }) else {
        panic!("no pane on screen:\n{screen}")
    };
    let mut out = Vec::new();
    for l in &lines[top + 1..] {
        if l.get(col) == Some(&'└') {
            // A window may end a row early rather than on a cut heading.
            while out.last().is_some_and(|l: &String| l.is_empty()) {
                out.pop();
            }
            return out;
        }
        let inner: String = l.iter().skip(col + 1).collect();
        let inner = inner.trim_end();
        out.push(
            inner
                .strip_suffix('│')
                .unwrap_or(inner)
                .trim_end()
                .to_string(),
        );
    }
    panic!("the pane has no bottom border:\n{screen}")
}

/// The record with the longest history in the selected view, selected and
/// its pane open.
fn open_longest(c: &mut Console) -> i64 {
    let ids: Vec<i64> = c.app.page.rows.iter().map(|r| r.id).collect();
    let mut best = (0, ids[0]);
    for id in ids {
        c.select(id);
        c.code(KeyCode::Enter);
        let n = c.app.detail.as_ref().map_or(0, |d| d.history.len());
        if n > best.0 {
            best = (n, id);
        }
        c.code(KeyCode::Enter);
    }
    c.select(best.1);
    c.code(KeyCode::Enter);
    best.1
}

/// Every line the pane shows, scrolling from its top to its end with
/// `down`, checking each screen on the way.
fn scroll_through(c: &mut Console, w: u16, h: u16, down: char) -> Vec<String> {
    c.app.pane_top = 0;
    let mut seen: Vec<String> = Vec::new();
    for step in 0..400 {
        let screen = c.screen(w, h);
        let lines = pane_lines(&screen);
        let first = lines.first().expect("a pane line");
        assert_eq!(
            step == 0,
            !first.starts_with('↑'),
            "a marker above after the first step only:\n{screen}"
        );
        for pair in lines.windows(2) {
            let heading = ["Fields ·", "Allowed events ·", "History ·"]
                .iter()
                .any(|h| pair[0].starts_with(h));
            assert!(
                !(heading && (pair[1].starts_with('↓') || pair[1].is_empty())),
                "a heading with its content cut:\n{screen}"
            );
        }
        seen.extend(lines.iter().cloned());
        let last = lines.last().expect("a pane line");
        if !last.starts_with('↓') {
            return seen;
        }
        assert!(
            last.contains("more below (") && last.contains(down),
            "the cut names its key: {last}"
        );
        c.press(down);
    }
    panic!("the pane never reached its end")
}

#[test]
fn the_pane_scrolls_through_every_field_allowed_event_and_history_event() {
    let (_dir, db) = demo_db(160);
    for (w, h) in SIZES {
        let mut c = Console::open(&db, "okafor", w, h);
        let id = open_longest(&mut c);
        let d = c.app.detail.clone().expect("the pane's record");
        assert_eq!(d.record.id, id);
        assert!(d.history.len() >= 3, "a record with a history");
        let seen = scroll_through(&mut c, w, h, 'J').join("\n");
        let p = c.app.pipeline.clone();
        assert!(
            seen.contains(&format!("History · {} events", d.history.len())),
            "the heading counts the history:\n{seen}"
        );
        for f in p
            .fields
            .iter()
            .filter(|f| d.record.fields.contains_key(&f.id))
        {
            assert!(seen.contains(&f.label), "field {} at {w}x{h}", f.label);
        }
        // Every event, by its first words (a long one wraps).
        let flat = seen.split_whitespace().collect::<Vec<_>>().join(" ");
        for e in &d.history {
            let line = present::history_line(&p, e);
            let head: String = line
                .split_whitespace()
                .take(5)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(flat.contains(&head), "{head} at {w}x{h}:\n{seen}");
        }
        // Scrolling on and back up: the window stops at the end, K returns.
        for _ in 0..50 {
            c.press('J');
        }
        let at_end = c.app.pane_top;
        c.press('K');
        assert_eq!(c.app.pane_top + 1, at_end, "K scrolls back at once");
        assert_eq!(c.app.pane, Some(id), "scrolling never changes the patient");
    }
}

#[test]
fn the_full_record_view_scrolls_with_the_moving_keys_and_keeps_its_patient() {
    let (_dir, db) = demo_db(160);
    for (w, h) in SIZES {
        let mut c = Console::open(&db, "okafor", w, h);
        let id = open_longest(&mut c);
        c.code(KeyCode::Enter);
        assert!(!c.app.detail_open);
        // f opens the record view on the selected record.
        c.press('f');
        assert!(c.app.detail_open && c.app.full_view);
        let screen = c.screen(w, h);
        assert!(screen.contains(&format!("┌ #{id} ")), "{screen}");
        assert!(screen.contains(" · record ┐") || screen.contains(" · record ─"));
        assert!(
            !screen.contains("All stages"),
            "the view covers the board:\n{screen}"
        );
        let seen = scroll_through(&mut c, w, h, 'j').join("\n");
        assert!(
            seen.contains("History ·") && seen.contains("Allowed events ·"),
            "{seen}"
        );
        assert_eq!(c.app.selected_record().map(|r| r.id), Some(id));
        c.press('g');
        assert_eq!(c.app.pane_top, 0, "g goes to the record's top");
        assert_eq!(c.app.selected_record().map(|r| r.id), Some(id));
        // Esc goes back to the pane, on the same patient; Enter closes it.
        c.code(KeyCode::Esc);
        assert!(c.app.detail_open && !c.app.full_view);
        assert_eq!(c.app.pane, Some(id));
        c.code(KeyCode::Enter);
        assert!(!c.app.detail_open && !c.app.full_view);
        c.press('f');
        c.press('f');
        assert!(c.app.detail_open && !c.app.full_view, "f again: the pane");
    }
}

#[test]
fn scroll_keys_without_a_pane_say_how_to_open_one() {
    let (_dir, db) = demo_db(40);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.press('J');
    let status = c.app.status.clone().expect("a status").text;
    assert!(
        status.contains("no detail open (enter opens it)"),
        "{status}"
    );
    assert_eq!(c.app.pane_top, 0);
}

#[test]
fn help_lists_the_pane_keys() {
    let (_dir, db) = demo_db(40);
    let mut c = Console::open(&db, "kim", 120, 60);
    c.press('?');
    let screen = c.screen(120, 60);
    for want in [
        "scroll the detail down",
        "scroll the detail up",
        "full record view",
    ] {
        assert!(screen.contains(want), "{want}:\n{screen}");
    }
}

#[test]
fn snapshots_of_a_scrolled_pane_and_the_record_view() {
    let (_dir, db) = demo_db(160);
    for (w, h) in SIZES {
        let mut c = Console::open(&db, "okafor", w, h);
        open_longest(&mut c);
        for _ in 0..4 {
            c.press('J');
        }
        insta::assert_snapshot!(format!("pane_scrolled_{w}x{h}"), c.screen(w, h));
        c.press('f');
        c.press('g');
        insta::assert_snapshot!(format!("record_view_{w}x{h}"), c.screen(w, h));
        c.press('G');
        insta::assert_snapshot!(format!("record_view_end_{w}x{h}"), c.screen(w, h));
    }
}

/// A record whose stay has an early warning to come says which and when,
/// its key whole; one past its last warning says nothing of it.
#[test]
fn the_pane_names_the_next_early_warning() {
    let (_dir, db) = demo_db(160);
    let mut c = Console::open(&db, "okafor", 120, 36);
    let p = c.app.pipeline.clone();
    let rows: Vec<_> = c.app.page.rows.clone();
    let pending = rows
        .iter()
        .find(|r| carequeue::engine::warnings::next(&p, r).is_some())
        .expect("a record with a warning to come on okafor's first page");
    let w = carequeue::engine::warnings::next(&p, pending).expect("next");
    c.select(pending.id);
    c.code(KeyCode::Enter);
    let screen = c.screen(120, 36);
    // The pane's words, its wrapped lines joined.
    let words = pane_lines(&screen).join(" ");
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let want = format!(
        "Next warning {}, {}",
        present::warning_words(&w.label),
        present::local(&p, w.at)
    );
    assert!(words.contains(&want), "{want}:\n{screen}");
    c.code(KeyCode::Enter);
    let done = rows
        .iter()
        .find(|r| {
            r.stage == "pending_provider" && carequeue::engine::warnings::next(&p, r).is_none()
        })
        .expect("a Pending Provider record past its last warning");
    c.select(done.id);
    c.code(KeyCode::Enter);
    let screen = c.screen(120, 36);
    assert!(!screen.contains("Next warning"), "{screen}");
}
