//! `list --json` over every record, as a script runs it: the real binary,
//! its stdout drained as it comes, its wall time and peak resident set,
//! beside a bare query of the same rows in the same order.

use super::{Line, ms, time};

/// Shared with the tests: the peak read from /proc while the child runs.
#[path = "../../tests/common/peak.rs"]
mod peak;
use carequeue::store::columns::read_list;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// (wall time, bytes written, peak resident set in kB) of `list --json`.
fn run_list(db: &Path, user: &str) -> Option<(Duration, usize, u64)> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_carequeue"));
    cmd.arg("--db").arg(db).args([
        "--as",
        user,
        "--now",
        "2026-11-26T15:00:00Z",
        "list",
        "--json",
    ]);
    let run = peak::run(&mut cmd).ok()?;
    run.status
        .success()
        .then_some((run.took, run.bytes, run.kb))
}

/// The same rows through a bare connection: every column read, in the
/// order `list` gives them.
fn bare_query(db: &Path) -> (usize, Duration) {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    time(|| {
        let mut st = conn
            .prepare(&format!(
                "SELECT {} FROM records INDEXED BY records_urgency ORDER BY sort_due, id",
                read_list()
            ))
            .expect("prepare");
        let width = st.column_count();
        let mut rows = st.query([]).expect("query");
        let mut n = 0;
        while let Some(row) = rows.next().expect("row") {
            for i in 0..width {
                let _: rusqlite::types::Value = row.get(i).expect("column");
            }
            n += 1;
        }
        n
    })
}

pub fn list_json(db: &Path, user: &str, out: &mut Vec<Line>) {
    let (rows, raw) = bare_query(db);
    match run_list(db, user) {
        Some((took, bytes, kb)) => out.push(Line {
            work: format!(
                "list --json, every record ({rows} rows, {:.0} MB out)",
                bytes as f64 / 1e6
            ),
            budget: "≤ 50 MB peak".into(),
            ours: format!("{:.1} MB peak, {}", kb as f64 / 1024.0, ms(took)),
            raw: format!("bare query of the same rows {}", ms(raw)),
        }),
        None => eprintln!("list --json: the binary did not run"),
    }
}
