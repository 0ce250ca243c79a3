//! The stage audit: time in stage, spread, breaches, owner inaction and
//! exits before Active Care, computed from the event log alone under the
//! pipeline as it is now (so a changed SLA re-evaluates past stays).
//!
//! Pure: the caller streams events into an [`Auditor`] in log order (each
//! record's events oldest first; records may interleave), then calls
//! [`Auditor::finish`]. Memory is a compact state per record (~64 bytes)
//! plus three `u32` per counted stay; see `store::audit_scan` for the scan.
//!
//! Definitions (the contract behind `audit --json` and the Audit view):
//! - A **stay** is one visit of a record to a stage: it begins at the
//!   `create`/`transition`/`timer`/`override` event that entered the stage
//!   and ends at the next one (open stays end at `now`). Events after `now`
//!   are ignored, so `--now` in the past audits the log as it was then.
//! - **Range** `[since, until)`: a stay is counted when it *entered* the
//!   stage in the range (a cohort by entry). Its time is measured in full,
//!   to its exit or, when still open, to `now`; open stays are included, so
//!   a record stuck for weeks pushes the median up instead of vanishing.
//!   Exits before Active Care are counted when the terminal transition
//!   happened in the range. `current` and `no_owner_action` describe the
//!   records in the stage at `now` and ignore the range.
//! - **Time in stage** (`median_seconds` …): working seconds under the
//!   stage's SLA calendar (24x7 when it has none) minus the working seconds
//!   of paused spans. **Wall time** (`median_wall_seconds` …): plain elapsed
//!   seconds. Terminal stages have no time statistics.
//! - A stay is **paused** while its sub-status is one the current pipeline
//!   marks `pauses = true` (the entry sub-status counts); a sub-status the
//!   pipeline no longer knows falls back to the logged event kind
//!   (`pause`/`resume`).
//! - A **breach** is a counted stay whose time in stage reached the stage's
//!   current `sla.max` (`>=`, the instant the live clock turns red). Its
//!   reason is the stay's `ack` reason, else the reason of the transition
//!   that ended it when that code is one of the stage's `breach_reasons`,
//!   else `unacknowledged`.
//! - A **re-entry** is a counted stay that is not the record's first visit
//!   to that stage (earlier visits count even when outside the range).
//! - **Latest vs cumulative**: per record with counted stays in a stage,
//!   the time of its last counted stay and the sum of all of them, averaged
//!   over those records.
//! - **No owner action**: a record in the stage now that is unassigned, or
//!   whose assignee has logged no event on it (the assignment itself counts)
//!   for longer than the stage's warn threshold, measured like time in stage
//!   from the later of that event and the stay's start.
//! - **Exit before Active Care**: a transition into a terminal stage by a
//!   record that never entered a stage of the phase marked
//!   `active_care = true` (and whose terminal stage is not in that phase),
//!   counted by the stage it left. Empty when no phase is marked.
//! - **Ranking**: stages with time statistics ordered by median (highest
//!   first) and by standard deviation (widest first), each as a share of
//!   the stage's own SLA (`median_of_sla`, `stddev_of_sla`); stages without
//!   an SLA after, by raw duration; ties in pipeline order.
//!   `highest_median` and `widest_variance` name the first of each that
//!   has an SLA (a spread needs two stays and a non-zero deviation).

mod clocks;
mod drill;
mod rec;
mod report;
mod scan;
pub mod stats;
mod stays;
mod tally;
mod util;

pub use drill::Drill;
pub use report::{AuditReport, ExitCount, ReasonCount, StageAudit, StaysUse};
pub use scan::Auditor;
pub use stays::{StayRow, StayView, stays_key};

use crate::log::EventKind;

/// The reason reported for a breach nobody explained.
pub const UNACKNOWLEDGED: &str = "unacknowledged";

/// One logged event as the audit reads it (borrowed from the scan's row).
#[derive(Debug, Clone, Copy)]
pub struct AuditEvent<'a> {
    pub record_id: i64,
    pub at: i64,
    pub actor: &'a str,
    pub kind: EventKind,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub data: Option<&'a str>,
}

impl<'a> AuditEvent<'a> {
    /// A stored event as the audit reads it: None for an event about no
    /// record, or of a kind this carequeue does not know (it changes no
    /// stay; `verify` names it).
    pub fn of(e: &'a crate::log::EventRow) -> Option<AuditEvent<'a>> {
        Some(AuditEvent {
            record_id: e.record_id?,
            at: e.at,
            actor: &e.actor,
            kind: e.kind.known()?,
            from: e.from.as_deref(),
            to: e.to.as_deref(),
            reason: e.reason.as_deref(),
            data: e.data.as_deref(),
        })
    }
}

/// Half-open range of unix seconds; `None` ends are unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditRange {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl AuditRange {
    pub const ALL: AuditRange = AuditRange {
        since: None,
        until: None,
    };

    pub fn contains(&self, t: i64) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}
