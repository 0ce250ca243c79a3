//! The Audit view's trend page (`t`): twelve weeks of the demo as stacked
//! phase bars, a breach-rate sparkline per stage and the cycle-time control
//! chart; its numbers are the `trend` report's, and `t` goes back.

use crate::harness as console;

use carequeue::app::views::ViewKind;
use console::{Console, demo_db};

fn to_audit(c: &mut Console) {
    let i = c
        .app
        .views
        .iter()
        .position(|v| v.kind == ViewKind::Audit)
        .expect("an Audit view");
    c.press(char::from_digit(i as u32 + 1, 10).expect("digit"));
}

#[test]
fn t_shows_the_trends_and_t_goes_back() {
    let (_d, db) = demo_db(160);
    let mut c = Console::open(&db, "kim", 120, 40);
    to_audit(&mut c);
    c.press('t');
    let t = c
        .app
        .trend
        .clone()
        .expect("the trend, computed on first sight");
    assert_eq!(t.by, "week");
    assert_eq!(t.buckets.len(), 13, "twelve weeks back and this one");
    // Every record is in some phase at the last week's end.
    let last: u64 = t.buckets.last().map_or(0, |b| b.flow.values().sum());
    assert_eq!(last, 160);
    let s = c.screen(120, 40);
    assert!(
        s.contains("Records in each phase at each week's end"),
        "{s}"
    );
    assert!(s.contains("Breach rate by stage"), "{s}");
    assert!(s.contains("Cycle time to care · mean"), "{s}");
    for (w, h) in [(120, 40), (80, 24)] {
        insta::assert_snapshot!(format!("trends_{w}x{h}"), c.screen(w, h));
    }
    c.press('t');
    assert!(!c.app.audit_nav.trends);
    assert!(c.screen(120, 40).contains("Stage audit"));
}
