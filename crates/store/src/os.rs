//! The calling OS account: who a process is to a SQLite database (and
//! libpq's default login name). Read from the real uid in the passwd
//! database, never from an environment variable.

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
