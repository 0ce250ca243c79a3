//! Live updates from PostgreSQL on the console's one session: it LISTENs
//! on `carequeue_events`, whose notifications carry only the event chain's
//! new length, on the same connection it reads and writes on (so a console
//! costs the server one connection, and its read grants live in that
//! session). The worker asks between requests ([`Board::heard`]); reading
//! what arrived never blocks. Every (re)connect LISTENs again and reads the
//! length first (the catch-up), so a change made while the console was
//! away is never missed; a lost connection is said once and retried with
//! backoff (0.1 s doubling to 5 s); an idle session is pinged each second,
//! as its death shows only when it is used. (PgBouncer in transaction mode
//! cannot carry LISTEN, which needs a session.)
//!
//! [`Board::heard`]: crate::board::Board::heard

use crate::board::Heard;
use postgres::fallible_iterator::FallibleIterator;
use std::time::{Duration, Instant};

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long a poll waits for what may already be on the wire.
const GLANCE: Duration = Duration::from_millis(2);
/// How often an idle session is pinged.
const PING: Duration = Duration::from_secs(1);

/// The statement that catches up: the chain's length now.
const LENGTH: &str = "SELECT length FROM carequeue.chains WHERE name = 'events'";

/// A session's listening: what was last heard, and how the connection is.
#[derive(Debug)]
pub struct Live {
    /// The chain's length last heard: a notification of it is no change.
    length: Option<i64>,
    /// Why the connection was lost, once said (until it is back).
    lost: Option<String>,
    /// Connected again since the last report: the screen is read anew.
    back: bool,
    next_try: Instant,
    backoff: Duration,
    last_ping: Instant,
}

impl Live {
    /// Starts listening on `c`: LISTEN, then the catch-up.
    pub fn start(c: &mut postgres::Client) -> crate::Result<Live> {
        let length = subscribe(c)?;
        Ok(Live {
            length: Some(length),
            lost: None,
            back: false,
            next_try: Instant::now(),
            backoff: FIRST_BACKOFF,
            last_ping: Instant::now(),
        })
    }

    /// `c` is a new session (after a loss): it listens again and catches
    /// up; the next report says the connection is back.
    pub fn resubscribe(&mut self, c: &mut postgres::Client) -> crate::Result<()> {
        self.length = Some(subscribe(c)?);
        self.lost = None;
        self.back = true;
        self.backoff = FIRST_BACKOFF;
        Ok(())
    }

    /// Whether a reconnect may be tried now.
    pub fn may_retry(&self) -> bool {
        self.back || self.lost.is_none() || Instant::now() >= self.next_try
    }

    /// A connect that failed: said once, tried again after the backoff.
    pub fn failed(&mut self, why: String, out: &mut Vec<Heard>) {
        if self.lost.is_none() {
            out.push(Heard::Lost(why.clone()));
        }
        self.lost = Some(why);
        self.next_try = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    /// Reports a reconnect made since the last call (by a request, or by
    /// [`Live::failed`]'s retry).
    pub fn take_back(&mut self, out: &mut Vec<Heard>) {
        if std::mem::take(&mut self.back) {
            out.push(Heard::Back);
        }
    }

    /// What arrived on the open session `c`: a new chain length is a
    /// change; an error (the session died) is said, and retried later.
    pub fn poll(&mut self, c: &mut postgres::Client, out: &mut Vec<Heard>) {
        let mut latest = None;
        let polled = {
            let mut notes = c.notifications();
            // A wait of a moment, not `iter()`: the client's runtime reads
            // the socket only while it waits, so a notification already on
            // the wire would otherwise stay unread until the next query.
            let mut it = notes.timeout_iter(GLANCE);
            loop {
                match it.next() {
                    Ok(Some(n)) => {
                        if let Ok(seq) = n.payload().parse::<i64>() {
                            latest = Some(seq);
                        }
                    }
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            }
        };
        let pinged = if polled.is_ok() && self.last_ping.elapsed() >= PING {
            self.last_ping = Instant::now();
            c.batch_execute("")
        } else {
            Ok(())
        };
        if let Some(seq) = latest
            && self.length != Some(seq)
        {
            self.length = Some(seq);
            out.push(Heard::Changed);
        }
        if let Err(e) = polled.and(pinged) {
            self.backoff = FIRST_BACKOFF;
            self.failed(crate::StoreError::from(e).to_string(), out);
        }
    }
}

/// LISTEN on `c`, then the chain's length (read after, so nothing
/// committed in between is missed).
fn subscribe(c: &mut postgres::Client) -> crate::Result<i64> {
    c.batch_execute("LISTEN carequeue_events")?;
    Ok(c.query_one(LENGTH, &[])?.try_get(0)?)
}
