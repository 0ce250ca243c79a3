//! Where `carequeue migrate`'s time goes, seen from the server: its session
//! (application_name `carequeue`) in `pg_stat_activity`, sampled every
//! 50 ms while it runs. Before it connects it opens and verifies the
//! SQLite source; then it copies in (`COPY … FROM STDIN`), reads the copy
//! back for its verify (`COPY … TO STDOUT`), verifies that in memory and
//! commits, and last runs `ANALYZE`.

use super::ms;
use super::pg_server::Server;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Not connected.
    Away,
    CopyIn,
    CopyOut,
    Analyze,
    /// Any other statement, or between statements.
    Other,
}

fn classify(rows: &[postgres::Row]) -> Step {
    let Some(r) = rows.first() else {
        return Step::Away;
    };
    let state: Option<String> = r.try_get(0).ok().flatten();
    let query: String = r
        .try_get::<_, Option<String>>(1)
        .ok()
        .flatten()
        .unwrap_or_default();
    if state.as_deref() != Some("active") {
        Step::Other
    } else if query.starts_with("COPY") && query.contains("FROM STDIN") {
        Step::CopyIn
    } else if query.starts_with("COPY") && query.contains("TO STDOUT") {
        Step::CopyOut
    } else if query.starts_with("ANALYZE") {
        Step::Analyze
    } else {
        Step::Other
    }
}

/// Samples until `stop`; each sample's time since `t0`.
pub fn watch(srv: &Server, stop: &AtomicBool, t0: Instant) -> Vec<(Duration, Step)> {
    let mut c = srv.admin("postgres");
    let st = c
        .prepare(
            "SELECT state, query FROM pg_stat_activity
             WHERE application_name = 'carequeue' AND backend_type = 'client backend'",
        )
        .expect("prepare the pg_stat_activity sample");
    let mut samples = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let step = c
            .query(&st, &[])
            .map_or(Step::Other, |rows| classify(&rows));
        samples.push((t0.elapsed(), step));
        std::thread::sleep(Duration::from_millis(50));
    }
    samples
}

/// The phases in words, if every one was seen.
pub fn phases(samples: &[(Duration, Step)], end: Duration) -> Option<String> {
    let first = |s: Step| samples.iter().find(|x| x.1 == s).map(|x| x.0);
    let last = |s: Step| samples.iter().rev().find(|x| x.1 == s).map(|x| x.0);
    let connected = samples.iter().find(|x| x.1 != Step::Away)?.0;
    let copied = last(Step::CopyIn)?;
    let read = last(Step::CopyOut)?;
    let analyze = first(Step::Analyze).filter(|a| *a >= read).unwrap_or(end);
    Some(format!(
        "source opened + verified (SQLite) {}, COPY in {}, read back {}, verified in memory + COMMIT {}, ANALYZE {}",
        ms(connected),
        ms(copied.saturating_sub(connected)),
        ms(read.saturating_sub(copied)),
        ms(analyze.saturating_sub(read)),
        ms(end.saturating_sub(analyze))
    ))
}
