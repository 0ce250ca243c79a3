//! The password file, read as libpq reads it: `PGPASSFILE` or
//! `~/.pgpass`, lines of `hostname:port:database:username:password`, `*`
//! matching anything, `\:` and `\\` escaping, the first matching line
//! winning. A file that others may read is ignored, with a warning, as
//! libpq does; a connection over a Unix socket matches `localhost`.

use std::path::Path;

/// One line's five fields, unescaped.
fn fields(line: &str) -> Option<[String; 5]> {
    let mut out: Vec<String> = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.last_mut()?.push(chars.next().unwrap_or('\\')),
            ':' if out.len() < 5 => out.push(String::new()),
            c => out.last_mut()?.push(c),
        }
    }
    out.try_into().ok()
}

/// The password for `host:port:database:user` in the file's text.
pub fn lookup(text: &str, host: &str, port: u16, database: &str, user: &str) -> Option<String> {
    // A socket directory is `localhost` to the password file.
    let host = if host.starts_with('/') {
        "localhost"
    } else {
        host
    };
    let port = port.to_string();
    let want = [host, port.as_str(), database, user];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .filter_map(fields)
        .find(|f| {
            f[..4]
                .iter()
                .zip(want)
                .all(|(have, want)| have == "*" || have == want)
        })
        .map(|f| f[4].clone())
}

/// Reads `path` unless others may read it; None when there is no file.
/// The warning for a file that is too open names it and the fix.
pub fn read(path: &Path) -> Result<Option<String>, super::conninfo::BadSettings> {
    use std::os::unix::fs::PermissionsExt;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display()).into()),
    };
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.permissions().mode() & 0o077 != 0 {
        eprintln!(
            "warning: password file {} is readable by others and is ignored; chmod 0600 it",
            carequeue_core::text::clean(&path.display().to_string())
        );
        return Ok(None);
    }
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

#[cfg(test)]
mod tests {
    use super::lookup;

    #[test]
    fn the_first_matching_line_wins_with_wildcards_and_escapes() {
        let text = "\
# comments and blank lines are skipped

db.example:5432:care:ann:first
*:*:care:ann:second
db.example:*:*:bob:pa\\:ss\\\\word
localhost:5433:*:*:socket
";
        assert_eq!(
            lookup(text, "db.example", 5432, "care", "ann").as_deref(),
            Some("first")
        );
        assert_eq!(
            lookup(text, "other", 6000, "care", "ann").as_deref(),
            Some("second")
        );
        assert_eq!(
            lookup(text, "db.example", 1, "x", "bob").as_deref(),
            Some("pa:ss\\word")
        );
        // A Unix socket directory matches `localhost`.
        assert_eq!(
            lookup(text, "/var/run/postgresql", 5433, "care", "cy").as_deref(),
            Some("socket")
        );
        assert_eq!(lookup(text, "db.example", 5432, "care", "cy"), None);
        // A line with too few fields matches nothing.
        assert_eq!(lookup("h:1:d:u", "h", 1, "d", "u"), None);
    }
}
