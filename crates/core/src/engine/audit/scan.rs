//! The one-pass reduction: events → stays → per-stage accumulators.
//!
//! Events arrive in log order (by id), records interleaved; each record
//! keeps a compact state (one open stay, its pause totals, the assignee) in
//! a slot, so the scan reads the table sequentially and memory is
//! ~56 bytes per record plus 12 bytes per counted stay.

use super::AuditReport;
use super::clocks::Clocks;
use super::drill::Slots;
use super::rec::{At, NEW_REC, Rec};
use super::tally::{Acc, Tally};
use super::util::{Interner, clamp_u32, reassigns};
use super::{AuditEvent, AuditRange, UNACKNOWLEDGED};
use crate::domain::{Pipeline, StageIx};
use crate::log::EventKind;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Record ids below this index a dense table; others go through a map.
const DENSE_IDS: i64 = 1 << 26;
pub(super) const NONE: u32 = u32::MAX;
pub(super) const NO_STAGE: u16 = u16::MAX;

/// Streams events into per-stage statistics; then [`Auditor::finish`].
pub struct Auditor<'p> {
    pub(super) p: &'p Pipeline,
    pub(super) clocks: Clocks<'p>,
    /// Stages the pipeline's graph lets a record enter again: only their
    /// stays keep the record's slot (for latest vs cumulative time).
    pub(super) loops: Vec<bool>,
    /// Keep every stay's slot (after a re-entry the graph does not allow).
    pub(super) all_slots: bool,
    /// A stage outside `loops` was entered again (an override, or history
    /// from an earlier pipeline): the per-record figures need all slots.
    pub(super) unexpected: bool,
    pub(super) range: AuditRange,
    pub(super) now: i64,
    /// Stage is in the phase marked `active_care`.
    pub(super) active: Vec<bool>,
    pub(super) has_active_phase: bool,
    pub(super) acc: Vec<Acc>,
    pub(super) reasons: Interner,
    pub(super) users: Interner,
    pub(super) exits: Vec<u64>,
    /// Exits from stages the pipeline no longer has, by logged id.
    pub(super) exits_unknown: BTreeMap<String, u64>,
    pub(super) events: u64,
    pub(super) recs: Vec<Rec>,
    pub(super) dense: Vec<u32>,
    pub(super) sparse: HashMap<i64, u32>,
    /// Visited stages with index >= 64: (record slot, stage).
    pub(super) visited_hi: HashSet<(u32, u16)>,
    /// The records behind the drill-down counts.
    pub(super) drill: Slots,
    /// Building stays for the stays table rather than counting them.
    pub(super) collect: Option<super::stays::Collect>,
    /// Counting rows of the stays table: how many records so far (no
    /// per-record state is kept: each row carries its own).
    pub(super) stays_slots: Option<u32>,
    /// Of the record whose rows are arriving (stays mode): per stage, its
    /// latest counted stay's time and the sum of them.
    pub(super) group: (u32, Vec<(usize, u32, u64)>),
}

impl<'p> Auditor<'p> {
    /// Keeps every stay's record slot: for a log with re-entries the
    /// pipeline's graph does not allow (see [`Auditor::needs_all_slots`]).
    pub fn keep_all_slots(&mut self) {
        self.all_slots = true;
    }

    /// Whether a stage the graph never re-enters was entered again, so the
    /// per-record figures of this pass are not exact: audit again after
    /// [`Auditor::keep_all_slots`].
    pub fn needs_all_slots(&self) -> bool {
        self.unexpected && !self.all_slots
    }

    /// `now` (unix seconds) ends open stays; events after it are ignored.
    pub fn new(p: &'p Pipeline, range: AuditRange, now: i64) -> Auditor<'p> {
        Auditor::with_clocks(p, range, now, Clocks::new(p, now), p.reenterable())
    }

    /// [`Auditor::new`] with the stages' clocks given (a few stays need no
    /// table of years).
    pub(super) fn with_clocks(
        p: &'p Pipeline,
        range: AuditRange,
        now: i64,
        clocks: Clocks<'p>,
        loops: Vec<bool>,
    ) -> Auditor<'p> {
        let n = p.stages.len();
        let mut reasons = Interner::default();
        reasons.get(UNACKNOWLEDGED);
        Auditor {
            p,
            clocks,
            loops,
            all_slots: false,
            unexpected: false,
            range,
            now,
            active: p
                .stages
                .iter()
                .map(|s| p.phases[s.phase.0].active_care)
                .collect(),
            has_active_phase: p.phases.iter().any(|ph| ph.active_care),
            acc: (0..n).map(|_| Acc::default()).collect(),
            reasons,
            users: Interner::default(),
            exits: vec![0; n],
            exits_unknown: BTreeMap::new(),
            events: 0,
            recs: Vec::new(),
            dense: Vec::new(),
            sparse: HashMap::new(),
            visited_hi: HashSet::new(),
            drill: Slots::new(n),
            collect: None,
            stays_slots: None,
            group: (NONE, Vec::new()),
        }
    }

    /// Makes room for records with ids up to `max_id` at once, rather than
    /// growing (and copying) the tables as they arrive.
    pub fn reserve(&mut self, max_id: i64) {
        let n = usize::try_from(max_id.clamp(0, DENSE_IDS)).unwrap_or(0);
        self.recs.reserve(n.saturating_sub(self.recs.len()));
        if self.dense.len() <= n {
            self.dense.resize(n + 1, NONE);
        }
    }

    pub(super) fn slot(&mut self, id: i64) -> u32 {
        let next = self.stays_slots.unwrap_or(self.recs.len() as u32);
        let s = if (0..DENSE_IDS).contains(&id) {
            let i = id as usize;
            if self.dense.len() <= i {
                self.dense
                    .resize((i + 1).max(self.dense.len() * 3 / 2), NONE);
            }
            if self.dense[i] == NONE {
                self.dense[i] = next;
            }
            self.dense[i]
        } else {
            *self.sparse.entry(id).or_insert(next)
        };
        if s == next {
            match &mut self.stays_slots {
                Some(n) => *n += 1,
                None => self.recs.push(NEW_REC),
            }
        }
        s
    }

    /// Takes the next event. Events must come in log order within each
    /// record (log order overall is the fast, sequential scan).
    pub fn push(&mut self, e: &AuditEvent) {
        if e.at > self.now {
            return;
        }
        self.events += 1;
        let slot = self.slot(e.record_id);
        if self.collect.is_some() {
            self.collect_event(slot, e);
        }
        match e.kind {
            EventKind::Create => self.enter(slot, e.to, e.at),
            EventKind::Transition | EventKind::Timer | EventKind::Override => {
                self.transition(slot, e)
            }
            EventKind::Claim | EventKind::Assign => {
                let who = e.to.map_or(NONE, |u| self.users.get(u));
                let r = &mut self.recs[slot as usize];
                r.assignee = who;
                self.owner_acted(slot, e.at);
            }
            EventKind::Release => self.recs[slot as usize].assignee = NONE,
            EventKind::Substatus | EventKind::Pause | EventKind::Resume => self.substatus(slot, e),
            EventKind::Ack => {
                if let Some(code) = e.reason {
                    let c = self.reasons.get(code);
                    self.recs[slot as usize].ack = c;
                }
            }
            EventKind::Escalation => {
                if e.data.is_some_and(reassigns) {
                    self.recs[slot as usize].assignee = NONE;
                }
            }
            // A snapshot carries a stay already under way and a rename
            // keeps it going under a new id: neither starts or ends one.
            EventKind::Snapshot
            | EventKind::Rename
            | EventKind::SlaWarning
            | EventKind::Note
            | EventKind::User
            | EventKind::Pipeline
            | EventKind::PipelineApplied
            | EventKind::Init => {}
        }
        let r = &self.recs[slot as usize];
        if r.assignee != NONE
            && self
                .users
                .names
                .get(r.assignee as usize)
                .map(String::as_str)
                == Some(e.actor)
        {
            self.owner_acted(slot, e.at);
        }
    }

    /// Records seen so far.
    pub fn records(&self) -> usize {
        self.stays_slots.map_or(self.recs.len(), |n| n as usize)
    }

    /// Closes every open stay at `now` and reduces to the report.
    pub fn finish(mut self) -> AuditReport {
        self.collect = None;
        for slot in 0..self.recs.len() as u32 {
            if self.recs[slot as usize].has_stay {
                self.close(slot, self.now, None, true);
            }
        }
        self.flush_group();
        let records = self.records();
        let drill = self
            .drill
            .into_drill(records, &self.dense, &self.sparse, &self.reasons.names);
        let tally = Tally {
            acc: self.acc,
            reasons: self.reasons.names,
            records,
            exits: self.exits,
            exits_unknown: self.exits_unknown,
            events: self.events,
            drill,
        };
        AuditReport::build(self.p, self.range, self.now, tally)
    }

    pub(super) fn stage_of(&self, r: &Rec) -> Option<StageIx> {
        (r.stage != NO_STAGE).then_some(StageIx(r.stage as usize))
    }

    pub(super) fn owner_acted(&mut self, slot: u32, at: i64) {
        let r = &mut self.recs[slot as usize];
        r.last_owner_action = At::of(at);
        // Pause spans that closed before now do not overlap [at, …).
        r.paused_after_action = 0;
    }

    fn transition(&mut self, slot: u32, e: &AuditEvent) {
        let p = self.p;
        let r = self.recs[slot as usize];
        let from = self.stage_of(&r);
        let to = e.to.and_then(|t| p.stage_ix_or_renamed(t));
        if r.has_stay {
            let given = super::util::breach_reason_given(p, e.kind, from, to, e.reason);
            self.close(slot, e.at, given, false);
        }
        self.count_exit(slot, from, to, e.from, e.at, r.ever_active);
        let owner = |s: Option<StageIx>| s.and_then(|s| p.stage(s).owner);
        if owner(from) != owner(to) {
            self.recs[slot as usize].assignee = NONE;
        }
        self.enter(slot, e.to, e.at);
    }

    /// Counts a move from `from` (`logged_from` as the event named it) to
    /// `to` at `at` as an exit before Active Care, if it is one.
    pub(super) fn count_exit(
        &mut self,
        slot: u32,
        from: Option<StageIx>,
        to: Option<StageIx>,
        logged_from: Option<&str>,
        at: i64,
        ever_active: bool,
    ) {
        if self.collect.is_some() {
            return;
        }
        if let Some(t) = to
            && self.has_active_phase
            && self.p.stage(t).terminal
            && !ever_active
            && !self.active[t.0]
            && self.range.contains(at)
        {
            match (from, logged_from) {
                (Some(f), _) => {
                    self.exits[f.0] += 1;
                    self.drill.exits[f.0].push(slot);
                }
                (None, Some(f)) => *self.exits_unknown.entry(f.to_string()).or_default() += 1,
                (None, None) => {}
            }
        }
    }

    fn enter(&mut self, slot: u32, to: Option<&str>, at: i64) {
        let p = self.p;
        if self.recs[slot as usize].has_stay {
            self.close(slot, at, None, false);
        }
        let stage = to.and_then(|t| p.stage_ix_or_renamed(t));
        let (mut re_entry, mut paused) = (false, false);
        if let Some(s) = stage {
            let st = p.stage(s);
            paused = st
                .initial_substatus
                .as_deref()
                .and_then(|i| st.substatus(i))
                .is_some_and(|x| x.pauses);
            re_entry = self.visit(slot, s);
            self.unexpected |= re_entry && !self.loops[s.0];
        }
        let ever_active = stage.is_some_and(|s| self.active[s.0]);
        let r = &mut self.recs[slot as usize];
        r.has_stay = true;
        r.stage = stage.map_or(NO_STAGE, |s| s.0.min(NO_STAGE as usize - 1) as u16);
        r.entered = At::of(at);
        r.paused_since = if paused { At::of(at) } else { At::NONE };
        r.paused_work = 0;
        r.paused_after_action = 0;
        r.ack = NONE;
        r.ever_active |= ever_active;
        r.re_entry = re_entry;
    }

    /// Marks stage `s` visited; returns whether it was visited before.
    fn visit(&mut self, slot: u32, s: StageIx) -> bool {
        if s.0 < 64 {
            let r = &mut self.recs[slot as usize];
            let bit = 1u64 << s.0;
            let seen = r.visited & bit != 0;
            r.visited |= bit;
            seen
        } else {
            !self.visited_hi.insert((slot, s.0 as u16))
        }
    }

    fn substatus(&mut self, slot: u32, e: &AuditEvent) {
        let r = self.recs[slot as usize];
        if !r.has_stay {
            return;
        }
        let stage = self.stage_of(&r).map(|s| self.p.stage(s));
        let was = r.paused_since != At::NONE;
        let known = match e.to {
            None => Some(false),
            Some(v) => stage.and_then(|st| st.substatus(v)).map(|x| x.pauses),
        };
        let paused = known.unwrap_or(match e.kind {
            EventKind::Pause => true,
            EventKind::Resume => false,
            _ => was,
        });
        if was && !paused {
            let cal = self.clocks.of(self.stage_of(&r));
            let from = r.owner_from();
            let since = r.paused_since.get().unwrap_or(e.at);
            let rm = &mut self.recs[slot as usize];
            rm.paused_work = rm
                .paused_work
                .saturating_add(clamp_u32(cal.work(since, e.at)));
            rm.paused_after_action = rm
                .paused_after_action
                .saturating_add(clamp_u32(cal.work(since.max(from), e.at)));
            rm.paused_since = At::NONE;
        } else if !was && paused {
            self.recs[slot as usize].paused_since = At::of(e.at);
        }
    }

    /// Ends the open stay at `end` and counts it.
    fn close(&mut self, slot: u32, end: i64, exit_reason: Option<&str>, open: bool) {
        let r = self.recs[slot as usize];
        self.recs[slot as usize].has_stay = false;
        self.close_rec(slot, r, end, exit_reason, open);
    }

    /// Counts record `slot`'s stay `r`, ended at `end` (or open then).
    pub(super) fn close_rec(
        &mut self,
        slot: u32,
        r: Rec,
        end: i64,
        exit_reason: Option<&str>,
        open: bool,
    ) {
        let p = self.p;
        let Some(six) = self.stage_of(&r) else {
            return;
        };
        if self.collect.is_some() {
            return;
        }
        let stage = p.stage(six);
        let in_range = self.range.contains(r.entered_at());
        let a = &mut self.acc[six.0];
        if open {
            a.current += 1;
        }
        if in_range {
            a.entered += 1;
            a.re_entries += u64::from(r.re_entry);
        }
        if stage.terminal {
            return;
        }
        let cal = self.clocks.of(Some(six));
        let open_pause = |from: i64| match r.paused_since.get() {
            None => 0,
            Some(since) => cal.work(since.max(from), end),
        };
        if open {
            let unassigned = r.assignee == NONE;
            let idle = !unassigned
                && stage.sla.as_ref().is_some_and(|sla| {
                    let from = r.owner_from();
                    cal.work(from, end) - i64::from(r.paused_after_action) - open_pause(from)
                        > sla.warn.0
                });
            let a = &mut self.acc[six.0];
            a.unassigned += u64::from(unassigned);
            a.idle_owner += u64::from(idle);
            if unassigned || idle {
                self.drill.no_owner_action[six.0].push(slot);
            }
        }
        if !in_range {
            return;
        }
        let entered = r.entered_at();
        let active = cal.work(entered, end) - i64::from(r.paused_work) - open_pause(entered);
        let active = clamp_u32(active);
        let breach_reason = match &stage.sla {
            Some(sla) if i64::from(active) >= sla.max.0 => Some(match (r.ack, exit_reason) {
                (c, _) if c != NONE => c,
                (_, Some(x)) if stage.breach_reasons.iter().any(|c| c == x) => self.reasons.get(x),
                _ => 0,
            }),
            _ => None,
        };
        let a = &mut self.acc[six.0];
        let wall = clamp_u32(end - entered);
        // Wall times are kept apart only once one differs (24x7, no pauses:
        // the same sample), saving a third of the memory on such stages.
        if !a.wall_differs && wall != active {
            a.wall_differs = true;
            a.wall = a.active.clone();
        }
        a.active.push(active);
        if a.wall_differs {
            a.wall.push(wall);
        }
        if self.stays_slots.is_some() {
            // A record's rows arrive together: its figures are summed as
            // they come, with nothing kept per stay.
            self.grouped(slot, six.0, active);
        } else if self.all_slots || self.loops[six.0] {
            a.slots.push(slot);
        } else {
            // Entered once at most (else `unexpected` is set): the stay is
            // the record's latest and all of it.
            a.once += 1;
            a.once_time += u64::from(active);
        }
        if let Some(reason) = breach_reason {
            self.drill.breach(reason, slot);
            let a = &mut self.acc[six.0];
            a.breaches += 1;
            let i = reason as usize;
            if a.by_reason.len() <= i {
                a.by_reason.resize(i + 1, 0);
            }
            a.by_reason[i] += 1;
        }
    }
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
