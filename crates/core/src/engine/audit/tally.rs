//! What the scan hands the report: per-stage accumulators and the
//! log-wide counts, with nothing of the scan's own state.

use super::drill::Drill;
use super::util::Samples;
use std::collections::BTreeMap;

/// Per-stage accumulator filled by the scan.
#[derive(Default)]
pub(super) struct Acc {
    pub entered: u64,
    pub current: u64,
    /// Time in stage (working, minus pauses) of each counted stay.
    pub active: Samples,
    /// Wall time of each counted stay, once one differs from `active`.
    pub wall: Samples,
    pub wall_differs: bool,
    pub breaches: u64,
    /// Breaches by interned reason code.
    pub by_reason: Vec<u64>,
    /// Record slot of each counted stay (for latest vs cumulative), in
    /// stages a record can re-enter ...
    pub slots: Samples,
    /// ... and elsewhere only how many stays and their total time.
    pub once: u64,
    pub once_time: u64,
    /// Read from stays, a record at a time: records with counted stays,
    /// Σ their latest stay, Σ all their stays.
    pub grouped: u64,
    pub grouped_latest: u64,
    pub grouped_cum: u64,
    pub re_entries: u64,
    pub unassigned: u64,
    pub idle_owner: u64,
}

/// Everything the scan counted, reduced to a report by `report`.
pub(super) struct Tally {
    pub acc: Vec<Acc>,
    /// Breach reason codes, in the order of each `Acc::by_reason`.
    pub reasons: Vec<String>,
    pub records: usize,
    pub exits: Vec<u64>,
    /// Exits from stages the pipeline no longer has, by logged id.
    pub exits_unknown: BTreeMap<String, u64>,
    pub events: u64,
    pub drill: Drill,
}
