//! The peak resident set of a child process, read from `/proc` while it
//! runs. (`wait4`'s `ru_maxrss` would also count the memory of the parent
//! that the child shared until it exec'd: a large parent, such as the
//! bench after building its database, would be measured instead.)

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What one run took: exit status, bytes written to stdout (drained as it
/// comes), peak resident set in kB, wall time.
pub struct Peak {
    pub status: ExitStatus,
    pub bytes: usize,
    pub kb: u64,
    pub took: Duration,
}

/// `VmHWM` of `pid`, while it has memory (a zombie has none).
fn hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Runs `cmd` with stdout drained and stderr discarded.
pub fn run(cmd: &mut Command) -> std::io::Result<Peak> {
    let start = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0usize;
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n;
        }
        total
    });
    // Polled until the child is a zombie (not yet reaped, so its pid is
    // still its own): VmHWM only grows, so the last reading is the peak.
    let pid = child.id();
    let mut kb = 0;
    while let Some(now) = hwm(pid) {
        kb = kb.max(now);
        std::thread::sleep(Duration::from_millis(2));
    }
    let bytes = reader.join().expect("stdout reader");
    let status = child.wait()?;
    Ok(Peak {
        status,
        bytes,
        kb,
        took: start.elapsed(),
    })
}
