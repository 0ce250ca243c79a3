//! `init --group`: a database shared by an OS group on one host. The
//! folder is setgid, so the `-wal` and `-shm` files any member's process
//! creates belong to the group too; the database file is 0660.

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

/// Makes (or checks) the database's folder: owned by the group, setgid.
pub fn prepare(path: &Path, group: &str) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let gid = gid_of(group)?;
    let dir = folder(path);
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        std::os::unix::fs::chown(dir, None, Some(gid))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o2770))?;
    }
    let m = std::fs::metadata(dir)?;
    if m.gid() != gid || m.mode() & 0o2000 == 0 {
        bail!(
            "{}: a shared database needs a setgid folder of group `{group}` (chgrp {group} DIR && chmod 2770 DIR)",
            dir.display()
        );
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
