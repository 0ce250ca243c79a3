//! Drill-downs from the Audit: Enter on a breach reason, an exit count or
//! a stage's NO OWNER count opens exactly the records the audit counted
//! there (the `reason:`, `exited:` and `noaction:` terms), in a view that
//! shows every stage they may be in; `<` comes back. A filter typed with
//! those terms before any audit waits for one, then applies.

use crate::harness as console;

use carequeue::app::views::ViewKind;
use console::{Console, demo_db};
use crossterm::event::KeyCode;

/// Opens the Audit view, computed; its index.
fn audit_view(c: &mut Console) -> usize {
    crate::audit::audit_view(c);
    c.app.view
}

/// Every id on the page (the whole result fits one page here).
fn page_ids(c: &Console) -> Vec<i64> {
    let mut ids: Vec<i64> = c.app.page.rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn enter_on_a_breach_reason_opens_exactly_those_records() {
    let (_d, db) = demo_db(400);
    let mut c = Console::open(&db, "kim", 120, 200);
    let audit = audit_view(&mut c);
    let r = c.app.audit.clone().expect("report");
    assert!(r.breaches_by_reason.len() >= 2, "the demo has breaches");
    // The second reason, to show the cursor moves.
    c.press('w');
    c.press('w');
    c.press('j');
    let reason = r.breaches_by_reason[1].reason.clone();
    c.code(KeyCode::Enter);
    assert_eq!(c.app.current().kind, ViewKind::Found);
    assert_eq!(c.app.filter, format!("reason:{reason}"));
    let want = r.drill.breached_for(&reason).to_vec();
    assert!(!want.is_empty());
    assert!(
        want.len() as u64 <= r.breaches_by_reason[1].count,
        "records, not stays"
    );
    assert_eq!(c.app.page.total, want.len());
    assert_eq!(page_ids(&c), want, "exactly the counted records");
    let said = c.app.status.clone().expect("status").text;
    assert!(said.contains("goes back to the Audit"), "{said}");
    c.press('<');
    assert_eq!(c.app.view, audit);
    assert_eq!(c.app.audit_nav.focus, 2, "on the same panel");
    assert_eq!(c.app.audit_nav.cursors[2], 1, "and row");
}

#[test]
fn enter_on_an_exit_count_opens_the_records_that_left_there() {
    let (_d, db) = demo_db(400);
    let mut c = Console::open(&db, "kim", 120, 200);
    audit_view(&mut c);
    let r = c.app.audit.clone().expect("report");
    let first = carequeue::app::audit_nav::exits_in_order(&r)
        .first()
        .map(|e| (*e).clone())
        .expect("the demo has exits before active care");
    for _ in 0..3 {
        c.press('w');
    }
    c.code(KeyCode::Enter);
    assert_eq!(c.app.current().kind, ViewKind::Found);
    assert_eq!(c.app.filter, format!("exited:{}", first.stage));
    let ix = c.app.pipeline.stage_ix(&first.stage).expect("stage").0;
    let want = r.drill.exits_from(ix).to_vec();
    assert_eq!(want.len() as u64, first.count, "one exit per record");
    assert_eq!(page_ids(&c), want);
    // They are all in terminal stages now.
    let p = c.app.pipeline.clone();
    assert!(
        c.app
            .page
            .rows
            .iter()
            .all(|x| { p.stage_ix(&x.stage).is_some_and(|s| p.stage(s).terminal) })
    );
}

#[test]
fn the_no_owner_column_opens_the_stage_records_nobody_acted_on() {
    let (_d, db) = demo_db(400);
    let mut c = Console::open(&db, "kim", 120, 200);
    audit_view(&mut c);
    let r = c.app.audit.clone().expect("report");
    let (row, st) = r
        .stages
        .iter()
        .enumerate()
        .find(|(_, s)| s.no_owner_action > 0 && s.no_owner_action < s.current)
        .map(|(i, s)| (i, s.clone()))
        .expect("a stage where some records have no owner action");
    for _ in 0..row {
        c.press('j');
    }
    c.press('l');
    assert_eq!(c.app.audit_nav.column, 1);
    let s = c.screen(120, 200);
    assert!(s.contains("NO OWNER"), "{s}");
    c.code(KeyCode::Enter);
    assert_eq!(c.app.filter, "noaction:yes");
    assert_eq!(c.app.active_stages(), vec![st.stage.clone()]);
    assert_eq!(c.app.page.total as u64, st.no_owner_action);
    assert!(c.app.page.rows.iter().all(|x| x.stage == st.stage));
    // `h` puts the cursor back on the stage: Enter opens all of it.
    c.press('<');
    c.press('h');
    c.code(KeyCode::Enter);
    assert_eq!(c.app.filter, "");
    assert_eq!(c.app.page.total as u64, st.current);
}

#[test]
fn a_typed_audit_term_waits_for_the_audit_then_applies() {
    let (_d, db) = demo_db(400);
    let mut c = Console::open(&db, "kim", 120, 200);
    assert!(c.app.audit.is_none(), "no audit yet");
    let breaches = c
        .app
        .views
        .iter()
        .position(|v| v.kind == ViewKind::Breaches)
        .expect("Breaches");
    c.press(char::from_digit(breaches as u32 + 1, 10).expect("digit"));
    c.press('/');
    c.typed("noaction:yes");
    c.code(KeyCode::Enter);
    let r = c.app.audit.clone().expect("the filter asked for the audit");
    let p = c.app.pipeline.clone();
    let view: Vec<String> = c.app.active_stages();
    // Past warn (the Breaches view) and with no owner action: the audit's
    // records, narrowed by the view's own terms.
    let want: Vec<i64> = view
        .iter()
        .filter_map(|s| p.stage_ix(s))
        .flat_map(|s| r.drill.no_owner_action_in(s.0).to_vec())
        .collect();
    assert!(c.app.page.total > 0);
    assert!(c.app.page.total <= want.len());
    assert!(c.app.page.rows.iter().all(|x| want.contains(&x.id)));
}

/// A name typed first and an audit term after it: the rows are the audit's
/// records with that name, never the name's alone (the letter-by-letter
/// name path leaves ids to the primary key).
#[test]
fn a_name_then_an_audit_term_keeps_to_the_audit_records() {
    let (_d, db) = demo_db(400);
    let mut c = Console::open(&db, "kim", 120, 200);
    audit_view(&mut c);
    let r = c.app.audit.clone().expect("report");
    let all: Vec<i64> = r.drill.no_owner_action.concat();
    let phase = c
        .app
        .views
        .iter()
        .position(|v| matches!(v.kind, ViewKind::Phase(_)))
        .expect("a phase view");
    c.press(char::from_digit(phase as u32 + 1, 10).expect("digit"));
    c.press('/');
    // A name word of three letters or more, typed letter by letter.
    let word: String = c.app.page.rows[0]
        .patient
        .split_whitespace()
        .last()
        .expect("a surname")
        .chars()
        .take(4)
        .collect();
    c.typed(&word);
    let by_name = c.app.page.total;
    c.typed(" noaction:yes");
    c.code(KeyCode::Enter);
    assert_eq!(c.app.filter, format!("{word} noaction:yes"));
    assert!(c.app.page.total <= by_name);
    assert!(
        c.app.page.rows.iter().all(|x| all.contains(&x.id)
            && x.patient.to_lowercase().contains(&word.to_lowercase())),
        "{:?}",
        c.app.page.rows
    );
}
