//! Peak resident memory of the real console in a pseudo-terminal.

use std::path::Path;
use std::time::Duration;

/// Peak resident set (VmHWM, kB) of `carequeue` showing the console on
/// `db` in a pseudo-terminal, `keys` typed a second after it starts and
/// read `wait` later.
pub fn console_rss(db: &Path, user: &str, keys: &[u8], wait: Duration) -> Option<u64> {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .ok()?;
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_carequeue"));
    cmd.args([
        "--db",
        db.to_str()?,
        "--as",
        user,
        "--now",
        "2026-11-26T15:00:00Z",
    ]);
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).ok()?;
    let mut reader = pair.master.try_clone_reader().ok()?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while matches!(std::io::Read::read(&mut reader, &mut buf), Ok(n) if n > 0) {}
    });
    let mut w = pair.master.take_writer().ok()?;
    std::thread::sleep(Duration::from_secs(1));
    let _ = std::io::Write::write_all(&mut w, keys);
    std::thread::sleep(wait);
    let pid = child.process_id()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok();
    let _ = std::io::Write::write_all(&mut w, b"q");
    let _ = child.wait();
    kb
}
