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

/// A program running in a 120x40 pseudo-terminal, its output parsed by vt100.
pub struct Screen {
    shared: Arc<Shared>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
}

impl Screen {
    pub fn spawn(cmd: CommandBuilder) -> Screen {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let child = pair.slave.spawn_command(cmd).expect("spawn the console");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let shared = Arc::new(Shared {
            out: Mutex::new(Output {
                parser: vt100::Parser::new(
                    std::num::NonZero::new(40).expect("rows"),
                    std::num::NonZero::new(120).expect("cols"),
                    0,
                ),
                raw: Vec::new(),
                eof: false,
            }),
            changed: Condvar::new(),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // EOF, or EIO once the program's side is closed.
            while let Ok(n) = reader.read(&mut buf) {
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
            _master: pair.master,
        }
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
                panic!("the console did not quit on q; screen:\n{screen}");
            }
            out = self
                .shared
                .changed
                .wait_timeout(out, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        let raw = out.raw.clone();
        drop(out);
        let status = self.child.wait().expect("the console's exit status");
        (status.success(), raw)
    }
}
