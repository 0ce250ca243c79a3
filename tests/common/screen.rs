//! The real binary in a real pseudo-terminal (120x40), its output parsed
//! by vt100: what a person would see, and keys typed as a person would.
//!
//! Nothing here sleeps for a fixed time: typing returns at once, and a test
//! waits for the screen to show what it expects ([`Screen::wait`],
//! [`Screen::keys_then`]), with a generous limit. A reader thread parses
//! the output as it comes and wakes the waiters.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a step may take to show on screen: a bound for a loaded
/// machine, not a delay (waits end as soon as the screen shows it).
pub const STEP: Duration = Duration::from_secs(10);

/// The output so far, parsed and raw, and whether it has ended.
struct Output {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// The reader met the end of the output: every holder of the
    /// terminal's other side (the program) is gone.
    eof: bool,
    /// The size it started at, and each resize: where in `raw` it came.
    sizes: Vec<(usize, u16, u16)>,
}

/// How a program ended, and what it left on the terminal.
pub struct Ended {
    /// It exited 0.
    pub ok: bool,
    /// Everything it wrote.
    pub raw: Vec<u8>,
    /// The screen it left behind (the shell's, once it is gone).
    pub left: String,
    /// The screen a terminal with no alternate screen (or one that keeps
    /// or reflows it) would be left with: the same output and resizes,
    /// with the switches to the alternate screen ignored.
    pub plain: String,
}

/// `raw` replayed on a terminal that ignores the alternate screen, resized
/// where the real one was.
fn plain_screen(raw: &[u8], sizes: &[(usize, u16, u16)]) -> String {
    let strip = |b: &[u8]| -> Vec<u8> {
        let text = String::from_utf8_lossy(b).into_owned();
        let mut t = text;
        for seq in [
            "\x1b[?1049h",
            "\x1b[?1049l",
            "\x1b[?1047h",
            "\x1b[?1047l",
            "\x1b[?47h",
            "\x1b[?47l",
        ] {
            t = t.replace(seq, "");
        }
        t.into_bytes()
    };
    let nz = |n: u16| std::num::NonZero::new(n).expect("size");
    let (_, c0, r0) = sizes[0];
    let mut p = vt100::Parser::new(nz(r0), nz(c0), 0);
    let mut from = 0;
    for &(at, c, r) in &sizes[1..] {
        p.process(&strip(&raw[from..at]));
        p.set_size(nz(r), nz(c));
        from = at;
    }
    p.process(&strip(&raw[from..]));
    p.screen().contents()
}

struct Shared {
    out: Mutex<Output>,
    /// Notified on every chunk of output and at its end.
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Output> {
        self.out.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A program running in a pseudo-terminal (120x40 unless told), its
/// output parsed by vt100.
pub struct Screen {
    shared: Arc<Shared>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    /// Tells the reader thread to let go of its copy of the master.
    stop: Arc<std::sync::atomic::AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
}

fn pty_size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

impl Screen {
    pub fn spawn(cmd: CommandBuilder) -> Screen {
        Screen::spawn_sized(cmd, 120, 40)
    }

    /// The program in a `cols`×`rows` pseudo-terminal.
    pub fn spawn_sized(cmd: CommandBuilder, cols: u16, rows: u16) -> Screen {
        let pair = native_pty_system()
            .openpty(pty_size(cols, rows))
            .expect("a pseudo-terminal");
        let child = pair.slave.spawn_command(cmd).expect("spawn the console");
        drop(pair.slave);
        // The reader's own copy of the master, read with a timeout so it
        // can let go of it when asked (`hang_up`).
        let fd = pair.master.as_raw_fd().expect("the master's descriptor");
        // SAFETY: `fd` is the master's open descriptor; the copy is owned
        // by the File below and closed with it.
        let copy = unsafe { libc::dup(fd) };
        assert!(copy >= 0, "dup the master");
        // SAFETY: `copy` is a fresh descriptor nothing else owns.
        let mut reader = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(copy) };
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let writer = pair.master.take_writer().expect("writer");
        let shared = Arc::new(Shared {
            out: Mutex::new(Output {
                parser: vt100::Parser::new(
                    std::num::NonZero::new(rows).expect("rows"),
                    std::num::NonZero::new(cols).expect("cols"),
                    0,
                ),
                raw: Vec::new(),
                eof: false,
                sizes: vec![(0, cols, rows)],
            }),
            changed: Condvar::new(),
        });
        let s = shared.clone();
        let handle = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                if stopped.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let mut pfd = libc::pollfd {
                    fd: copy,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                if unsafe { libc::poll(&mut pfd, 1, 100) } == 0 {
                    continue;
                }
                // EOF, or EIO once the program's side is closed.
                let Ok(n) = reader.read(&mut buf) else { break };
                if n == 0 {
                    break;
                }
                let mut out = s.lock();
                out.parser.process(&buf[..n]);
                out.raw.extend_from_slice(&buf[..n]);
                drop(out);
                s.changed.notify_all();
            }
            s.lock().eof = true;
            s.changed.notify_all();
        });
        Screen {
            shared,
            writer,
            child,
            master: pair.master,
            stop,
            reader: Some(handle),
        }
    }

    /// Closes the terminal under the program, as closing its window or
    /// losing its SSH session does (the pseudo-terminal's master goes; a
    /// fresh, unused one takes its place so this value stays whole), and
    /// waits up to `limit` for the program to end: whether it did.
    pub fn hang_up(&mut self, limit: Duration) -> bool {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let spare = native_pty_system()
            .openpty(pty_size(20, 5))
            .expect("a spare pseudo-terminal");
        self.writer = spare.master.take_writer().expect("writer");
        self.master = spare.master;
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Resizes the terminal as a person dragging its window would: the
    /// screen the parser keeps first, then the pseudo-terminal (whose
    /// SIGWINCH tells the program).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        {
            let mut out = self.shared.lock();
            let at = out.raw.len();
            out.sizes.push((at, cols, rows));
            out.parser.set_size(
                std::num::NonZero::new(rows).expect("rows"),
                std::num::NonZero::new(cols).expect("cols"),
            );
        }
        self.master
            .resize(pty_size(cols, rows))
            .expect("resize the pseudo-terminal");
    }

    /// Whether the program's screen is the alternate one now.
    pub fn on_alternate_screen(&self) -> bool {
        self.shared.lock().parser.screen().alternate_screen()
    }

    /// The program's process id (to send it a signal).
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    pub fn text(&self) -> String {
        self.shared.lock().parser.screen().contents()
    }

    /// Waits up to `limit` for `pred` to hold on the screen; returns how long it took.
    pub fn wait(&self, limit: Duration, what: &str, pred: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        self.wait_screen(limit, what, pred);
        start.elapsed()
    }

    /// Waits up to `limit` for `pred` to hold on the screen; returns that screen.
    pub fn wait_screen(&self, limit: Duration, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        let mut out = self.shared.lock();
        loop {
            let text = out.parser.screen().contents();
            if pred(&text) {
                return text;
            }
            let now = Instant::now();
            if now >= deadline {
                panic!("timed out after {limit:?} waiting for {what}; screen:\n{text}");
            }
            out = self
                .shared
                .changed
                .wait_timeout(out, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Types `s` (and returns at once: what it does shows later).
    pub fn keys(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).expect("type");
        self.writer.flush().expect("flush");
    }

    /// Types `s`, then waits (up to [`STEP`]) for `pred` to hold on the
    /// screen; returns that screen.
    pub fn keys_then(&mut self, s: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.keys(s);
        self.wait_screen(STEP, what, pred)
    }

    /// Types `q`, waits for the program to exit and for its output to end
    /// (the reader's EOF); returns whether it exited 0, and all it wrote.
    pub fn quit(mut self) -> (bool, Vec<u8>) {
        self.keys("q");
        let e = self.ended();
        (e.ok, e.raw)
    }

    /// Waits for the program to end by itself (after a key, a signal).
    pub fn ended(mut self) -> Ended {
        let deadline = Instant::now() + STEP;
        let mut out = self.shared.lock();
        while !out.eof {
            let now = Instant::now();
            if now >= deadline {
                let screen = out.parser.screen().contents();
                drop(out);
                if let Ok(Some(status)) = self.child.try_wait() {
                    panic!(
                        "the console exited ({status:?}) but its output never ended; screen:\n{screen}"
                    );
                }
                let _ = self.child.kill();
                panic!("the console did not end; screen:\n{screen}");
            }
            out = self
                .shared
                .changed
                .wait_timeout(out, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        let raw = out.raw.clone();
        let left = out.parser.screen().contents();
        let plain = plain_screen(&raw, &out.sizes);
        drop(out);
        let status = self.child.wait().expect("the console's exit status");
        Ended {
            ok: status.success(),
            raw,
            left,
            plain,
        }
    }
}

impl Drop for Screen {
    /// A test that fails leaves no console behind (one whose terminal is
    /// gone would otherwise live on).
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
