//! Back and forward in the real binary: `:go` remembers where you were,
//! `<` puts back the view, the cursor and the (closed) pane, `>` goes to
//! the record again with its pane open.

use crate::pty::{cli, demo, open};
use crate::pty_trust::pane_id;
use std::time::Duration;

/// `┌ Intake · 3/80`: the queue's title, position and total.
fn queue(screen: &str) -> Option<(String, usize, usize)> {
    screen.lines().find_map(|l| {
        let rest = l.split("┌ ").nth(1)?;
        let mut parts = rest.split(" · ");
        let title = parts.next()?.to_string();
        let (a, b) = parts.next()?.split_once('/')?;
        let b = b.split(|c: char| !c.is_ascii_digit()).next()?;
        Some((title, a.trim().parse().ok()?, b.parse().ok()?))
    })
}

#[test]
fn back_and_forward_in_the_real_console() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path(), "200");
    let out = cli(
        &db,
        &["--as", "kim", "list", "--phase", "clinical", "--json"],
    );
    assert!(out.status.success());
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    let target = rows
        .first()
        .and_then(|r| r["id"].as_i64())
        .expect("a clinical record");

    let mut s = open(&db, "kim");
    s.wait(Duration::from_secs(10), "the console", |t| {
        t.contains("Breaches ·")
    });
    s.keys_then("1", "Intake", |t| {
        queue(t).is_some_and(|(title, at, _)| title == "Intake" && at == 1)
            && !t.contains("loading…")
            && !t.contains("reading…")
    });
    s.keys_then("j", "Intake, second row", |t| {
        queue(t).is_some_and(|(_, at, _)| at == 2)
    });
    let start = s.keys_then("j", "Intake, third row", |t| {
        queue(t).is_some_and(|(_, at, _)| at == 3)
    });
    let (_, _, total) = queue(&start).expect("the queue");
    s.keys_then(&format!(":go {target}\r"), "the record's pane", |t| {
        pane_id(t) == Some(target)
    });
    let back = s.keys_then("<", "back in Intake", |t| {
        // The status line is drawn last: a frame half written shows the
        // new title above the old status.
        queue(t).is_some_and(|(title, _, n)| title == "Intake" && n == total)
            && !t.contains("loading…")
            && !t.contains("reading…")
            && t.contains("back to Intake")
    });
    assert_eq!(
        queue(&back),
        Some(("Intake".to_string(), 3, total)),
        "the cursor back on the third row:\n{back}"
    );
    assert_eq!(pane_id(&back), None, "no pane was open there:\n{back}");
    assert!(back.contains("back to Intake"), "{back}");
    let forward = s.keys_then(">", "forward to the record", |t| pane_id(t) == Some(target));
    assert!(forward.contains(&format!("#{target}")), "{forward}");
    let (ok, _) = s.quit();
    assert!(ok);
}
