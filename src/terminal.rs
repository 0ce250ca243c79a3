//! The console's hold on the terminal: raw mode, the alternate screen and
//! (opt-in) mouse capture going in; on the way out, however it comes (a
//! key, an error, a panic on any thread, a terminating signal), the screen
//! wiped before it is left, so nothing of a patient stays on a terminal
//! that keeps or reflows the alternate screen, or has none; mouse capture
//! and the cursor given back.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by a terminating signal (SIGTERM, SIGHUP, SIGINT, SIGQUIT): the
/// console's loop ends as if `q` had been pressed.
static ENDING: AtomicBool = AtomicBool::new(false);

/// Erase the screen and its scrollback, cursor home.
const WIPE: &str = "\x1b[2J\x1b[3J\x1b[H";

extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: nothing else is safe in a signal handler.
    ENDING.store(true, Ordering::SeqCst);
}

/// Whether a terminating signal asked the console to end.
pub fn ending() -> bool {
    ENDING.load(Ordering::SeqCst)
}

/// Lets SIGTERM and SIGINT end a long-running command between two of its
/// steps (`deliver`), as they end the console: see [`ending`].
pub fn end_on_signals() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the handler only stores to an atomic.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

/// Takes the terminal: raw mode and the alternate screen, mouse capture if
/// asked (and taken), then the panic hook and the signal handlers that give
/// it back. Returns the terminal and whether the mouse is captured.
pub fn take(mouse: bool) -> anyhow::Result<(ratatui::DefaultTerminal, bool)> {
    let terminal = ratatui::try_init()?;
    // Without a terminal that takes mouse reports, the keys still work.
    let mouse = mouse
        && crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture).is_ok();
    // Installed after everything it undoes is on (ratatui's own hook only
    // leaves the alternate screen): wipe first, then ratatui's restore.
    let before = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        wipe();
        before(info);
    }));
    for sig in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGQUIT] {
        // SAFETY: the handler only stores to an atomic.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
    Ok((terminal, mouse))
}

/// Mouse capture off, the screen wiped, best effort: a terminal already
/// gone (a lost session) takes no writes, and nothing more can be done.
fn wipe() {
    let mut out = std::io::stdout();
    let _ = crossterm::execute!(out, crossterm::event::DisableMouseCapture);
    let _ = out.write_all(WIPE.as_bytes());
    let _ = out.flush();
}

/// Gives the terminal back: the screen wiped, then raw mode off, the
/// alternate screen left and the cursor shown.
pub fn give_back() {
    wipe();
    ratatui::restore();
}

/// Watches the terminal on its own thread: once it hangs up (its window
/// closed, its SSH session dropped) `on_hangup` runs. Needed because the
/// event loop cannot see it: crossterm's reader spins on a hung-up
/// terminal inside `poll`, whatever its timeout (crossterm issue 793).
/// Looks at stdin's poll flags each second, reading nothing.
pub fn watch_hangup(on_hangup: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
            let mut fds = libc::pollfd {
                fd: 0,
                events: 0,
                revents: 0,
            };
            // SAFETY: one valid pollfd, no wait.
            let n = unsafe { libc::poll(&mut fds, 1, 0) };
            if n > 0 && fds.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                on_hangup();
                return;
            }
        }
    });
}
