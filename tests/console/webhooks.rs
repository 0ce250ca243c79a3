//! A webhook target that keeps failing (a dead message, or a message
//! failing for a quarter of an hour) is named in the header, to
//! supervisors and admins only; one failing for minutes is not yet.

use crate::harness::{Console, demo_db, now};

/// Delivery state as a deliverer would have left it: `ehr` with a dead
/// message, `chat` failing for 20 minutes, `crm` for 5.
fn failing_targets(db: &std::path::Path) {
    let c = rusqlite::Connection::open(db).expect("open");
    let (seq, record): (i64, i64) = c
        .query_row(
            "SELECT id, record_id FROM events WHERE record_id IS NOT NULL ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("an event of a record");
    let t = now().timestamp();
    for (target, status, first) in [
        ("ehr", "dead", t - 3 * 86_400),
        ("chat", "pending", t - 20 * 60),
        ("crm", "pending", t - 5 * 60),
    ] {
        c.execute(
            "INSERT INTO deliveries (target, seq, record_id, kind, status, attempts, next_at,
                                     first_failed_at, last_error)
             VALUES (?1, ?2, ?3, 'create', ?4, 3, ?5, ?6, 'HTTP 500')",
            rusqlite::params![target, seq, record, status, t + 60, first],
        )
        .expect("insert");
    }
}

#[test]
fn a_failing_target_is_shown_to_supervisors_and_admins() {
    let (_d, db) = demo_db(120);
    failing_targets(&db);
    let mut kim = Console::open(&db, "kim", 120, 36);
    assert_eq!(
        kim.app.webhook_trouble,
        ["chat", "ehr"],
        "crm failed minutes ago"
    );
    let screen = kim.screen(120, 36);
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("⚠ webhooks failing: chat, ehr"), "{header}");
    insta::assert_snapshot!("webhooks_failing_120x36", screen);
    // Narrow: a word still says it, and the counts stay whole.
    let narrow = kim.screen(80, 24);
    let header = narrow.lines().next().unwrap_or_default();
    assert!(header.contains("⚠ webhooks"), "{header}");
    // Not a supervisor: not shown.
    let mut maria = Console::open(&db, "maria", 120, 36);
    assert!(maria.app.webhook_trouble.is_empty());
    let screen = maria.screen(120, 36);
    assert!(!screen.contains("webhooks"), "{screen}");
}
