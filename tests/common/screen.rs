//! The real binary in a real pseudo-terminal (120x40), its output parsed
//! by vt100: what a person would see, and keys typed as a person would.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A program running in a 120x40 pseudo-terminal, its output parsed by vt100.
pub struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
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
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZero::new(40).expect("rows"),
            std::num::NonZero::new(120).expect("cols"),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = p.lock() {
                    p.process(&buf[..n]);
                }
                if let Ok(mut r) = r.lock() {
                    r.extend_from_slice(&buf[..n]);
                }
            }
        });
        Screen {
            parser,
            raw,
            writer,
            child,
            _master: pair.master,
        }
    }

    pub fn text(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Waits up to `limit` for `pred` to hold on the screen; returns how long it took.
    pub fn wait(&self, limit: Duration, what: &str, pred: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            if pred(&self.text()) {
                return start.elapsed();
            }
            if start.elapsed() > limit {
                panic!("timed out waiting for {what}; screen:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn keys(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).expect("type");
        self.writer.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(150));
    }

    pub fn quit(mut self) -> (bool, Vec<u8>) {
        self.keys("q");
        let start = Instant::now();
        let status = loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                panic!("the console did not quit on q; screen:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        std::thread::sleep(Duration::from_millis(200));
        let raw = self.raw.lock().map(|r| r.clone()).unwrap_or_default();
        (status.success(), raw)
    }
}
