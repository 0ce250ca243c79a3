//! Refuses databases on network file systems: SQLite's locking is unreliable
//! over NFS/SMB and many FUSE mounts, and a broken lock corrupts the file.
//! (https://www.sqlite.org/howtocorrupt.html, section 2.1.)

use std::path::Path;

/// The kind of network file system `dir` lives on, if any.
#[cfg(target_os = "linux")]
pub fn network_fs(dir: &Path) -> Option<&'static str> {
    use std::os::unix::ffi::OsStrExt;
    let mut bytes = dir.as_os_str().as_bytes().to_vec();
    bytes.push(0);
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `bytes` is NUL-terminated and `st` is a valid out-pointer.
    let rc = unsafe { libc::statfs(bytes.as_ptr().cast(), &mut st) };
    if rc != 0 {
        return None;
    }
    kind(st.f_type as i64)
}

#[cfg(not(target_os = "linux"))]
pub fn network_fs(_dir: &Path) -> Option<&'static str> {
    None
}

/// File system magic numbers (linux/magic.h) of network and FUSE mounts.
pub fn kind(magic: i64) -> Option<&'static str> {
    match magic as u32 {
        0x6969 => Some("NFS"),
        0x517B => Some("SMB"),
        0xFF53_4D42 => Some("CIFS"),
        0xFE53_4D42 => Some("SMB2"),
        0x6573_5546 => Some("FUSE"),
        0x0102_1997 => Some("9P"),
        0x5346_414F => Some("AFS"),
        0x0BD0_0BD0 => Some("Lustre"),
        0x1373 => Some("devfs"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_magics_are_named_and_local_ones_are_not() {
        assert_eq!(kind(0x6969), Some("NFS"));
        assert_eq!(kind(0x6573_5546), Some("FUSE"));
        assert_eq!(kind(0xEF53), None); // ext4
        assert_eq!(kind(0x0102_1994), None); // tmpfs
    }

    #[test]
    fn a_local_temp_dir_is_not_network() {
        assert_eq!(network_fs(&std::env::temp_dir()), None);
    }
}
