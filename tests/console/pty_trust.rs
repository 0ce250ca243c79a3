//! The real binary in a pseudo-terminal, for what a clinician must be able
//! to trust: the detail pane keeps its patient, a stale action ends in a
//! refusal that names who changed the record, and nothing of a patient is
//! left on the terminal after the console ends, whatever its size was.

use crate::pty::{cli, demo, open, open_sized};
use std::time::Duration;

/// The record whose pane is open: the id in the pane's title (`┌ #358 `).
pub(crate) fn pane_id(screen: &str) -> Option<i64> {
    screen.lines().find_map(|l| {
        let rest = l.split("┌ #").nth(1)?;
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    })
}

/// `Intake · 7/80`: the queue's position and total.
fn position(screen: &str) -> Option<(usize, usize)> {
    screen.lines().find_map(|l| {
        let rest = l.split(" · ").nth(1)?;
        let (a, b) = rest.split_once('/')?;
        let b = b.split(|c: char| !c.is_ascii_digit()).next()?;
        Some((a.trim().parse().ok()?, b.parse().ok()?))
    })
}

/// Records of one phase, most urgent first, as `list --json` gives them.
fn listed(db: &std::path::Path, phase: &str) -> Vec<serde_json::Value> {
    let out = cli(db, &["--as", "kim", "list", "--phase", phase, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Fault 1: a pane opened by `:go` stays on its patient when the filter is
/// cleared under it: the cursor is put back on it, and no other patient's
/// pane is ever drawn. Esc then closes the pane; the cursor stays.
#[test]
fn the_detail_pane_keeps_its_patient_when_the_filter_is_cleared() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path(), "400");
    // The least urgent intake record: far from the top once the filter is
    // gone, so a pane that followed the cursor would show someone else.
    let rows = listed(&db, "intake");
    assert!(rows.len() > 5, "a few intake records: {}", rows.len());
    let last = rows.last().expect("a record");
    let id = last["id"].as_i64().expect("id");
    let patient = last["patient"].as_str().expect("patient").to_string();

    let mut s = open(&db, "kim");
    s.wait(Duration::from_secs(10), "the console", |t| {
        t.contains("Breaches ·")
    });
    s.keys_then(&format!(":go {id}\r"), "the record's pane", |t| {
        pane_id(t) == Some(id) && t.contains(&patient) && position(t) == Some((1, 1))
    });
    s.keys_then("/", "the filter prompt", |t| t.contains("Filter:"));
    let cleared = s.keys_then("\x1b", "the filter cleared", |t| {
        !t.contains("loading…")
            && !t.contains("reading…")
            && position(t).is_some_and(|(_, n)| n > 1)
    });
    assert_eq!(
        pane_id(&cleared),
        Some(id),
        "the pane stays on #{id}:\n{cleared}"
    );
    let (at, total) = position(&cleared).expect("the position");
    assert!(
        at > 1 && at <= total,
        "the cursor is back on #{id}, not at the top:\n{cleared}"
    );
    let closed = s.keys_then("\x1b", "the pane closed", |t| pane_id(t).is_none());
    assert_eq!(
        position(&closed),
        Some((at, total)),
        "Esc closed the pane and left the cursor where it was:\n{closed}"
    );
    let (ok, _) = s.quit();
    assert!(ok);
}

/// The names of every patient in the demo, to look for on the screen the
/// console left behind.
fn patients(db: &std::path::Path) -> Vec<String> {
    let out = cli(db, &["--as", "kim", "list", "--json"]);
    assert!(out.status.success());
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    rows.iter()
        .filter_map(|r| r["patient"].as_str().map(str::to_string))
        .collect()
}

/// Fault 4: started at 80x24, resized to 100x30 with patients on screen,
/// then quit: the terminal is back on its own screen and no patient's
/// name is left on it.
#[test]
fn nothing_of_a_patient_is_left_after_a_resize_and_quit() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path(), "60");
    let names = patients(&db);
    let mut s = open_sized(&db, "kim", 80, 24);
    let first = s.wait_screen(Duration::from_secs(10), "patients on screen", |t| {
        names.iter().any(|n| t.contains(n.as_str()))
    });
    assert!(first.contains("Breaches"), "{first}");
    s.resize(100, 30);
    // The premise: the console redrew at the new size, patients and all.
    s.wait(Duration::from_secs(10), "the redraw at 100x30", |t| {
        t.lines().any(|l| l.chars().count() > 80) && names.iter().any(|n| t.contains(n.as_str()))
    });
    s.keys("q");
    let end = s.ended();
    assert!(end.ok, "q exits 0");
    for (what, screen) in [
        ("the terminal", &end.left),
        ("a terminal without an alternate screen", &end.plain),
    ] {
        let shown: Vec<&String> = names
            .iter()
            .filter(|n| screen.contains(n.as_str()))
            .collect();
        assert!(
            shown.is_empty(),
            "patients left on {what}: {shown:?}\n{screen}"
        );
    }
}

/// A console ended by a signal (a closed session, `kill`) also leaves
/// nothing of a patient on the terminal.
#[test]
fn nothing_of_a_patient_is_left_after_a_terminating_signal() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path(), "60");
    let names = patients(&db);
    let s = open_sized(&db, "kim", 80, 24);
    s.wait(Duration::from_secs(10), "patients on screen", |t| {
        names.iter().any(|n| t.contains(n.as_str()))
    });
    let pid = s.pid().expect("the console's pid") as i32;
    // SAFETY: a plain kill(2) of the child this test started.
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(sent, 0, "SIGTERM sent");
    let end = s.ended();
    let raw = String::from_utf8_lossy(&end.raw);
    assert!(
        raw.rfind("\x1b[?1049l").is_some(),
        "the alternate screen was left"
    );
    for (what, screen) in [
        ("the terminal", &end.left),
        ("a terminal without an alternate screen", &end.plain),
    ] {
        let shown: Vec<&String> = names
            .iter()
            .filter(|n| screen.contains(n.as_str()))
            .collect();
        assert!(
            shown.is_empty(),
            "patients left on {what}: {shown:?}\n{screen}"
        );
    }
}
