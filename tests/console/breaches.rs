//! The Breaches view: groups worst first that scroll, follow the selected
//! stage and record, and show one group's records on Enter; the records'
//! visible rows and the cursor agree; `(role)` and `-` each mean one thing.

use crate::harness as console;

use carequeue::app::groups::time_over;
use carequeue::app::views::ViewKind;
use carequeue::engine::sla::{self, SlaState};
use console::{Console, demo_db};
use crossterm::event::KeyCode;

/// The records table's rows on screen: the first cell of each line below
/// the records' heading (the ` ID` column), as ids.
fn record_ids(screen: &str) -> Vec<i64> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in screen.lines() {
        if line.starts_with("│ ID ") {
            inside = true;
            continue;
        }
        if inside {
            let Some(cell) = line.strip_prefix('│') else {
                break;
            };
            match cell.trim_start_matches([' ', '✓']).split(' ').next() {
                Some(id) if !id.is_empty() => match id.parse() {
                    Ok(n) => out.push(n),
                    Err(_) => break,
                },
                _ => break,
            }
        }
    }
    out
}

/// The groups' rows on screen: (gutter, stage, owner) of each.
fn group_rows(screen: &str) -> Vec<(char, String, String)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in screen.lines() {
        if line.contains(" STAGE ") && line.contains(" WORST") {
            inside = true;
            continue;
        }
        if inside {
            let chars: Vec<char> = line.chars().collect();
            if chars.first() != Some(&'│') || chars.len() < 45 {
                break;
            }
            let stage: String = chars[3..29].iter().collect();
            let owner: String = chars[30..44].iter().collect();
            out.push((chars[1], stage.trim().to_string(), owner.trim().to_string()));
        }
    }
    out
}

fn breaches(n: usize, w: u16, h: u16) -> (tempfile::TempDir, std::path::PathBuf, Console) {
    let (dir, db) = demo_db(n);
    let c = Console::open(&db, "kim", w, h);
    assert_eq!(c.app.current().kind, ViewKind::Breaches);
    (dir, db, c)
}

#[test]
fn groups_come_worst_first() {
    let (_d, db, c) = breaches(300, 120, 40);
    let p = console::pipeline();
    let now = console::now();
    let overs: Vec<Option<i64>> = c.app.groups.iter().map(|g| time_over(&p, g, now)).collect();
    assert!(overs.len() >= 10, "groups: {}", overs.len());
    assert!(overs[0].is_some(), "a breached group first");
    for (i, pair) in overs.windows(2).enumerate() {
        match (pair[0], pair[1]) {
            (Some(a), Some(b)) => assert!(a >= b, "group {i} over {a} before {b}"),
            (None, Some(_)) => panic!("group {i}: an at-risk-only group before a breached one"),
            _ => {}
        }
    }
    // The worst group's time over is the largest any breached record shows.
    let store = carequeue::store::Store::open(&db).expect("open");
    let worst = store
        .list(&Default::default(), now.timestamp())
        .expect("list")
        .iter()
        .map(|r| sla::view(&p, r, now))
        .filter(|v| v.state == SlaState::Breached)
        .filter_map(|v| v.seconds_left.map(|l| -l))
        .max();
    assert_eq!(overs[0], worst);
}

#[test]
fn the_cursor_stays_on_screen_for_every_row_and_page() {
    for (w, h) in [(120u16, 40u16), (80, 24)] {
        let (_d, _db, mut c) = breaches(300, w, h);
        let total = c.app.page.total;
        assert!(
            total > 2 * c.app.height,
            "{w}x{h}: more than two pages: {total}"
        );
        // Row by row down, then page by page up and down: the selected
        // record is always one of the rows drawn, and every row drawn is
        // the one the app counts as visible.
        let mut seen = std::collections::BTreeSet::new();
        let mut keys = vec![KeyCode::Down; total + 2];
        keys.extend([KeyCode::PageUp; 6]);
        keys.extend([KeyCode::PageDown; 6]);
        keys.push(KeyCode::Home);
        keys.extend([KeyCode::PageDown; 3]);
        for k in keys {
            c.code(k);
            let s = c.screen(w, h);
            let ids = record_ids(&s);
            let sel = c.app.selected_record().expect("a record selected").id;
            assert!(
                ids.contains(&sel),
                "{w}x{h}: #{sel} selected but not drawn:\n{s}"
            );
            assert_eq!(
                ids.len(),
                c.app.height.min(total - c.app.top),
                "{w}x{h}: rows drawn:\n{s}"
            );
            seen.insert(sel);
        }
        assert_eq!(seen.len(), total, "{w}x{h}: every record reached");
    }
}

#[test]
fn enter_on_a_group_shows_its_records_and_the_groups_scroll() {
    let (_d, _db, mut c) = breaches(300, 120, 40);
    let n = c.app.groups.len();
    let s = c.screen(120, 40);
    let shown = group_rows(&s).len();
    assert!(n > shown, "more groups ({n}) than fit ({shown})");
    assert!(
        s.contains(&format!("1–{shown} of {n} · +{} more", n - shown)),
        "{s}"
    );
    // The keys go to the groups; G goes to the last one, which scrolls
    // into view under the cursor.
    c.press('w');
    assert!(c.app.group_nav.focus);
    c.press('G');
    let s = c.screen(120, 40);
    let rows = group_rows(&s);
    let last = &c.app.groups[n - 1];
    let stage = carequeue::present::stage_name(&console::pipeline(), &last.stage);
    assert_eq!(
        rows.last().map(|r| (r.0, r.1.as_str())),
        Some(('▸', stage.as_str())),
        "{s}"
    );
    assert!(s.contains(&format!("{}–{n} of {n}", n - shown + 1)), "{s}");
    // Up a few and Enter: the list holds exactly that group's records.
    for _ in 0..3 {
        c.press('k');
    }
    let g = c.app.groups[c.app.group_nav.sel].clone();
    c.code(KeyCode::Enter);
    assert!(!c.app.group_nav.focus, "the keys are back on the records");
    assert_eq!(c.app.active_stages(), vec![g.stage.clone()]);
    assert_eq!(c.app.page.total as i64, g.breached + g.at_risk, "{g:?}");
    assert!(
        c.app
            .page
            .rows
            .iter()
            .all(|r| r.stage == g.stage && r.assignee == g.owner),
        "only the group's records"
    );
    let s = c.screen(120, 40);
    let want = match &g.owner {
        Some(u) => format!("owner:{u}"),
        None => "owner:none".into(),
    };
    assert!(s.contains(&want), "the filter is named:\n{s}");
    // Esc clears it: every breached and at-risk record again.
    c.code(KeyCode::Esc);
    assert!(c.app.filter.is_empty());
}

#[test]
fn the_groups_follow_the_selected_stage_and_record() {
    let (_d, _db, mut c) = breaches(300, 120, 40);
    let p = console::pipeline();
    // With the keys on the records, `›` marks the selected record's group.
    for _ in 0..8 {
        c.press('j');
        let s = c.screen(120, 40);
        let r = c.app.selected_record().expect("selected").clone();
        let followed: Vec<_> = group_rows(&s).into_iter().filter(|g| g.0 == '›').collect();
        assert_eq!(followed.len(), 1, "{s}");
        assert_eq!(followed[0].1, carequeue::present::stage_name(&p, &r.stage));
        assert_eq!(followed[0].2, carequeue::present::owner_label(&p, &r));
    }
    // A stage chosen on the board: the groups' cursor goes to that stage's
    // worst group, on screen, even when it was scrolled out.
    c.press('w');
    let stages = c.app.current().stages.len();
    let mut checked = 0;
    for _ in 0..stages {
        c.press('l');
        let st = c.app.active_stages();
        let Some(first) = c.app.groups.iter().position(|g| g.stage == st[0]) else {
            continue;
        };
        assert_eq!(c.app.group_nav.sel, first);
        let s = c.screen(120, 40);
        let cursor: Vec<_> = group_rows(&s).into_iter().filter(|g| g.0 == '▸').collect();
        assert_eq!(cursor.len(), 1, "{s}");
        assert_eq!(
            cursor[0].1,
            carequeue::present::stage_name(&p, &st[0]),
            "{s}"
        );
        checked += 1;
    }
    assert!(checked >= 5, "stages with groups: {checked}");
}

#[test]
fn an_unheld_record_reads_the_same_in_groups_and_rows() {
    let (_d, _db, mut c) = breaches(300, 200, 50);
    let p = console::pipeline();
    let s = c.screen(200, 50);
    assert!(!s.contains("(unassigned)"), "{s}");
    let mut unheld = 0;
    for g in c.app.groups.iter().filter(|g| g.owner.is_none()) {
        let st = p.stage(p.stage_ix(&g.stage).expect("stage"));
        let role = st
            .owner
            .map(|o| p.role(o).name.clone())
            .expect("an owned stage");
        assert_eq!(
            carequeue::present::group_owner_label(&p, &g.stage, None),
            format!("({role})")
        );
        unheld += 1;
    }
    assert!(unheld >= 2, "unassigned groups: {unheld}");
    for (_, _, owner) in group_rows(&s) {
        assert!(
            owner != "-" && !owner.is_empty(),
            "a breach group in an owned stage: {owner}"
        );
    }
}
