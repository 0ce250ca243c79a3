//! The operating system as a store needs it: the calling OS account (who
//! a process is to a SQLite database, and libpq's default login name),
//! read from the real uid in the passwd database, never from an
//! environment variable; and files made private from their first byte.

use std::path::Path;

/// The calling OS account's name, from the real uid.
#[cfg(unix)]
pub fn login() -> crate::Result<String> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    account_name(uid).ok_or_else(|| {
        crate::StoreError::Key(format!(
            "the calling OS account (uid {uid}) is not in the passwd database"
        ))
    })
}

/// The passwd database's name for `uid`.
#[cfg(unix)]
pub fn account_name(uid: u32) -> Option<String> {
    // SAFETY: getpwuid_r writes only into our buffer and `pwd`; the name is
    // read only when it reports success and a non-null result.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut out);
        if rc != 0 || out.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr(pwd.pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

#[cfg(not(unix))]
pub fn login() -> crate::Result<String> {
    Err(crate::StoreError::Key(
        "identity from the OS account needs a Unix system".into(),
    ))
}

/// Creates `path` for writing: mode 0600, never an existing file
/// (`O_EXCL`) and never through a symbolic link (`O_NOFOLLOW`). The error
/// says why in words and names the path.
pub fn create_new_private(path: &Path) -> crate::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path).map_err(|e| crate::StoreError::Create {
        path: path.display().to_string(),
        why: why(path, &e),
    })
}

/// Why `path` could not be created, in words.
fn why(path: &Path, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        return "it is a symbolic link (refused, its target is left untouched)".into();
    }
    match e.kind() {
        ErrorKind::AlreadyExists => "it already exists (left untouched; choose a new path)".into(),
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            format!("the folder {} is not writable for you", dir.display())
        }
        ErrorKind::NotFound => {
            let dir = path
                .parent()
                .map_or(".".into(), |d| d.display().to_string());
            format!("the folder {dir} does not exist")
        }
        _ => e.to_string(),
    }
}
