//! `init --group`: a database shared by an OS group on one host. The
//! folder is setgid, so the `-wal` and `-shm` files any member's process
//! creates belong to the group too, and sticky, so no member can delete or
//! replace a file another made; the database file is 0660.
//!
//! What this does not do: stop a member from reading or changing the file
//! with another SQLite tool. Every member of the group is trusted with the
//! whole file; [`TRUSTED`] says so at `init`, and the book's security
//! chapter says it plainly. The enforced team mode is PostgreSQL.

use anyhow::{Result, anyhow, bail};
use std::path::Path;

fn gid_of(group: &str) -> Result<u32> {
    let c = std::ffi::CString::new(group).map_err(|_| anyhow!("bad group name"))?;
    // SAFETY: getgrnam_r writes only into our buffer and `grp`; read on success.
    unsafe {
        let mut grp: libc::group = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        let mut out: *mut libc::group = std::ptr::null_mut();
        let rc = libc::getgrnam_r(c.as_ptr(), &mut grp, buf.as_mut_ptr(), buf.len(), &mut out);
        if rc != 0 || out.is_null() {
            bail!("unknown OS group `{group}`");
        }
        Ok(grp.gr_gid)
    }
}

fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// What `init --group` tells the one who makes the database.
pub const TRUSTED: &str = "note: every member of the group can read and change this file with any SQLite tool, beside carequeue: carequeue's rules and its access log hold only for what members do through carequeue, and `verify --checkpoint` shows edits only of history checkpointed elsewhere. For a team whose members must not be trusted with the whole file, use PostgreSQL (`carequeue migrate`), which runs on the same host just as well";

/// Makes (or checks) the database's folder: owned by the group, setgid
/// and sticky.
pub fn prepare(path: &Path, group: &str) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let gid = gid_of(group)?;
    let dir = folder(path);
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        std::os::unix::fs::chown(dir, None, Some(gid))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o3770))?;
    }
    let m = std::fs::metadata(dir)?;
    let fix = format!("chgrp {group} DIR && chmod 3770 DIR");
    if m.gid() != gid || m.mode() & 0o2000 == 0 {
        bail!(
            "{}: a shared database needs a setgid, sticky folder of group `{group}` ({fix})",
            dir.display()
        );
    }
    if m.mode() & 0o1000 == 0 {
        // Sticky: a member may delete only the files they made.
        // SAFETY: getuid has no preconditions and cannot fail.
        let me = unsafe { libc::getuid() };
        if m.uid() != me {
            bail!(
                "{}: the folder must be sticky, so no member can delete the database another made ({fix})",
                dir.display()
            );
        }
        std::fs::set_permissions(
            dir,
            std::fs::Permissions::from_mode(m.mode() & 0o7777 | 0o1000),
        )?;
    }
    Ok(())
}

/// Gives the new database file to the group, readable and writable by it.
pub fn share(path: &Path, group: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let gid = gid_of(group)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut f = path.as_os_str().to_owned();
        f.push(suffix);
        let f = Path::new(&f);
        if f.exists() {
            std::os::unix::fs::chown(f, None, Some(gid))?;
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o660))?;
        }
    }
    Ok(())
}
