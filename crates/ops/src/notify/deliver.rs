//! One deliverer's work, over the store's delivery state
//! ([`carequeue_store::outbox`]): queue each target's new events from the
//! feed (the log is the outbox), then send what is due, at least once, in
//! order per record and target (the store holds a record's later message
//! back while an earlier one is not delivered), judging each answer by the
//! [`Policy`]. Both `deliver` and the console run this, holding the lease.

use super::policy::{Policy, Sent};
use super::{Target, http::Sender, message};
use carequeue_core::domain::Pipeline;
use carequeue_store::feed::{FeedEvent, FeedQuery};
use carequeue_store::outbox::{Lease, Outcome, Settled};
use carequeue_store::{Board, StoreError};
use std::time::{Duration, Instant};

/// Feed events read a query while queueing; messages sent a round.
const BATCH: usize = 1000;
/// Attempts recorded in one transaction, at most …
const SETTLE_EVERY: usize = 64;
/// … and at least this often: a commit per message cost about a sixth of
/// a delivery, and a message sent but not yet recorded is only sent again
/// (at least once) if the deliverer dies before recording it.
const SETTLE_AFTER: Duration = Duration::from_millis(500);
/// How long a deliverer sends before renewing its lease (well inside
/// [`LEASE_TTL`]).
const RENEW_AFTER: Duration = Duration::from_secs(10);

/// How long a lease lasts unless renewed, seconds: a deliverer renews it
/// every round (about twice a second when idle), so one that died is
/// replaced within this.
pub const LEASE_TTL: i64 = 30;

/// What a deliverer sends, and as whom.
pub struct Deliverer {
    pub targets: Vec<Target>,
    pub policy: Policy,
    /// The lease holder's name (user, host, process).
    pub holder: String,
    /// The CloudEvents `source`.
    pub source: String,
    pub sender: Sender,
    /// Whether events are read with patient data (a `phi` target; the
    /// caller logged the export).
    pub with_phi: bool,
    /// Where a target never seen starts: after this sequence number (None:
    /// at the feed's end, so a new target is not sent the whole history).
    pub start: Option<i64>,
}

/// What a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub queued: usize,
    pub delivered: usize,
    /// Failed, to be tried again.
    pub failed: usize,
    pub dead: usize,
}

impl Summary {
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Delivered => self.delivered += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Dead { .. } => self.dead += 1,
        }
    }
}

impl Deliverer {
    /// Queues every target's events after its cursor; how many messages.
    pub fn queue(&self, store: &mut dyn Board, now: i64) -> Result<usize, StoreError> {
        let mut queued = 0;
        for t in &self.targets {
            let mut cursor = store.delivery_cursor(&t.name)?;
            if cursor.is_none() {
                let start = match self.start {
                    Some(s) => s,
                    None => store.checkpoint(now)?.events,
                };
                store.enqueue(&self.holder, &t.name, None, start, &[], now)?;
                cursor = Some(start);
            }
            loop {
                let after = cursor.unwrap_or(0);
                let events = store.feed(&FeedQuery {
                    after,
                    kinds: Vec::new(),
                    limit: BATCH,
                    with_phi: false,
                })?;
                let Some(last) = events.last().map(|e| e.seq) else {
                    break;
                };
                let wanted: Vec<i64> = events
                    .iter()
                    .filter(|e| t.wants(e))
                    .map(|e| e.seq)
                    .collect();
                store.enqueue(&self.holder, &t.name, cursor, last, &wanted, now)?;
                queued += wanted.len();
                cursor = Some(last);
                if events.len() < BATCH {
                    break;
                }
            }
        }
        Ok(queued)
    }

    /// Sends every message due by `now`, round after round until none is
    /// (a record's next message becomes due when its earlier one is
    /// delivered), or until `budget` has passed (the console's rounds are
    /// short, so its other work does not wait long). `jitter` draws a number
    /// in 0..1 for each wait.
    pub fn send_due(
        &self,
        p: &Pipeline,
        store: &mut dyn Board,
        clock: &dyn Fn() -> i64,
        jitter: &mut dyn FnMut() -> f64,
        budget: Option<Duration>,
    ) -> Result<Summary, StoreError> {
        let started = Instant::now();
        let names: Vec<String> = self.targets.iter().map(|t| t.name.clone()).collect();
        let mut sum = Summary::default();
        let mut done: Vec<Settled> = Vec::new();
        loop {
            // Renewed every round: a deliverer that lost it stops sending.
            if !self.hold(store, clock())? {
                return Ok(sum);
            }
            let mut held = Instant::now();
            let due = store.due(clock(), &names, BATCH as i64)?;
            if due.is_empty() {
                return Ok(sum);
            }
            let mut since = Instant::now();
            for d in &due {
                if budget.is_some_and(|b| started.elapsed() >= b) {
                    self.settle(store, &mut done, clock())?;
                    return Ok(sum);
                }
                // A slow receiver must not let the lease lapse mid-round:
                // what was sent is recorded, the lease renewed, or the
                // round ends (another deliverer holds it now).
                if held.elapsed() >= RENEW_AFTER {
                    self.settle(store, &mut done, clock())?;
                    if !self.hold(store, clock())? {
                        return Ok(sum);
                    }
                    held = Instant::now();
                }
                let Some(t) = self.targets.iter().find(|t| t.name == d.target) else {
                    continue;
                };
                let now = clock();
                let event = match self.event(store, d.seq) {
                    Ok(e) => e,
                    Err(e) => {
                        // What was sent is recorded before the error goes up.
                        self.settle(store, &mut done, clock())?;
                        return Err(e);
                    }
                };
                let outcome = match event {
                    Some(e) => {
                        let m = message(p, t, &e, &self.source, now);
                        let sent = self.sender.post(&m, t.timeout);
                        self.policy.judge(d, &sent, now, jitter())
                    }
                    None => Outcome::Dead {
                        error: "event unreadable".into(),
                    },
                };
                sum.add(&outcome);
                done.push((d.target.clone(), d.seq, outcome, now));
                if done.len() >= SETTLE_EVERY || since.elapsed() >= SETTLE_AFTER {
                    self.settle(store, &mut done, clock())?;
                    since = Instant::now();
                }
            }
            self.settle(store, &mut done, clock())?;
        }
    }

    /// Records the attempts in `done` (then empty).
    fn settle(
        &self,
        store: &mut dyn Board,
        done: &mut Vec<Settled>,
        now: i64,
    ) -> Result<(), StoreError> {
        if !done.is_empty() {
            store.settle_all(&self.holder, done, now)?;
            done.clear();
        }
        Ok(())
    }

    /// Queues, then sends what is due (as the lease's holder: the caller
    /// took it).
    pub fn pass(
        &self,
        p: &Pipeline,
        store: &mut dyn Board,
        clock: &dyn Fn() -> i64,
        jitter: &mut dyn FnMut() -> f64,
        budget: Option<Duration>,
    ) -> Result<Summary, StoreError> {
        let queued = self.queue(store, clock())?;
        let mut sum = self.send_due(p, store, clock, jitter, budget)?;
        sum.queued = queued;
        Ok(sum)
    }

    /// Takes or renews the lease; whether this deliverer holds it.
    pub fn hold(&self, store: &mut dyn Board, now: i64) -> Result<bool, StoreError> {
        Ok(matches!(
            store.take_lease(&self.holder, now, LEASE_TTL)?,
            Lease::Mine { .. }
        ))
    }

    fn event(&self, store: &dyn Board, seq: i64) -> Result<Option<FeedEvent>, StoreError> {
        let mut rows = store.feed(&FeedQuery {
            after: seq - 1,
            kinds: Vec::new(),
            limit: 1,
            with_phi: self.with_phi,
        })?;
        Ok(rows.pop().filter(|e| e.seq == seq))
    }
}

/// The default request timeout.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Sent, as the bench's floor sees it: a 2xx.
pub fn ok(s: &Sent) -> bool {
    matches!(s, Sent::Status(c) if (200..300).contains(c))
}
