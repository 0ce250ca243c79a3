//! The console remembers, per user and database, the last view and owner
//! mode in `$XDG_STATE_HOME/carequeue/state.toml` (default
//! `~/.local/state/carequeue/state.toml`). No patient data: view titles and
//! mode names only. The file is the user's own (0600 in a 0700 folder);
//! a missing or unreadable one is no error.

use crate::app::saved::Resume;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct State {
    #[serde(default)]
    last: BTreeMap<String, Resume>,
}

/// The state file's path, if a home for it is known.
pub fn path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_STATE_HOME").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".local/state"),
    };
    Some(base.join("carequeue").join("state.toml"))
}

fn key(db: &Path, user: &str) -> String {
    let db = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    format!("{user}@{}", db.display())
}

fn read(file: &Path) -> State {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or_default()
}

/// Where `user` left off on `db` last time.
pub fn load(file: &Path, db: &Path, user: &str) -> Option<Resume> {
    read(file).last.remove(&key(db, user))
}

/// Remembers where `user` leaves off on `db`.
pub fn save(file: &Path, db: &Path, user: &str, at: Resume) -> anyhow::Result<()> {
    let mut state = read(file);
    state.last.insert(key(db, user), at);
    let text = format!(
        "# Written by carequeue when a console closes: each user's last view\n# and owner mode, per database.\n{}",
        toml::to_string(&state)?
    );
    let dir = file
        .parent()
        .ok_or_else(|| anyhow::anyhow!("{} has no folder", file.display()))?;
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let tmp = dir.join(format!(".state.toml.{}", std::process::id()));
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, file)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_and_database_keeps_its_own_place() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("carequeue/state.toml");
        let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
        assert_eq!(load(&file, &a, "kim"), None, "no file yet");
        let at = |v: &str, o: &str| Resume {
            view: v.into(),
            owner: o.into(),
        };
        save(&file, &a, "kim", at("Breaches", "all"))?;
        save(&file, &b, "kim", at("Intake", "mine"))?;
        save(&file, &a, "maria", at("My Queue", "mine_or_unassigned"))?;
        save(&file, &a, "kim", at("Audit", "all"))?;
        assert_eq!(load(&file, &a, "kim"), Some(at("Audit", "all")));
        assert_eq!(load(&file, &b, "kim"), Some(at("Intake", "mine")));
        assert_eq!(
            load(&file, &a, "maria"),
            Some(at("My Queue", "mine_or_unassigned"))
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(&file, "not [toml")?;
        assert_eq!(load(&file, &a, "kim"), None, "a broken file is no error");
        Ok(())
    }
}
