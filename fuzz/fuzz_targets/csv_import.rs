//! `carequeue import FILE.csv` on arbitrary bytes: never panics, and is all
//! or nothing — either every row became a record or the database is exactly
//! as it was (same record count, same event-chain length).
//!
//! Drives the real binary's code path through `carequeue::cli::run`, so it
//! covers the CSV reader, field validation and the bulk insert.
#![no_main]

use carequeue::cli::args::Cli;
use clap::Parser;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn parse(args: &[&str]) -> Cli {
    Cli::parse_from(args)
}

struct Fixture {
    _dir: tempfile::TempDir,
    template: std::path::PathBuf,
}

const NOW: &str = "2026-03-02T14:00:00Z";

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let template = dir.path().join("template.db");
        let db = template.to_str().expect("utf-8 temp path").to_string();
        for args in [
            vec![
                "carequeue",
                "--db",
                &db,
                "--as",
                "nobody",
                "--now",
                NOW,
                "init",
            ],
            vec![
                "carequeue",
                "--db",
                &db,
                "--as",
                "nobody",
                "--now",
                NOW,
                "user",
                "add",
                "ann",
                "--role",
                "ops",
            ],
        ] {
            carequeue::cli::run(parse(&args)).expect("fixture setup");
        }
        Fixture {
            _dir: dir,
            template,
        }
    })
}

fn counts(db: &std::path::Path) -> (i64, i64) {
    let store = carequeue::store::Store::open(db).expect("open");
    let c = |sql: &str| -> i64 {
        store
            .conn()
            .query_row(sql, [], |r| r.get(0))
            .expect("count")
    };
    (
        c("SELECT count(*) FROM records"),
        c("SELECT count(*) FROM events"),
    )
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let work = tempfile::tempdir().expect("temp dir");
    let db = work.path().join("care.db");
    std::fs::copy(&f.template, &db).expect("copy template");
    let csv = work.path().join("in.csv");
    std::fs::write(&csv, data).expect("write csv");
    let before = counts(&db);
    let dbs = db.to_str().expect("utf-8");
    let csvs = csv.to_str().expect("utf-8");
    let cli: Cli = parse(&[
        "carequeue",
        "--db",
        dbs,
        "--as",
        "ann",
        "--now",
        NOW,
        "import",
        csvs,
    ]);
    let ok = carequeue::cli::run(cli).is_ok();
    let after = counts(&db);
    if !ok {
        assert_eq!(before, after, "a failed import must change nothing");
    } else {
        // Every imported record comes with exactly its create event.
        assert_eq!(after.0 - before.0, after.1 - before.1);
    }
});
