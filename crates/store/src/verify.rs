//! What `verify` checks, as both stores and the checker above them share
//! it. A store checks what only it can (its own integrity, the hash chains
//! and their heads, the logs' append-only guards, the trust mode) and
//! hands over what it holds ([`Verifiable`]); the business rules (every
//! record equal to the replay of its events, each event allowed to its
//! actor under the pipeline then in force, the team equal to its log) are
//! checked above the store, by the operations layer, over what it reads.

use crate::pipelines::StoredPipeline;
use crate::team::Member;
use crate::{EventRow, Result};
use carequeue_core::engine::Record;
use carequeue_core::engine::audit::StayRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events: i64,
    pub records: i64,
    pub users: i64,
    pub head: String,
    pub access_events: i64,
    pub access_head: String,
}

/// A problem found, naming the event, entry or record (never patient data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("integrity_check failed: {0}")]
    Integrity(String),
    #[error("foreign key check failed: a row of table {table} refers to a missing row of {parent}")]
    ForeignKey { table: String, parent: String },
    #[error("event {id}{}: {what}", of_record(*.record))]
    Event { id: i64, record: i64, what: String },
    #[error(
        "truncated: {recorded} events recorded, {present} present (events were cut off the end of the log)"
    )]
    Truncated { recorded: i64, present: i64 },
    #[error(
        "chain head mismatch: {recorded} events recorded, {present} present (events were added, or the recorded head edited, outside carequeue)"
    )]
    Head { recorded: i64, present: i64 },
    #[error("record {id}: its {what} does not match the replay of its events")]
    Record { id: i64, what: &'static str },
    #[error("user {name}: its {what} does not match the replay of the log")]
    User { name: String, what: &'static str },
    #[error("{0}")]
    Pipeline(String),
    #[error("{0}")]
    Access(String),
    #[error("{0}")]
    Trust(String),
    #[error(
        "the append-only trigger {0} is missing or altered: the log could be rewritten in place"
    )]
    Trigger(&'static str),
    #[error("record {id}: its stays from visit {visit} on do not match a rebuild from its events")]
    Stays { id: i64, visit: u32 },
    #[error("record {0} has no events")]
    NoEvents(i64),
    #[error("events for record {0}, which does not exist")]
    Orphan(i64),
    #[error(
        "stage {stage}: the kept counts say {kept_total} records ({kept_unassigned} unassigned) but {total} ({unassigned} unassigned) are there"
    )]
    Counts {
        stage: String,
        kept_total: i64,
        kept_unassigned: i64,
        total: i64,
        unassigned: i64,
    },
}

fn of_record(r: i64) -> String {
    if r > 0 {
        format!(" (record {r})")
    } else {
        String::new()
    }
}

/// A check's outcome: what it found, or the problem that stopped it.
pub type Checked<T> = Result<std::result::Result<T, Problem>>;

/// How many problems `verify` shows; the rest are counted.
pub const SHOWN: usize = 100;

/// Every problem found: the first [`SHOWN`] of them, and how many in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    shown: Vec<Problem>,
    total: usize,
}

impl Problems {
    pub fn push(&mut self, p: Problem) {
        if self.shown.len() < SHOWN {
            self.shown.push(p);
        }
        self.total += 1;
    }

    pub fn extend(&mut self, other: Problems) {
        for p in other.shown {
            self.push(p);
        }
        self.total += other.total.saturating_sub(other.total.min(SHOWN));
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many were found, shown or not.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The ones kept, in the order found.
    pub fn shown(&self) -> &[Problem] {
        &self.shown
    }
}

/// What `verify` found: the logs' lengths and heads, and every problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub report: VerifyReport,
    pub problems: Problems,
}

/// What the store's own checks found: each log's length and head, and
/// the events dated earlier than one before them in the log (whether
/// that is allowed is for the checks above the store to say: an import
/// brings history dated in the past).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Structure {
    pub events: i64,
    pub head: String,
    pub access_events: i64,
    pub access_head: String,
    pub early: std::collections::BTreeSet<i64>,
}

/// How far back a log entry may be dated from one before it (writers that
/// read the clock before they wait for the log's lock commit in turn), and
/// how far ahead of the verify's own clock.
pub const SLACK: i64 = 60;

/// One record with its whole history, oldest first, in record order; or
/// events whose record is not there.
#[derive(Debug, Clone)]
pub enum History {
    Record(Box<Record>, Vec<EventRow>),
    Orphan(i64),
}

/// A store's contents, read for `verify`. Every call reads from the
/// snapshot [`Verifiable::hold`] holds, so the checks see one state.
pub trait Verifiable {
    /// Holds one read snapshot while the guard lives.
    fn hold(&self) -> Result<Box<dyn crate::db::Snapshot + '_>>;
    /// The store's own checks, every problem into `found`: its integrity,
    /// both hash chains and their recorded heads, the logs' append-only
    /// guards, the trust mode, and entries dated after `now`. None when
    /// the store is too damaged to read on (the checks above it are
    /// skipped).
    fn check_structure(&self, now: i64, found: &mut Problems) -> Result<Option<Structure>>;
    /// Whether the database is in trust mode (`--as` and `--now` honoured:
    /// a demo or a test, which proves nothing about who did what when).
    fn trust_mode(&self) -> Result<bool>;
    /// Every stored pipeline version, oldest first.
    fn pipeline_versions(&self) -> Result<Vec<StoredPipeline>>;
    /// The events about no record (the database's `init`, its pipelines,
    /// its team), in log order.
    fn team_events(&self) -> Result<Vec<EventRow>>;
    /// The users as stored, disabled ones too.
    fn members(&self) -> Result<Vec<Member>>;
    /// The per-stage counts the board reads: (stage, total, unassigned).
    fn kept_counts(&self) -> Result<Vec<(String, i64, i64)>>;
    /// The stored hash of event `n` (1-based, in log order), if there is one.
    fn event_hash_at(&self, n: i64) -> Result<Option<String>>;
    /// The stored hash of access entry `n`, if there is one.
    fn access_hash_at(&self, n: i64) -> Result<Option<String>>;
    /// Each record with its events, in record order, handed over as read;
    /// `f` returns false to stop.
    fn each_history(&self, f: &mut dyn FnMut(History) -> Result<bool>) -> Result<()>;
    /// The pipeline key the stays table is built under, when every record
    /// is settled under it; None while a rebuild or a settle is pending
    /// (the table is then not read, so not checked).
    fn stays_key(&self) -> Result<Option<String>>;
    /// The stays table's rows of record `id`, in visit order.
    fn stays_of(&self, id: i64) -> Result<Vec<StayRow>>;
}

/// A checker of the business rules, given by the caller to a store that
/// verifies inside its own transaction (`migrate`, before it commits).
pub type Verifier<'a> = &'a dyn Fn(&dyn Verifiable) -> Result<Verdict>;
