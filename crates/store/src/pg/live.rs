//! Live updates from PostgreSQL: a thread of its own LISTENs on
//! `carequeue_events`, whose notifications carry only the chain's new
//! length. On every (re)connect it first reads the length (the catch-up),
//! so a change made while it was away is never missed; a lost connection
//! is retried with backoff (0.1 s doubling to 5 s) and said, so the console
//! can show it. The console never waits on this thread. (PgBouncer in
//! transaction mode cannot carry LISTEN, which needs a session.)

use super::conninfo::ConnInfo;
use crate::StoreError;
use crate::board::Heard;
use postgres::fallible_iterator::FallibleIterator;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

/// What the listener reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    /// Connected (again) and listening.
    Connected,
    /// The event chain's length now: re-read what is on screen.
    Seq(i64),
    /// The connection was lost (why); retrying.
    Lost(String),
}

pub struct Listener {
    pub rx: Receiver<Live>,
    stop: Arc<AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often an idle listener looks at its stop flag and its connection.
const TICK: Duration = Duration::from_millis(250);

impl Listener {
    pub fn start(info: ConnInfo) -> Listener {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || run(&info, &tx, &flag));
        Listener { rx, stop }
    }
}

/// A listener and what was last heard from it: the chain's length, so a
/// notification of a length already seen is no change.
pub struct Heeded {
    listener: Listener,
    length: Option<i64>,
}

impl Heeded {
    pub fn start(info: ConnInfo) -> Heeded {
        Heeded {
            listener: Listener::start(info),
            length: None,
        }
    }

    /// What the listener heard since the last call: a new chain length is
    /// a change; a lost connection, and its return (after which the screen
    /// is read again, as anything may have happened meanwhile).
    pub fn heard(&mut self) -> Vec<Heard> {
        let mut out = Vec::new();
        while let Ok(msg) = self.listener.rx.try_recv() {
            match msg {
                Live::Seq(n) => {
                    let first = self.length.is_none();
                    let moved = self.length != Some(n);
                    self.length = Some(n);
                    if !first && moved {
                        out.push(Heard::Changed);
                    }
                }
                Live::Lost(why) => out.push(Heard::Lost(why)),
                Live::Connected => {
                    // The catch-up's length follows: compare against it anew.
                    if self.length.take().is_some() {
                        out.push(Heard::Back);
                    }
                }
            }
        }
        out
    }
}

fn run(info: &ConnInfo, tx: &Sender<Live>, stop: &AtomicBool) {
    let mut backoff = FIRST_BACKOFF;
    while !stop.load(Ordering::Relaxed) {
        let why = match listen(info, tx, stop, &mut backoff) {
            Ok(()) => return,
            Err(e) => e.to_string(),
        };
        if tx.send(Live::Lost(why)).is_err() {
            return;
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: Ok when asked to stop, Err when it was lost.
fn listen(
    info: &ConnInfo,
    tx: &Sender<Live>,
    stop: &AtomicBool,
    backoff: &mut Duration,
) -> crate::Result<()> {
    let mut c = super::connect(info)?;
    c.batch_execute("LISTEN carequeue_events")?;
    let length: i64 = c
        .query_one(
            "SELECT length FROM carequeue.chains WHERE name = 'events'",
            &[],
        )?
        .try_get(0)?;
    *backoff = FIRST_BACKOFF;
    if tx.send(Live::Connected).is_err() || tx.send(Live::Seq(length)).is_err() {
        return Ok(());
    }
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut notes = c.notifications();
        let mut it = notes.timeout_iter(TICK);
        loop {
            match it.next() {
                Ok(Some(n)) => {
                    if let Ok(seq) = n.payload().parse::<i64>()
                        && tx.send(Live::Seq(seq)).is_err()
                    {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e.into()),
                Ok(None) => break,
            }
        }
        drop(it);
        drop(notes);
        if c.is_closed() {
            return Err(StoreError::Unavailable(
                "the server closed the connection".into(),
            ));
        }
        // An idle connection's death shows only when it is used.
        c.batch_execute("")?;
    }
}
