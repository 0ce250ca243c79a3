//! `list --json` over every record, as a script runs it: the real binary,
//! its stdout drained as it comes, its wall time and peak resident set,
//! beside a bare query of the same rows in the same order.

use super::{Line, ms, time};
use carequeue::store::records::COLUMNS;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// (wall time, bytes written, peak resident set in kB) of `list --json`.
fn run_list(db: &Path, user: &str) -> Option<(Duration, usize, u64)> {
    let (out, took) = time(|| -> Option<(usize, u64)> {
        // Reaped below with wait4, which reports this child's own peak.
        #[allow(clippy::zombie_processes)]
        let mut child = Command::new(env!("CARGO_BIN_EXE_carequeue"))
            .arg("--db")
            .arg(db)
            .args([
                "--as",
                user,
                "--now",
                "2026-11-26T15:00:00Z",
                "list",
                "--json",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut stdout = child.stdout.take()?;
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            let mut total = 0usize;
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                total += n;
            }
            total
        });
        let pid = child.id() as libc::pid_t;
        let mut status = 0;
        // SAFETY: an all-zero rusage is valid; wait4 fills it for our child.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our unreaped child; the out-pointers are valid.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let bytes = reader.join().ok()?;
        (rc == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0)
            .then_some((bytes, usage.ru_maxrss as u64))
    });
    let (bytes, kb) = out?;
    Some((took, bytes, kb))
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
                "SELECT {COLUMNS} FROM records INDEXED BY records_urgency ORDER BY sort_due, id"
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
