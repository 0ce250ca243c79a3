//! Throwaway OS accounts, for tests that must run as someone other than
//! root (root ignores file modes, and identity comes from the real uid).
//!
//! Accounts are `cqt_*`, made one at a time under a file lock (parallel
//! `useradd` races on the passwd lock), all in one fresh group whose
//! setgid folder they share; the binary is copied to a 0755 folder. Every
//! account and the group are removed on drop, also when a test panics.
//!
//! Not root: the tests skip with a note, unless `CQ_REQUIRE_ROOT=1` (as in
//! CI), where they fail instead.
#![allow(dead_code)]

use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const LOCK_FILE: &str = "/tmp/carequeue-test-accounts.lock";
static NEXT: AtomicUsize = AtomicUsize::new(0);

pub struct Account {
    pub name: String,
    pub uid: u32,
}

/// A group of throwaway accounts sharing one setgid folder.
pub struct Team {
    pub group: String,
    pub gid: u32,
    pub accounts: Vec<Account>,
    /// The shared folder (group-owned, setgid, 2770).
    pub dir: PathBuf,
    /// The binary, copied where every account may run it.
    pub bin: PathBuf,
    _bin_dir: tempfile::TempDir,
    _dir: tempfile::TempDir,
}

/// Whether this process may make accounts; if not, skips (prints a note
/// and returns false) or, under `CQ_REQUIRE_ROOT=1`, fails the test.
pub fn can_make_accounts(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var("CQ_REQUIRE_ROOT").as_deref() != Ok("1"),
        "{test} needs root to create OS accounts, and CQ_REQUIRE_ROOT=1 forbids skipping"
    );
    eprintln!("note: {test} skipped: creating OS accounts needs root");
    false
}

/// An exclusive lock on [`LOCK_FILE`], held while accounts change.
struct Lock(std::fs::File);

impl Lock {
    fn take() -> Lock {
        use std::os::fd::AsRawFd;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(LOCK_FILE)
            .expect("open the accounts lock");
        // SAFETY: flock on an open descriptor we own.
        let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
        assert_eq!(rc, 0, "lock {LOCK_FILE}");
        Lock(f)
    }
}

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn id_of(name: &str) -> u32 {
    let c = CString::new(name).expect("name");
    // SAFETY: getpwnam returns a pointer into static storage or null; read at once.
    let pw = unsafe { libc::getpwnam(c.as_ptr()) };
    assert!(!pw.is_null(), "no passwd entry for {name}");
    // SAFETY: non-null, just returned.
    unsafe { (*pw).pw_uid }
}

fn gid_of(name: &str) -> u32 {
    let c = CString::new(name).expect("name");
    // SAFETY: as for getpwnam.
    let gr = unsafe { libc::getgrnam(c.as_ptr()) };
    assert!(!gr.is_null(), "no group entry for {name}");
    // SAFETY: non-null, just returned.
    unsafe { (*gr).gr_gid }
}

/// Removes `cqt_*` accounts and groups left by test processes that died
/// before their cleanup ran (the pid in the name is gone).
fn sweep_leftovers() {
    let Ok(passwd) = std::fs::read_to_string("/etc/passwd") else {
        return;
    };
    for line in passwd.lines() {
        let name = line.split(':').next().unwrap_or("");
        if let Some(pid) = name.strip_prefix("cqt_").and_then(|r| r.split('_').next())
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = Command::new("userdel").arg(name).output();
        }
    }
    let Ok(groups) = std::fs::read_to_string("/etc/group") else {
        return;
    };
    for line in groups.lines() {
        let name = line.split(':').next().unwrap_or("");
        if let Some(pid) = name.strip_prefix("cqtg_").and_then(|r| r.split('_').next())
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = Command::new("groupdel").arg(name).output();
        }
    }
}

impl Team {
    /// `n` fresh accounts in a fresh group. Call [`can_make_accounts`] first.
    pub fn new(n: usize) -> Team {
        let pid = std::process::id();
        let k = NEXT.fetch_add(1, Ordering::SeqCst);
        let group = format!("cqtg_{pid}_{k}");
        let accounts = {
            let _lock = Lock::take();
            sweep_leftovers();
            run("groupadd", &[&group]);
            (0..n)
                .map(|i| {
                    let name = format!("cqt_{pid}_{k}{}", (b'a' + i as u8) as char);
                    run(
                        "useradd",
                        &["-M", "-N", "-g", &group, "-s", "/usr/sbin/nologin", &name],
                    );
                    Account {
                        uid: id_of(&name),
                        name,
                    }
                })
                .collect()
        };
        let gid = gid_of(&group);
        let bin_dir = tempfile::tempdir().expect("bin dir");
        std::fs::set_permissions(bin_dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod bin dir");
        let bin = bin_dir.path().join("carequeue");
        std::fs::copy(env!("CARGO_BIN_EXE_carequeue"), &bin).expect("copy the binary");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let dir = tempfile::tempdir().expect("shared dir");
        std::os::unix::fs::chown(dir.path(), None, Some(gid)).expect("chgrp");
        // Setgid and sticky, as `init --group` asks of a shared folder.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o3770))
            .expect("chmod 3770");
        Team {
            group,
            gid,
            accounts,
            dir: dir.path().to_path_buf(),
            bin,
            _bin_dir: bin_dir,
            _dir: dir,
        }
    }

    pub fn name(&self, i: usize) -> &str {
        &self.accounts[i].name
    }

    /// The binary run as account `i` in the shared folder, with a clean
    /// environment (only `PATH` and `HOME`) plus `env`.
    pub fn command(&self, i: usize, env: &[(&str, &str)], args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &self.dir)
            .envs(env.iter().copied())
            .current_dir(&self.dir)
            .uid(self.accounts[i].uid)
            .gid(self.gid)
            .args(args);
        cmd
    }

    /// Runs the binary as account `i` with `args`.
    pub fn run(&self, i: usize, args: &[&str]) -> Output {
        self.run_env(i, &[], args)
    }

    /// Another test thread that forks while this one's copy of the binary
    /// is still open for writing holds that descriptor until its child
    /// execs, and exec of the copy then fails with ETXTBSY for a moment:
    /// such a run is tried again.
    pub fn run_env(&self, i: usize, env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut tries = 0;
        loop {
            match self.command(i, env, args).output() {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 100 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                done => return done.expect("run carequeue as an account"),
            }
        }
    }

    /// Runs and expects success; returns stdout.
    #[track_caller]
    pub fn ok(&self, i: usize, args: &[&str]) -> String {
        let out = self.run(i, args);
        assert!(
            out.status.success(),
            "as {}: carequeue {args:?}: {}",
            self.name(i),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs and expects one `error:` line and exit 1, nothing on stdout;
    /// returns the error line.
    #[track_caller]
    pub fn refused(&self, i: usize, env: &[(&str, &str)], args: &[&str]) -> String {
        let out = self.run_env(i, env, args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(1),
            "as {}: carequeue {args:?} should be refused: {err}",
            self.name(i)
        );
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: a refusal prints nothing else: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        err
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        let _lock = Lock::take();
        for a in &self.accounts {
            let _ = Command::new("userdel").arg(&a.name).output();
        }
        let _ = Command::new("groupdel").arg(&self.group).output();
    }
}
