//! Checkpoints kept outside the database: one JSON line per checkpoint,
//! appended to a file the database cannot rewrite. The CLI writes them on
//! demand, the sweep and the console on their own.

use carequeue_store::Board;
use carequeue_store::checkpoint::Checkpoint;
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::Path;

/// The environment variable naming the file the sweep and console append to.
pub const ENV: &str = "CAREQUEUE_CHECKPOINTS";

/// The checkpoint of the logs as they are now.
pub fn current(store: &dyn Board, now: DateTime<Utc>) -> anyhow::Result<Checkpoint> {
    Ok(store.checkpoint(now.timestamp())?)
}

/// Appends `cp` to `file` as one line (the file is made 0600), synced.
pub fn append(file: &Path, cp: &Checkpoint) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(file)
        .with_context(|| format!("cannot append to {}", file.display()))?;
    writeln!(f, "{}", serde_json::to_string(cp)?)?;
    f.sync_all()?;
    Ok(())
}

/// The last checkpoint line of `file`, if it has one.
fn last(file: &Path) -> Option<Checkpoint> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    serde_json::from_str(line).ok()
}

/// Appends a checkpoint to the file named by [`ENV`], if set, when a head
/// moved since its last line. Returns whether a line was written.
pub fn auto(store: &dyn Board, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let Some(file) = std::env::var_os(ENV) else {
        return Ok(false);
    };
    let file = Path::new(&file);
    let cp = current(store, now)?;
    let moved = last(file).is_none_or(|l| l.head != cp.head || l.access_head != cp.access_head);
    if moved {
        append(file, &cp)?;
    }
    Ok(moved)
}
