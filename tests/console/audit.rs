//! The Audit view: every panel scrolls and says what it leaves out, the
//! medians are drawn against each stage's own SLA, wall time sits beside
//! working time, the marks judge stages against their SLA, the funnel is
//! named after the active-care phase, a failed audit says so and `r`
//! retries, and `r` answers on the status line in every view.

use crate::harness as console;

use carequeue::app::views::ViewKind;
use console::{Console, demo_db, demo_db_on};
use crossterm::event::KeyCode;

/// Presses the Audit view's number key.
pub(crate) fn open_audit(c: &mut Console) {
    let i = c
        .app
        .views
        .iter()
        .position(|v| v.kind == ViewKind::Audit)
        .expect("an Audit view");
    c.press(char::from_digit(i as u32 + 1, 10).expect("digit"));
    assert_eq!(c.app.current().kind, ViewKind::Audit);
}

pub(crate) fn audit_view(c: &mut Console) {
    open_audit(c);
    assert!(c.app.audit.is_some(), "computed on entry");
}

/// The rows of the panel whose title line contains `title`, below it.
fn panel_rows(screen: &str, title: &str, left: bool) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(at) = lines.iter().position(|l| l.contains(title)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for l in &lines[at + 1..] {
        // Side-by-side panels: `│left││right│`.
        let cells: Vec<&str> = l.split('│').filter(|s| !s.is_empty()).collect();
        let cell = if left { cells.first() } else { cells.last() };
        match cell {
            Some(c) if l.starts_with('│') => out.push(c.trim_end().to_string()),
            _ => break,
        }
        if !left && l.ends_with('┘') {
            break;
        }
    }
    out
}

#[test]
fn every_panel_scrolls_to_its_last_row_and_says_what_is_below() {
    let (_d, db) = demo_db(160);
    let mut c = Console::open(&db, "kim", 80, 24);
    audit_view(&mut c);
    let r = c.app.audit.clone().expect("report");
    let s = c.screen(80, 24);
    // The table: cut, it says how many stages are below, and scrolls to
    // the last one.
    let shown = c.app.audit_nav.rows[0];
    assert!(shown < r.stages.len());
    assert!(
        s.contains(&format!("+{} more", r.stages.len() - shown)),
        "{s}"
    );
    c.press('G');
    let s = c.screen(80, 24);
    let last = r.stages.last().expect("stages");
    assert!(
        panel_rows(&s, "Stage audit", true)
            .iter()
            .any(|l| l.contains(&last.name)),
        "{s}"
    );
    // The breach reasons: page through them all; the counts seen add up
    // to the total in the title.
    c.press('w');
    c.press('w');
    assert_eq!(c.app.audit_nav.focus, 2);
    let total: u64 = r.breaches_by_reason.iter().map(|x| x.count).sum();
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..r.breaches_by_reason.len() {
        let s = c.screen(80, 24);
        assert!(s.contains(&format!("▸ {total} breaches")), "{s}");
        for row in panel_rows(&s, &format!("{total} breaches"), false) {
            let words: Vec<&str> = row.split_whitespace().collect();
            if let Some(n) = words.iter().rev().find_map(|w| w.parse::<u64>().ok()) {
                let label = row.split("  ").next().unwrap_or("").trim().to_string();
                seen.insert(label, n);
            }
        }
        c.press('j');
    }
    assert_eq!(seen.len(), r.breaches_by_reason.len(), "{seen:?}");
    assert_eq!(seen.values().sum::<u64>(), total, "{seen:?}");
}

#[test]
fn medians_against_each_sla_wall_time_beside_working_time_and_the_marks() {
    let (_d, db) = demo_db(160);
    let mut c = Console::open(&db, "kim", 120, 40);
    audit_view(&mut c);
    let r = c.app.audit.clone().expect("report");
    let s = c.screen(120, 40);
    let longest = r
        .stages
        .iter()
        .filter(|s| !s.terminal)
        .filter_map(|s| s.median_seconds)
        .max()
        .expect("medians");
    let shortest = r
        .stages
        .iter()
        .filter(|s| !s.terminal)
        .filter_map(|s| s.median_seconds)
        .filter(|m| *m > 0)
        .min()
        .expect("medians");
    assert!(longest > 100 * shortest, "the demo has a long stage");
    // Every stage with a tenth of its SLA or more draws a bar of at least
    // a few cells, though one stage's median is 100 times another's.
    let rows = panel_rows(&s, "Median time in stage", true);
    let mut drawn = 0;
    for st in r.stages.iter().filter(|s| !s.terminal) {
        let Some(share) = st.median_of_sla.filter(|x| *x >= 0.1) else {
            continue;
        };
        let label: String = st.name.chars().take(15).collect();
        let Some(row) = rows.iter().find(|l| l.starts_with(&label)) else {
            continue;
        };
        let cells = row.matches('█').count();
        assert!(cells >= 3, "{} at {share:.2} of its SLA: {row}", st.name);
        assert!(row.contains(&format!("{:.0}%", share * 100.0)), "{row}");
        drawn += 1;
    }
    assert!(drawn >= 8, "bars checked: {drawn}\n{s}");
    // A stage that pauses: working time 0s, wall time beside it.
    let paused = r
        .stages
        .iter()
        .find(|s| s.median_seconds == Some(0) && s.median_wall_seconds.unwrap_or(0) > 0)
        .expect("a pausing stage");
    let row = panel_rows(&s, "Stage audit", true)
        .into_iter()
        .find(|l| l.contains(&paused.name.chars().take(20).collect::<String>()))
        .expect("its row");
    let wall = carequeue::domain::duration::Secs(paused.median_wall_seconds.unwrap_or(0)).compact();
    assert!(row.contains(&format!("0s      {wall}")), "{row}");
    // The ▲ row is the stage with the largest share of its SLA.
    let top = r
        .stages
        .iter()
        .filter(|s| s.median_of_sla.is_some())
        .max_by(|a, b| {
            a.median_of_sla
                .partial_cmp(&b.median_of_sla)
                .expect("numbers")
        })
        .expect("a stage with an SLA");
    let marked = panel_rows(&s, "Stage audit", true)
        .into_iter()
        .find(|l| l.starts_with('▲'))
        .expect("a ▲ row");
    assert!(marked.contains(&top.name), "{marked} is not {}", top.name);
    assert_ne!(
        Some(top.median_seconds),
        Some(Some(longest)),
        "the longest stage is not the slowest for its SLA here"
    );
}

#[test]
fn the_funnel_is_named_after_the_active_care_phase() {
    let text = carequeue::domain::DEFAULT_PIPELINE
        .replace("name = \"Active Care\"", "name = \"Ongoing Treatment\"");
    assert_ne!(text, carequeue::domain::DEFAULT_PIPELINE);
    let (_d, db, p) = demo_db_on(&text, 60);
    let mut c = Console::open_on(&db, p, "kim", 120, 40);
    audit_view(&mut c);
    let s = c.screen(120, 40);
    assert!(s.contains("Exits before Ongoing Treatment"), "{s}");
    assert!(!s.contains("Exits before Active Care"), "{s}");
}

#[test]
fn a_failed_audit_says_so_and_r_retries() {
    let (_d, db) = demo_db(60);
    let mut c = Console::open(&db, "kim", 120, 40);
    // The audit can read neither the stays nor the log.
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.execute_batch(
        "ALTER TABLE events RENAME TO events_away; ALTER TABLE stays RENAME TO stays_away",
    )
    .expect("rename");
    audit_view_failing(&mut c);
    let s = c.screen(120, 40);
    assert!(s.contains("The audit failed:"), "{s}");
    assert!(s.contains("Press r to try again."), "{s}");
    assert!(!s.contains("Computing"), "{s}");
    assert!(
        c.app
            .status
            .as_ref()
            .is_some_and(|st| st.error && st.text.contains("r retries"))
    );
    // Put it back; r computes it.
    conn.execute_batch(
        "ALTER TABLE events_away RENAME TO events; ALTER TABLE stays_away RENAME TO stays",
    )
    .expect("rename back");
    c.press('r');
    assert!(c.app.audit.is_some(), "recomputed");
    let s = c.screen(120, 40);
    assert!(s.contains("Stage audit"), "{s}");
    assert!(s.contains("audit computed:"), "{s}");
}

fn audit_view_failing(c: &mut Console) {
    open_audit(c);
    assert!(c.app.audit.is_none());
    assert!(!c.app.audit_computing, "no longer computing");
}

#[test]
fn r_answers_on_the_status_line_in_every_view() {
    let (_d, db) = demo_db(60);
    let mut c = Console::open(&db, "maria", 120, 40);
    c.press('r');
    let st = c.app.status.clone().expect("a status");
    assert!(
        st.text.starts_with("up to date at 10:00:00") && st.text.contains(" records"),
        "{st:?}"
    );
    assert!(c.screen(120, 40).contains("up to date at 10:00:00"));
    c.code(KeyCode::Tab);
    c.press('r');
    assert!(
        c.app
            .status
            .as_ref()
            .is_some_and(|s| s.text.starts_with("up to date"))
    );
    audit_view(&mut c);
    c.press('r');
    let st = c.app.status.clone().expect("a status");
    assert!(st.text.starts_with("audit computed:"), "{st:?}");
}

/// Enter on a row of the stage table opens the records in that stage now,
/// in the view that shows it; `<` comes back to the Audit on the same row.
#[test]
fn enter_on_a_stage_row_opens_its_records_and_back_returns() {
    let (_d, db) = demo_db(160);
    let mut c = Console::open(&db, "kim", 120, 40);
    audit_view(&mut c);
    let r = c.app.audit.clone().expect("report");
    let audit = c.app.view;
    // The third stage with records in it now.
    let (row, stage) = r
        .stages
        .iter()
        .enumerate()
        .filter(|(_, s)| s.current > 0)
        .nth(2)
        .map(|(i, s)| (i, s.clone()))
        .expect("a stage with records");
    for _ in 0..row {
        c.press('j');
    }
    assert_eq!(c.app.audit_nav.cursors[0], row);
    c.code(KeyCode::Enter);
    assert_ne!(c.app.view, audit, "a phase view");
    assert_eq!(c.app.active_stages(), vec![stage.stage.clone()]);
    assert_eq!(
        c.app.page.total as u64, stage.current,
        "exactly its records now"
    );
    assert!(c.app.page.rows.iter().all(|x| x.stage == stage.stage));
    let said = c.app.status.clone().expect("status").text;
    assert!(said.starts_with(&stage.name), "{said}");
    c.press('<');
    assert_eq!(c.app.view, audit, "back in the Audit");
    assert_eq!(c.app.audit_nav.cursors[0], row, "on the same row");
}
