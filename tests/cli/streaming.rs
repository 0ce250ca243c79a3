//! Streams, not buffers, through the real binary: `list` (table and
//! `--json`) and `export` (CSV and JSON) write rows as they read them, so
//! their peak memory does not follow the record count (read from /proc
//! while they run, see tests/common/peak.rs); their output is
//! byte for byte the format scripts know (its keys: tests/contracts.rs); and the read is logged before the
//! first row: a read that cannot be logged prints nothing.

use crate::common;
use crate::common::Cq;

const NOW: &str = "2026-11-26T15:00:00Z";

/// A database of `n` records with 2 KB names: 20 MB of patient text at
/// 10,000, which a buffered listing holds several times over.
fn big(n: usize) -> Cq {
    Cq::with_records(NOW, n, 2000)
}

/// Runs `args` with stdout drained as it comes; returns (bytes written,
/// the child's peak resident set in MB).
fn peak_mb(cq: &Cq, args: &[&str]) -> (usize, f64) {
    let mut cmd = common::command();
    cmd.current_dir(cq.dir.path())
        .arg("--db")
        .arg(&cq.db)
        .args(["--as", "sup", "--now", NOW])
        .args(args);
    let run = common::peak::run(&mut cmd).expect("run carequeue");
    assert!(run.status.success(), "`{}` failed", args.join(" "));
    (run.bytes, run.kb as f64 / 1024.0)
}

#[test]
fn list_and_export_memory_does_not_follow_the_record_count() {
    let cq = big(10_000);
    for args in [
        &["list", "--json"][..],
        &["list"],
        &["export"],
        &["export", "--format", "json"],
    ] {
        let (bytes, mb) = peak_mb(&cq, args);
        eprintln!("{}: {mb:.1} MB peak for {bytes} bytes", args.join(" "));
        assert!(
            bytes > 20_000_000,
            "`{}` wrote {bytes} bytes",
            args.join(" ")
        );
        // A buffered listing holds every record, its JSON value and the
        // printed text at once: over 60 MB here, beside the 16 MiB page
        // cache every connection may fill.
        assert!(
            mb < 45.0,
            "`{}` peaked at {mb:.1} MB for {bytes} bytes of output",
            args.join(" ")
        );
    }
}

#[test]
fn list_json_is_the_pretty_array_scripts_know() {
    let cq = Cq::init_default(NOW);
    for name in ["Pat \"One\"", "Zoë\nTwo", "Three"] {
        cq.add("nobody", NOW, name, &[]);
    }
    for filter in [
        &[][..],
        &["--stage", "form_submitted"],
        &["--stage", "lost"],
        &["--limit", "2"],
    ] {
        let mut args = vec!["list", "--json"];
        args.extend_from_slice(filter);
        let out = cq.ok("nobody", NOW, &args);
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        let pretty = serde_json::to_string_pretty(&v).expect("pretty");
        assert_eq!(out, format!("{pretty}\n"), "{filter:?}");
    }
    assert_eq!(
        cq.ok("nobody", NOW, &["list", "--json", "--stage", "lost"]),
        "[]\n"
    );
}

#[test]
fn a_read_that_cannot_be_logged_prints_no_row() {
    let cq = Cq::init_default(NOW);
    cq.ok(
        "nobody",
        NOW,
        &["user", "add", "sup", "--role", "supervisor"],
    );
    cq.add("nobody", NOW, "Secret Patient", &[]);
    {
        let c = rusqlite::Connection::open(&cq.db).expect("open");
        c.execute_batch(
            "CREATE TRIGGER access_blocked BEFORE INSERT ON access_log
             BEGIN SELECT RAISE(ABORT, 'the access log is full'); END;",
        )
        .expect("trigger");
    }
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["export"],
        &["export", "--format", "json"],
    ] {
        let err = cq.fail("sup", NOW, args);
        assert!(err.contains("could not be logged"), "{args:?}: {err}");
    }
}
