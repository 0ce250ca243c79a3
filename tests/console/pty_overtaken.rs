//! Issue 26, fault 3, through the real binary: someone else changes a
//! record from the command line while the console user acts on it. A move
//! popup says so before Enter, and Enter refuses naming who and how and
//! writes nothing; `c` on a record claimed meanwhile refuses the same way,
//! and the refusal is in the access log.

use crate::pty::{cli, demo, open, row_of, status};
use std::path::Path;
use std::time::Duration;

fn json(db: &Path, args: &[&str]) -> serde_json::Value {
    let out = cli(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// The record's history as (actor, kind) pairs, oldest first.
fn history(db: &Path, id: &str) -> Vec<(String, String)> {
    let v = json(db, &["--as", "kim", "show", id, "--json"]);
    v["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or("").to_string(),
                e["kind"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn record(db: &Path, id: &str) -> serde_json::Value {
    json(db, &["--as", "kim", "show", id, "--json"])
}

/// `:go ID`, waiting until the record's own row is on screen and read (the
/// title and status change first; the rows under them come after).
fn go(s: &mut crate::common::screen::Screen, db: &Path, id: i64) {
    let patient = record(db, &id.to_string())["patient"]
        .as_str()
        .expect("patient")
        .to_string();
    s.keys_then(&format!(":go {id}\r"), &format!("#{id} opened"), |t| {
        t.contains(&format!("record {id}: filter"))
            && t.contains(&format!("· 1/1 · filter \"{id}\""))
            && row_of(t, id, &patient).is_some()
            && !t.contains("loading…")
            && !t.contains("reading…")
    });
}

#[test]
fn a_move_popup_overtaken_by_the_command_line_says_so_and_enter_refuses() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path(), "120");
    // The premise: maria holds #74.
    assert_eq!(record(&db, "74")["owner"], "maria");
    let mut s = open(&db, "maria");
    s.wait(Duration::from_secs(10), "the first view", |t| {
        t.contains("1/")
    });

    // 1. A move popup open on #74 while kim hands it to dev.
    go(&mut s, &db, 74);
    s.keys_then("m", "the move picker", |t| t.contains("Move #74"));
    let before = history(&db, "74");
    let out = cli(&db, &["--as", "kim", "assign", "74", "dev"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let warned = s.wait_screen(Duration::from_secs(5), "the popup saying so", |t| {
        t.contains("#74 was reassigned to dev by kim at") && t.contains("Enter does nothing now")
    });
    assert!(warned.contains("Move #74"), "still the popup:\n{warned}");
    let refused = s.keys_then("\r", "Enter refused", |t| {
        status(t).is_some_and(|l| l.contains("nothing was done"))
    });
    let line = status(&refused).expect("status");
    assert!(line.starts_with(" ✖ "), "a refusal: {line}");
    assert!(
        line.contains("#74 was reassigned to dev by kim at "),
        "{line}"
    );
    assert!(
        !refused.contains("Move #74"),
        "the popup closed:\n{refused}"
    );
    let after = history(&db, "74");
    assert_eq!(
        after.len(),
        before.len() + 1,
        "only kim's assign: {after:?}"
    );
    assert_eq!(after.last(), Some(&("kim".into(), "assign".into())));

    let (ok, _) = s.quit();
    assert!(ok, "q exits 0");
}

/// `c` on a record someone claimed from the command line meanwhile.
#[test]
fn a_claim_overtaken_by_the_command_line_refuses_naming_who_and_how() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path(), "120");
    assert!(record(&db, "3")["owner"].is_null());
    let mut s = open(&db, "maria");
    s.wait(Duration::from_secs(10), "the first view", |t| {
        t.contains("1/")
    });
    // 2. `c` on #3 just after dev claimed it from the command line: the
    // console may or may not have re-read by then; either way, a refusal
    // naming who and how, nothing written, and an access entry.
    go(&mut s, &db, 3);
    let out = cli(&db, &["--as", "dev", "claim", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refused = s.keys_then("c", "the claim refused", |t| {
        status(t).is_some_and(|l| l.contains("nothing was done"))
    });
    let line = status(&refused).expect("status");
    assert!(line.starts_with(" ✖ "), "a refusal: {line}");
    assert!(line.contains("#3 was claimed by dev at "), "{line}");
    let (ok, _) = s.quit();
    assert!(ok, "q exits 0");
    assert_eq!(record(&db, "3")["owner"], "dev", "dev's claim stands");
    assert_eq!(
        history(&db, "3").last(),
        Some(&("dev".into(), "claim".into())),
        "maria wrote nothing"
    );
    let log = json(
        &db,
        &[
            "--as",
            "kim",
            "access-log",
            "--user",
            "maria",
            "--record",
            "3",
            "--json",
        ],
    );
    let refusal = log
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["action"] == "change")
        .unwrap_or_else(|| panic!("no access entry for the refused claim: {log}"));
    assert!(
        refusal["detail"]
            .as_str()
            .is_some_and(|d| d.contains("refused claim")),
        "{refusal}"
    );
}

/// Both in one session: after a refused popup on #74, `:go 3` and `c` on
/// #3 (claimed from the command line meanwhile) act on #3, never on #74.
#[test]
fn after_a_refused_popup_the_next_action_is_on_the_record_shown() {
    let dir = tempfile::tempdir().expect("dir");
    let db = demo(dir.path(), "120");
    let mut s = open(&db, "maria");
    s.wait(Duration::from_secs(10), "the first view", |t| {
        t.contains("1/")
    });
    go(&mut s, &db, 74);
    s.keys_then("m", "the move picker", |t| t.contains("Move #74"));
    let out = cli(&db, &["--as", "kim", "assign", "74", "dev"]);
    assert!(out.status.success());
    s.wait_screen(Duration::from_secs(5), "the popup saying so", |t| {
        t.contains("Enter does nothing now")
    });
    s.keys_then("\r", "Enter refused", |t| {
        status(t).is_some_and(|l| l.contains("nothing was done"))
    });
    // The row of #3 itself in the table, not the title alone: until its
    // page comes, the rows under the new title are #74's.
    go(&mut s, &db, 3);
    let out = cli(&db, &["--as", "dev", "claim", "3"]);
    assert!(out.status.success());
    let refused = s.keys_then("c", "the claim refused", |t| {
        status(t).is_some_and(|l| l.contains("nothing was done") && l.contains("#3"))
            || status(t).is_some_and(|l| l.contains("74"))
    });
    let line = status(&refused).expect("status");
    assert!(!line.contains("74"), "acted on #74:\n{refused}");
    assert!(line.contains("#3 was claimed by dev at "), "{line}");
    let (ok, _) = s.quit();
    assert!(ok);
}
