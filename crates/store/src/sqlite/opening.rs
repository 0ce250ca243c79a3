//! What opening a file may do to it. Opening never turns a file that is not
//! a carequeue database into one: only `init` and `demo` (which create
//! their file) lay down the schema. A file the caller may not write is
//! opened read-only, and the commands that write say why they are refused.

use super::{Result, StoreError};
use rusqlite::Connection;
use std::path::Path;

/// Whether the calling process may write `path` (its mode, its owner, a
/// read-only mount). Root may write whatever the mode says.
#[cfg(unix)]
pub fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let mut bytes = path.as_os_str().as_bytes().to_vec();
    bytes.push(0);
    // SAFETY: `bytes` is NUL-terminated and outlives the call.
    unsafe { libc::access(bytes.as_ptr().cast(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
pub fn writable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

/// Whether `path` is a cleanly closed database (no write-ahead log left
/// with content) on a file system mounted read-only: nothing can write it,
/// and SQLite could not make the shared-memory file a WAL database needs,
/// so it is read as immutable.
#[cfg(unix)]
pub fn frozen(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let mut bytes = path.as_os_str().as_bytes().to_vec();
    bytes.push(0);
    // SAFETY: an all-zero statvfs is a valid value to be filled in.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `bytes` is NUL-terminated and outlives the call; `st` is a
    // valid statvfs to write to.
    let ok = unsafe { libc::statvfs(bytes.as_ptr().cast(), &mut st) } == 0;
    let read_only_fs = ok && st.f_flag & libc::ST_RDONLY != 0;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal_empty = std::fs::metadata(Path::new(&wal)).map_or(true, |m| m.len() == 0);
    read_only_fs && wal_empty
}

#[cfg(not(unix))]
pub fn frozen(_path: &Path) -> bool {
    false
}

/// `path` as a SQLite URI that opens it immutable (read-only, no locks, no
/// shared memory), its reserved characters escaped.
pub fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'%' | b'?' | b'#' => uri.push_str(&format!("%{b:02X}")),
            _ => uri.push(char::from(b)),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Whether the calling process's real user owns `path`: the owner of a
/// read-only file may make it writable again, so nothing it does to the
/// file is bound by carequeue's logs.
#[cfg(unix)]
pub fn owned_by_caller(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    std::fs::metadata(path).is_ok_and(|m| m.uid() == uid)
}

#[cfg(not(unix))]
pub fn owned_by_caller(_path: &Path) -> bool {
    true
}

/// The schema step the file is at, read before anything could write to it.
/// A file that is not SQLite, or a SQLite file without carequeue's schema
/// (version 0 with tables of its own, or no tables at all when `fresh` is
/// not allowed), is refused: it is not a carequeue database.
pub fn schema_version(conn: &Connection, path: &Path, fresh_allowed: bool) -> Result<i64> {
    let foreign = || StoreError::Foreign(path.display().to_string());
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => foreign(),
            _ => StoreError::Sql(e),
        })?;
    if version > 0 {
        return Ok(version);
    }
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => foreign(),
            _ => StoreError::Sql(e),
        })?;
    if tables > 0 || !fresh_allowed {
        return Err(foreign());
    }
    Ok(0)
}

/// The `meta` value `key` of the file at `path`, read through a read-only
/// connection that neither migrates nor changes the journal mode: for
/// deciding about a file (is it a demo?) without touching it.
pub fn peek_meta(path: &Path, key: &str) -> Option<String> {
    use rusqlite::OpenFlags;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    super::cipher::apply_key(&conn).ok()?;
    super::meta_get(&conn, key).ok().flatten()
}
