//! Stays as rows: what the stays table keeps of each visit of a record to
//! a stage, built from the log by the same pass that audits it, and read
//! back into that pass so an audit over stays counts exactly what an audit
//! over the log counts.
//!
//! A row holds what the audit cannot judge again without the log (when the
//! stay began and ended, its working and paused time, how it ended, its
//! acknowledged reason) and nothing it judges at query time: whether the
//! stay breached is decided against the stage's SLA maximum then, so a
//! changed maximum re-judges past stays. What a row's numbers depend on of
//! the pipeline (calendars, pausing sub-statuses, stage owners, the active
//! care phase, stage renames) is summed up by [`stays_key`]: rows built
//! under another key are stale and are built again.

use super::clocks::Clocks;
use super::rec::{At, Rec};
use super::scan::{Auditor, NONE};
use super::util::{Interner, breach_reason_given, clamp_u32};
use super::{AuditEvent, AuditRange};
use crate::domain::Pipeline;
use crate::log::EventKind;
use sha2::{Digest, Sha256};

/// One stay as the stays table keeps it. `visit` numbers a record's stays
/// from 1 in log order; visit 0 is what came before its first stay (a
/// record adopted by a snapshot), kept for its events and its exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StayRow {
    pub record_id: i64,
    pub visit: u32,
    /// The stage as the entering event logged it (resolved, renames
    /// included, when read); None before the first stay.
    pub stage: Option<String>,
    pub entered: i64,
    /// None while the stay is open.
    pub left: Option<i64>,
    /// Working seconds in the stage, pauses excluded (closed stays).
    pub working: Option<i64>,
    /// Working seconds paused: all of them when closed; of the pauses
    /// that ended, when open.
    pub paused: i64,
    /// Open stays: paused since, if the clock is paused now.
    pub paused_since: Option<i64>,
    /// Open stays: the assignee's latest event (or the assignment).
    pub owner_acted: Option<i64>,
    /// Open stays: of `paused`, the part after `owner_acted`.
    pub paused_after_action: i64,
    /// Open stays: someone is assigned.
    pub assigned: bool,
    /// Not the record's first stay in this stage.
    pub re_entry: bool,
    /// The record had been in the active-care phase by this stay's end.
    pub ever_active: bool,
    /// The breach reason acknowledged during the stay.
    pub ack: Option<String>,
    /// The event that ended the stay, as logged.
    pub exit_kind: Option<EventKind>,
    pub exit_from: Option<String>,
    pub exit_to: Option<String>,
    pub exit_reason: Option<String>,
    /// The record's events from the one that began the stay up to the one
    /// that ended it.
    pub events: u32,
}

impl StayRow {
    /// A stay's wall time, once it has ended.
    pub fn wall(&self) -> Option<i64> {
        Some(self.left? - self.entered)
    }

    /// The row with its text borrowed, as the audit reads it.
    pub fn view(&self) -> StayView<'_> {
        StayView {
            record_id: self.record_id,
            visit: self.visit,
            stage: self.stage.as_deref(),
            entered: self.entered,
            left: self.left,
            paused: self.paused,
            paused_since: self.paused_since,
            owner_acted: self.owner_acted,
            paused_after_action: self.paused_after_action,
            assigned: self.assigned,
            re_entry: self.re_entry,
            ever_active: self.ever_active,
            ack: self.ack.as_deref(),
            exit_kind: self.exit_kind,
            exit_from: self.exit_from.as_deref(),
            exit_to: self.exit_to.as_deref(),
            exit_reason: self.exit_reason.as_deref(),
            events: self.events,
        }
    }
}

/// What the audit reads of a row (see [`StayRow`]), its text borrowed
/// from wherever the row was read, so reading allocates nothing.
#[derive(Debug, Clone, Copy)]
pub struct StayView<'a> {
    pub record_id: i64,
    pub visit: u32,
    pub stage: Option<&'a str>,
    pub entered: i64,
    pub left: Option<i64>,
    pub paused: i64,
    pub paused_since: Option<i64>,
    pub owner_acted: Option<i64>,
    pub paused_after_action: i64,
    pub assigned: bool,
    pub re_entry: bool,
    pub ever_active: bool,
    pub ack: Option<&'a str>,
    pub exit_kind: Option<EventKind>,
    pub exit_from: Option<&'a str>,
    pub exit_to: Option<&'a str>,
    pub exit_reason: Option<&'a str>,
    pub events: u32,
}

/// What a pass that builds stays keeps per record, beside its state.
#[derive(Clone, Copy)]
pub(super) struct Visit {
    record_id: i64,
    visit: u32,
    /// Events since the current stay (or the record) began.
    pending: u32,
    first_at: i64,
    /// The current stay's stage as logged (interned).
    stage: u32,
}

/// The building side of an [`Auditor`]: rows made so far.
#[derive(Default)]
pub(super) struct Collect {
    visits: Vec<Visit>,
    stages: Interner,
    rows: Vec<StayRow>,
}

fn name(i: &Interner, n: u32) -> Option<String> {
    i.names.get(n as usize).cloned()
}

impl<'p> Auditor<'p> {
    /// A pass that builds the stays table's rows from the log (events in
    /// log order, as for an audit) rather than auditing. `now` only sizes
    /// the calendars' tables; every event counts, whenever it happened.
    pub fn stays_builder(p: &'p Pipeline, now: i64) -> Auditor<'p> {
        let mut a = Auditor::new(p, AuditRange::ALL, now);
        a.now = i64::MAX;
        a.collect = Some(Collect::default());
        a
    }

    /// Every stay of one record from its events, oldest first.
    pub fn stays_of<'e>(
        p: &'p Pipeline,
        events: impl IntoIterator<Item = AuditEvent<'e>>,
    ) -> Vec<StayRow> {
        // Building, not counting: which stages loop does not matter.
        let loops = vec![true; p.stages.len()];
        let mut a = Auditor::with_clocks(p, AuditRange::ALL, i64::MAX, Clocks::plain(p), loops);
        a.collect = Some(Collect::default());
        for e in events {
            a.push(&e);
        }
        a.finish_stays()
    }

    /// The rows built so far (stays that have ended), to write out.
    pub fn drain_stays(&mut self) -> Vec<StayRow> {
        self.collect
            .as_mut()
            .map(|c| std::mem::take(&mut c.rows))
            .unwrap_or_default()
    }

    /// The remaining rows: every record's open stay.
    pub fn finish_stays(mut self) -> Vec<StayRow> {
        for slot in 0..self.recs.len() as u32 {
            let pending = self
                .collect
                .as_ref()
                .and_then(|c| c.visits.get(slot as usize))
                .map_or(0, |v| v.pending);
            if self.recs[slot as usize].has_stay || pending > 0 {
                self.emit(slot, None, None);
            }
        }
        self.drain_stays()
    }

    /// Before `e` changes the record's state: a stay boundary ends the
    /// current stay's row.
    pub(super) fn collect_event(&mut self, slot: u32, e: &AuditEvent) {
        let Some(c) = self.collect.as_mut() else {
            return;
        };
        let i = slot as usize;
        if c.visits.len() <= i {
            c.visits.resize(
                i + 1,
                Visit {
                    record_id: e.record_id,
                    visit: 0,
                    pending: 0,
                    first_at: e.at,
                    stage: NONE,
                },
            );
        }
        if c.visits[i].pending == 0 && c.visits[i].visit == 0 {
            c.visits[i].first_at = e.at;
            c.visits[i].record_id = e.record_id;
        }
        let boundary = matches!(
            e.kind,
            EventKind::Create | EventKind::Transition | EventKind::Timer | EventKind::Override
        );
        if !boundary {
            c.visits[i].pending += 1;
            return;
        }
        let stage = e.to.map_or(NONE, |t| c.stages.get(t));
        let (pending, has_stay) = (c.visits[i].pending, self.recs[i].has_stay);
        if has_stay || pending > 0 || e.kind != EventKind::Create {
            self.emit(slot, Some(e.at), Some(e));
        }
        if let Some(c) = self.collect.as_mut() {
            let v = &mut c.visits[i];
            v.visit += 1;
            v.pending = 1;
            v.stage = stage;
        }
    }

    /// The row of the record's current stay (or of what came before its
    /// first), ending at `end` by `exit`, or open.
    fn emit(&mut self, slot: u32, end: Option<i64>, exit: Option<&AuditEvent>) {
        let r = self.recs[slot as usize];
        let six = if r.has_stay { self.stage_of(&r) } else { None };
        let cal = self.clocks.of(six);
        let Some(c) = self.collect.as_mut() else {
            return;
        };
        let Some(v) = c.visits.get(slot as usize).copied() else {
            return;
        };
        let (visit, stage, entered) = if r.has_stay {
            (v.visit, name(&c.stages, v.stage), r.entered_at())
        } else {
            (0, None, v.first_at)
        };
        let paused_work = i64::from(r.paused_work);
        let (working, paused) = match (end, six) {
            (Some(end), Some(_)) => {
                let open = r
                    .paused_since
                    .get()
                    .map_or(0, |s| cal.work(s.max(entered), end));
                let paused = paused_work + open;
                (Some(cal.work(entered, end) - paused), paused)
            }
            _ => (None, paused_work),
        };
        let open = end.is_none();
        let ack = (r.ack != NONE)
            .then(|| name(&self.reasons, r.ack))
            .flatten();
        let row = StayRow {
            record_id: v.record_id,
            visit,
            stage,
            entered,
            left: end,
            working,
            paused,
            paused_since: if open { r.paused_since.get() } else { None },
            owner_acted: if open {
                r.last_owner_action.get()
            } else {
                None
            },
            paused_after_action: if open {
                i64::from(r.paused_after_action)
            } else {
                0
            },
            assigned: open && r.assignee != NONE,
            re_entry: r.has_stay && r.re_entry,
            ever_active: r.ever_active,
            ack: if r.has_stay { ack } else { None },
            exit_kind: exit.map(|e| e.kind),
            exit_from: exit.and_then(|e| e.from).map(str::to_string),
            exit_to: exit.and_then(|e| e.to).map(str::to_string),
            exit_reason: exit.and_then(|e| e.reason).map(str::to_string),
            events: v.pending,
        };
        if let Some(c) = self.collect.as_mut() {
            c.rows.push(row);
        }
    }

    /// One counted stay of the record whose rows are arriving.
    pub(super) fn grouped(&mut self, slot: u32, stage: usize, active: u32) {
        if self.group.0 != slot {
            self.flush_group();
            self.group.0 = slot;
        }
        match self.group.1.iter_mut().find(|g| g.0 == stage) {
            Some(g) => {
                g.1 = active;
                g.2 += u64::from(active);
            }
            None => self.group.1.push((stage, active, u64::from(active))),
        }
    }

    /// Adds the last record's per-stage figures (latest and cumulative).
    pub(super) fn flush_group(&mut self) {
        for (stage, latest, cum) in self.group.1.drain(..) {
            if let Some(a) = self.acc.get_mut(stage) {
                a.grouped += 1;
                a.grouped_latest += u64::from(latest);
                a.grouped_cum += cum;
            }
        }
    }

    /// An audit over stays rather than the log: push every row of the
    /// stays table (each record's in visit order), then [`Auditor::finish`].
    /// The rows must be built under the pipeline's [`stays_key`] and `now`
    /// must not precede any of their events.
    pub fn over_stays(p: &'p Pipeline, range: AuditRange, now: i64) -> Auditor<'p> {
        let mut a = Auditor::new(p, range, now);
        a.all_slots = true;
        a.stays_slots = Some(0);
        a
    }

    /// Takes one row of the stays table (see [`Auditor::over_stays`]).
    pub fn push_stay(&mut self, s: &StayRow) {
        self.push_view(&s.view());
    }

    /// [`Auditor::push_stay`] of a row read in place.
    pub fn push_view(&mut self, s: &StayView) {
        let p = self.p;
        self.events += u64::from(s.events);
        let slot = self.slot(s.record_id);
        let six = s.stage.and_then(|t| p.stage_ix_or_renamed(t));
        let moved = matches!(
            s.exit_kind,
            Some(EventKind::Transition | EventKind::Timer | EventKind::Override)
        );
        let to = s.exit_to.and_then(|t| p.stage_ix_or_renamed(t));
        if let (Some(stage), true) = (six, s.visit > 0) {
            let ack = s.ack.map_or(NONE, |c| self.reasons.get(c));
            let r = Rec {
                entered: At::of(s.entered),
                paused_since: s.paused_since.map_or(At::NONE, At::of),
                last_owner_action: s.owner_acted.map_or(At::NONE, At::of),
                paused_work: clamp_u32(s.paused),
                paused_after_action: clamp_u32(s.paused_after_action),
                visited: 0,
                re_entry: s.re_entry,
                ack,
                assignee: if s.assigned { 0 } else { NONE },
                stage: stage.0.min(super::scan::NO_STAGE as usize - 1) as u16,
                has_stay: true,
                ever_active: s.ever_active,
            };
            let given = match s.exit_kind {
                Some(k) if moved => breach_reason_given(p, k, Some(stage), to, s.exit_reason),
                _ => None,
            };
            let end = s.left.unwrap_or(self.now);
            self.close_rec(slot, r, end, given, s.left.is_none());
        }
        if moved && let Some(at) = s.left {
            let from = if s.visit > 0 { six } else { None };
            self.count_exit(slot, from, to, s.exit_from, at, s.ever_active);
        }
    }
}

/// What the stays table's rows depend on of pipeline `p`, as a digest:
/// rows built under another key are stale. The SLA maximum, warn time and
/// breach reasons are not in it: the audit judges those at query time.
pub fn stays_key(p: &Pipeline) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update(s.as_bytes());
        h.update([0]);
    };
    for st in &p.stages {
        put(&st.id);
        put(&format!("{:?}", st.owner.map(|o| &p.roles[o.0].id)));
        put(&format!(
            "{} {}",
            st.terminal, p.phases[st.phase.0].active_care
        ));
        put(&format!("{:?}", st.initial_substatus));
        for x in &st.substatuses {
            put(&format!("{} {}", x.id, x.pauses));
        }
        put(&st
            .sla
            .as_ref()
            .map_or("none".into(), |s| p.calendar(s).fingerprint()));
    }
    let mut renames: Vec<(&String, &str)> = p
        .renames
        .stages
        .iter()
        .map(|(old, ix)| (old, p.stage(*ix).id.as_str()))
        .collect();
    renames.sort();
    put(&format!("{renames:?}"));
    crate::log::hex(&h.finalize())
}

#[cfg(test)]
#[path = "stays_tests.rs"]
mod tests;
