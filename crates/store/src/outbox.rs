//! Webhook delivery state: per target, a cursor into the event feed and
//! one message per event it wants, each pending, delivered or dead, with
//! its attempts, next attempt, first failure and last error (an HTTP
//! status or a transport error's class: never a response body, never
//! patient data); and a lease, so one deliverer per database sends. The
//! messages' bodies are not kept: they are made again from the log (the
//! outbox) on every attempt, so nothing here copies an event.

use crate::Result;

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not yet delivered: due at its next attempt (which a record's earlier
    /// message not yet delivered holds back).
    Pending,
    Delivered,
    /// Given up: failing for longer than the policy allows, or refused for
    /// good (410 Gone). `deliveries retry` queues it again.
    Dead,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Delivered => "delivered",
            Status::Dead => "dead",
        }
    }

    /// The stored word; an unknown word reads as dead (never sent again
    /// unasked).
    pub fn from_word(w: &str) -> Status {
        match w {
            "pending" => Status::Pending,
            "delivered" => Status::Delivered,
            _ => Status::Dead,
        }
    }
}

/// One message: event `seq` for `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub target: String,
    pub seq: i64,
    pub record_id: i64,
    /// The event's kind, as the log stores it.
    pub kind: String,
    pub status: Status,
    pub attempts: i64,
    pub next_at: i64,
    pub first_failed_at: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

impl Delivery {
    /// Its `webhook-id`, the same on every attempt.
    pub fn id(&self) -> String {
        message_id(&self.target, self.seq)
    }
}

/// The `webhook-id` of event `seq` for `target`.
/// An attempt to record: target, sequence number, outcome, when tried.
pub type Settled = (String, i64, Outcome, i64);

pub fn message_id(target: &str, seq: i64) -> String {
    format!("msg_{target}_{seq}")
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Failed (`error`: a status or an error class); tried again at `next_at`.
    Failed {
        error: String,
        next_at: i64,
    },
    /// Failed for good.
    Dead {
        error: String,
    },
}

/// Who holds the delivery lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// The caller, until `expires`.
    Mine { expires: i64 },
    /// Someone else, until `expires`.
    Theirs { holder: String, expires: i64 },
}

impl Lease {
    /// The lease as read back after `me` tried to take it: `holder`'s.
    pub fn read(me: &str, holder: String, expires: i64) -> Lease {
        if holder == me {
            Lease::Mine { expires }
        } else {
            Lease::Theirs { holder, expires }
        }
    }
}

impl Outcome {
    /// As a message's row keeps it: its status word, its error (a status
    /// or an error class, made plain) and its next attempt.
    pub fn columns(&self) -> (&'static str, Option<String>, Option<i64>) {
        match self {
            Outcome::Delivered => ("delivered", None, None),
            Outcome::Failed { error, next_at } => {
                ("pending", Some(plain_error(error)), Some(*next_at))
            }
            Outcome::Dead { error } => ("dead", Some(plain_error(error)), None),
        }
    }
}

/// A target whose messages do not get through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    pub target: String,
    /// Messages given up.
    pub dead: i64,
    /// The first failure of the oldest message still being retried.
    pub failing_since: Option<i64>,
}

/// Which messages `deliveries` lists.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Dead ones and those that failed at least once and are still pending.
    pub failed: bool,
    pub target: Option<String>,
    pub limit: i64,
}

/// An error text as delivery state keeps it: a status or an error class,
/// short, of plain characters (so no response body, which might name a
/// patient, can be put there).
pub fn plain_error(e: &str) -> String {
    let s: String = e
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || " ._:-".contains(*c))
        .take(80)
        .collect();
    if s.is_empty() { "error".into() } else { s }
}

/// The delivery state, as the deliverer and `deliveries` use it.
pub trait Outbox {
    /// Takes or renews the lease for `holder` until `now + ttl`, unless
    /// another holder's has not expired (then says whose).
    fn take_lease(&mut self, holder: &str, now: i64, ttl: i64) -> Result<Lease>;
    /// Gives the lease up, if `holder` has it.
    fn release_lease(&mut self, holder: &str) -> Result<()>;
    /// The last sequence number `target`'s messages were queued up to
    /// (None: a target never seen).
    fn delivery_cursor(&self, target: &str) -> Result<Option<i64>>;
    /// Queues events `seqs` (each after `after`, up to `upto`, of a record)
    /// for `target` and moves its cursor to `upto`, as lease holder
    /// `holder`; refused if the cursor is not at `after` any more.
    fn enqueue(
        &mut self,
        holder: &str,
        target: &str,
        after: Option<i64>,
        upto: i64,
        seqs: &[i64],
        now: i64,
    ) -> Result<()>;
    /// Pending messages due by `now` that no earlier message of their
    /// record to their target holds back, oldest first.
    /// Only `targets`' messages: a target gone from notify.toml keeps
    /// its messages as they are and holds no live target's back.
    fn due(&self, now: i64, targets: &[String], limit: i64) -> Result<Vec<Delivery>>;
    /// Records an attempt at a pending message, as lease holder `holder`.
    fn settle(
        &mut self,
        holder: &str,
        target: &str,
        seq: i64,
        outcome: &Outcome,
        now: i64,
    ) -> Result<()>;
    /// Records attempts at several pending messages at once, each
    /// `(target, seq, outcome, when it was tried)`: one transaction where
    /// the store can (a commit a message was most of a delivery's cost).
    fn settle_all(&mut self, holder: &str, done: &[Settled], now: i64) -> Result<()> {
        for (target, seq, outcome, at) in done {
            self.settle(holder, target, *seq, outcome, (*at).max(now))?;
        }
        Ok(())
    }
    /// Messages as `f` selects, newest first.
    fn deliveries(&self, f: &DeliveryFilter) -> Result<Vec<Delivery>>;
    /// Queues dead or failing messages of `target` (`seq`: that one only)
    /// again, due at `now`; how many.
    fn requeue(&mut self, target: &str, seq: Option<i64>, now: i64) -> Result<i64>;
    /// The targets with dead messages or messages being retried.
    fn troubles(&self) -> Result<Vec<Trouble>>;
}
