//! Clear errors, through the real binary: `--limit` beyond its range names
//! the flag and the range; `--mine` with no current user says so. (A
//! read-only folder: tests/read_only.rs; control characters in imported
//! names: tests/import_names.rs.)

use crate::common;
use crate::common::Cq;

const NOW: &str = "2026-11-26T15:00:00Z";

#[test]
fn limit_beyond_its_range_names_the_flag_and_the_range() {
    let cq = Cq::init_default(NOW);
    cq.add("nobody", NOW, "Pat One", &[]);
    for bad in ["100000001", "-1", "99999999999999999999999999"] {
        let arg = format!("--limit={bad}");
        for json in [false, true] {
            let mut args = vec!["list", arg.as_str()];
            if json {
                args.push("--json");
            }
            let err = cq.fail("nobody", NOW, &args);
            assert!(
                err.contains(&format!("--limit {bad} is out of range"))
                    && err.contains("from 0 to 100000000"),
                "{err}"
            );
        }
    }
    // The ends of the range are accepted.
    assert!(cq.list("nobody", NOW, &["--limit", "0"]).is_empty());
    assert_eq!(cq.list("nobody", NOW, &["--limit", "100000000"]).len(), 1);
    // Not a number at all is a usage error naming the flag.
    let err = cq.usage("nobody", NOW, &["list", "--limit", "ten"]);
    assert!(err.contains("--limit"), "{err}");
}

/// The binary on `db` without `--as`.
fn unnamed(dir: &std::path::Path, db: &std::path::Path, args: &[&str]) -> std::process::Output {
    common::command()
        .current_dir(dir)
        .arg("--db")
        .arg(db)
        .args(["--now", NOW])
        .args(args)
        .output()
        .expect("run")
}

#[test]
fn mine_with_no_current_user_is_refused() {
    // A demo: a trust-mode database whose users are linked to no OS
    // account. Read without --as, it has no current user for `--mine`.
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("demo.db");
    let out = unnamed(dir.path(), &db, &["demo", "--no-tui", "--records", "20"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = unnamed(dir.path(), &db, &["list", "--mine"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --mine needs a current user") && err.contains("--as"),
        "{err}"
    );
    // Without --mine the same read works (as the database's first admin).
    let out = unnamed(dir.path(), &db, &["list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
