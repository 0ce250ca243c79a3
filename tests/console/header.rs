//! The header's numbers: every count shown whole, and the last thing a
//! narrow header gives up; the tabs at 80 columns name the active view.

use crate::harness as console;

use console::{Console, demo_db};

/// The header's totals as the counts give them: active, at risk, breached.
fn totals(c: &Console) -> (i64, i64, i64) {
    let p = &c.app.pipeline;
    let open = c
        .app
        .counts
        .iter()
        .filter(|s| p.stage_ix(&s.stage).is_some_and(|i| !p.stage(i).terminal))
        .map(|s| s.total)
        .sum();
    let risk = c.app.counts.iter().map(|s| s.at_risk).sum();
    let breached = c.app.counts.iter().map(|s| s.breached).sum();
    (open, risk, breached)
}

/// Whether `line` shows `text` as a whole word: no digit cut off after it.
fn whole(line: &str, text: &str) -> bool {
    line.match_indices(text).any(|(i, _)| {
        !line[i + text.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '…')
    })
}

fn assert_counts_whole(c: &mut Console, w: u16, h: u16) -> String {
    let (open, risk, breached) = totals(c);
    assert!(breached >= 10 && risk >= 10, "premise: two-digit counts");
    let screen = c.screen(w, h);
    let header = screen.lines().next().unwrap_or_default().to_string();
    assert!(header.chars().count() <= w as usize, "{header}");
    for want in [
        format!("{open}"),
        format!("▲ {risk}"),
        format!("✖ {breached}"),
    ] {
        assert!(
            whole(&header, &want),
            "{w}x{h}: no whole `{want}` in\n{header}"
        );
    }
    header
}

const WHAT_IF: &str =
    "what-if: pipeline next-quarter.toml (not the database's; nothing is written)";

#[test]
fn the_counts_are_whole_at_120_100_and_80_columns() {
    let (_d, db) = demo_db(400);
    let mut c = Console::open(&db, "kim", 120, 36);
    c.app.mode_label = Some("trust mode".into());
    for (w, h) in [(120, 36), (100, 30), (80, 24)] {
        let header = assert_counts_whole(&mut c, w, h);
        assert!(header.contains("trust mode"), "{w}: {header}");
        assert!(header.contains("kim"), "{w}: {header}");
    }
    // A long what-if label and a lost connection give way before a count.
    c.app.mode_label = Some(WHAT_IF.into());
    c.app.link_lost = Some("connection refused".into());
    for (w, h) in [(120, 36), (100, 30), (80, 24)] {
        let header = assert_counts_whole(&mut c, w, h);
        assert!(header.contains("what-if"), "{w}: {header}");
        assert!(header.contains("reconnecting"), "{w}: {header}");
    }
    // The word `active` comes back where there is room.
    c.app.mode_label = None;
    c.app.link_lost = None;
    let header = assert_counts_whole(&mut c, 120, 36);
    assert!(header.contains("active "), "{header}");
}

fn seven_phases() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seven_phases.toml"
    ))
    .expect("fixture")
}

/// At 80x24 no tab is cut to `In…`: the active one is named in full and
/// the others show their keys; every view has a key or its name.
#[test]
fn the_tabs_at_80_columns_name_the_active_view() {
    let (_d, db) = demo_db(120);
    let (_d7, db7, p7) = console::demo_db_on(&seven_phases(), 120);
    let mut consoles = [
        Console::open(&db, "kim", 80, 24),
        Console::open_on(&db7, p7, "kim", 80, 24),
    ];
    for c in &mut consoles {
        for i in 0..c.app.views.len() {
            c.app.view = i;
            let screen = c.screen(80, 24);
            let tabs = screen.lines().nth(1).unwrap_or_default();
            let title = c.app.views[i].title.clone();
            assert!(!tabs.contains('…'), "a cut name: {tabs}");
            assert!(tabs.contains(&title), "view {title} not named: {tabs}");
            for j in 0..c.app.views.len() {
                let key = carequeue::ui::view_key(&c.app, j)
                    .unwrap_or_else(|| panic!("view {} has no key", c.app.views[j].title));
                assert!(
                    tabs.split_whitespace().any(|w| w == key),
                    "no key {key} in {tabs}"
                );
            }
        }
    }
}

/// Seven phases make eleven views: `-` opens the eleventh (Audit), and
/// help says which key opens each view past the ninth.
#[test]
fn every_view_of_seven_phases_has_a_key_and_help_names_it() {
    let (_d7, db7, p7) = console::demo_db_on(&seven_phases(), 60);
    let mut c = Console::open_on(&db7, p7, "kim", 120, 40);
    assert_eq!(c.app.views.len(), 11);
    c.press('-');
    assert_eq!(c.app.current().title, "Audit");
    c.press('0');
    assert_eq!(c.app.view, 9);
    c.press('?');
    let help = c.screen(120, 40);
    let row = |key: &str, what: &str| {
        help.lines()
            .any(|l| l.contains(&format!("  {key} ")) && l.contains(what))
    };
    assert!(row("0", "view 10: Breaches"), "{help}");
    assert!(row("-", "view 11: Audit"), "{help}");
    assert!(help.contains("views 1 to 11"), "{help}");
}
