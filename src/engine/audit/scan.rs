//! The one-pass reduction: events → stays → per-stage accumulators.

use super::report::{Acc, AuditReport};
use super::{AuditEvent, AuditRange, UNACKNOWLEDGED};
use crate::domain::calendar::Calendar;
use crate::domain::{Pipeline, StageIx};
use crate::engine::clock::from_unix;
use std::collections::{BTreeMap, HashMap};

/// Streams events into per-stage statistics. Feed each record's events
/// contiguously, oldest first; then [`Auditor::finish`].
pub struct Auditor<'p> {
    p: &'p Pipeline,
    range: AuditRange,
    now: i64,
    /// Stage is in the phase marked `active_care`.
    active: Vec<bool>,
    has_active_phase: bool,
    pub(super) acc: Vec<Acc>,
    pub(super) reasons: Interner,
    pub(super) exits: Vec<u64>,
    /// Exits from stages the pipeline no longer has, by logged id.
    pub(super) exits_unknown: BTreeMap<String, u64>,
    pub(super) events: u64,
    pub(super) records: u64,
    rec: RecState,
}

/// Reason codes as small integers; 0 is [`UNACKNOWLEDGED`].
#[derive(Default)]
pub(super) struct Interner {
    pub(super) names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    fn get(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }
}

struct Stay {
    stage: Option<StageIx>,
    entered: i64,
    paused_since: Option<i64>,
    ack: Option<u32>,
    /// Earlier visits of this record to this stage.
    ordinal: u32,
}

#[derive(Default)]
struct RecState {
    id: Option<i64>,
    stay: Option<Stay>,
    /// Closed pause spans of the open stay (allocation reused).
    pauses: Vec<(i64, i64)>,
    assignee: Option<String>,
    last_owner_action: i64,
    substatus: Option<String>,
    ever_active: bool,
    visits: Vec<u32>,
    /// Per stage: (cumulative, latest, counted) time of counted stays.
    per_stage: Vec<(u64, u32, bool)>,
    touched: Vec<usize>,
}

fn clamp_u32(v: i64) -> u32 {
    v.clamp(0, i64::from(u32::MAX)) as u32
}

/// Working seconds in `[from, to)` under `cal` minus those of `pauses`.
fn active_secs(cal: &Calendar, from: i64, to: i64, pauses: &[(i64, i64)]) -> i64 {
    if to <= from {
        return 0;
    }
    let work = |a: i64, b: i64| match cal {
        Calendar::Always => b - a,
        _ => cal.working_seconds(from_unix(a), from_unix(b)),
    };
    let mut t = work(from, to);
    for &(a, b) in pauses {
        let (a, b) = (a.max(from), b.min(to));
        if b > a {
            t -= work(a, b);
        }
    }
    t.max(0)
}

impl<'p> Auditor<'p> {
    pub fn new(p: &'p Pipeline, range: AuditRange, now: i64) -> Auditor<'p> {
        let n = p.stages.len();
        let active: Vec<bool> = p
            .stages
            .iter()
            .map(|s| p.phases[s.phase.0].active_care)
            .collect();
        let mut reasons = Interner::default();
        reasons.get(UNACKNOWLEDGED);
        Auditor {
            p,
            range,
            now,
            has_active_phase: p.phases.iter().any(|ph| ph.active_care),
            active,
            acc: (0..n).map(|_| Acc::default()).collect(),
            reasons,
            exits: vec![0; n],
            exits_unknown: BTreeMap::new(),
            events: 0,
            records: 0,
            rec: RecState {
                visits: vec![0; n],
                per_stage: vec![(0, 0, false); n],
                ..RecState::default()
            },
        }
    }

    /// Takes the next event. A new `record_id` closes the previous record.
    pub fn push(&mut self, e: &AuditEvent) {
        if self.rec.id != Some(e.record_id) {
            self.end_record();
            self.rec.id = Some(e.record_id);
            self.records += 1;
        }
        if e.at > self.now {
            return;
        }
        self.events += 1;
        match e.kind {
            "create" => self.enter(e.to, e.at),
            "transition" | "timer" | "override" => self.transition(e),
            "claim" | "assign" => {
                self.set_assignee(e.to);
                self.rec.last_owner_action = e.at;
            }
            "release" => self.rec.assignee = None,
            "substatus" | "pause" | "resume" => self.substatus(e),
            "ack" => {
                let r = e.reason.map(|r| self.reasons.get(r));
                if let Some(s) = &mut self.rec.stay {
                    s.ack = r.or(s.ack);
                }
            }
            "escalation" => {
                if e.data.is_some_and(reassigns) {
                    self.rec.assignee = None;
                }
            }
            _ => {}
        }
        if self.rec.assignee.as_deref() == Some(e.actor) {
            self.rec.last_owner_action = e.at;
        }
    }

    /// Closes the last record and reduces everything to the report.
    pub fn finish(mut self) -> AuditReport {
        self.end_record();
        let (p, range, now) = (self.p, self.range, self.now);
        AuditReport::build(p, range, now, self)
    }

    fn set_assignee(&mut self, who: Option<&str>) {
        match (who, &mut self.rec.assignee) {
            (Some(w), Some(cur)) => {
                cur.clear();
                cur.push_str(w);
            }
            (Some(w), slot) => *slot = Some(w.to_string()),
            (None, slot) => *slot = None,
        }
    }

    fn owner(&self, s: Option<StageIx>) -> Option<crate::domain::RoleIx> {
        s.and_then(|s| self.p.stage(s).owner)
    }

    fn transition(&mut self, e: &AuditEvent) {
        let from = self.rec.stay.as_ref().and_then(|s| s.stage);
        let to = e.to.and_then(|t| self.p.stage_ix(t));
        if self.rec.stay.is_some() {
            self.close(e.at, e.reason);
        }
        if let Some(t) = to
            && self.has_active_phase
            && self.p.stage(t).terminal
            && !self.rec.ever_active
            && !self.active[t.0]
            && self.range.contains(e.at)
        {
            match (from, e.from) {
                (Some(f), _) => self.exits[f.0] += 1,
                (None, Some(f)) => *self.exits_unknown.entry(f.to_string()).or_default() += 1,
                (None, None) => {}
            }
        }
        if self.owner(from) != self.owner(to) {
            self.rec.assignee = None;
        }
        self.enter(e.to, e.at);
    }

    fn enter(&mut self, to: Option<&str>, at: i64) {
        if self.rec.stay.is_some() {
            self.close(at, None);
        }
        let stage = to.and_then(|t| self.p.stage_ix(t));
        let mut ordinal = 0;
        let mut paused = false;
        self.rec.substatus = None;
        if let Some(s) = stage {
            ordinal = self.rec.visits[s.0];
            self.rec.visits[s.0] += 1;
            self.rec.ever_active |= self.active[s.0];
            let st = self.p.stage(s);
            if let Some(init) = &st.initial_substatus {
                paused = st.substatus(init).is_some_and(|x| x.pauses);
                self.rec.substatus = Some(init.clone());
            }
        }
        self.rec.pauses.clear();
        self.rec.stay = Some(Stay {
            stage,
            entered: at,
            paused_since: paused.then_some(at),
            ack: None,
            ordinal,
        });
    }

    fn substatus(&mut self, e: &AuditEvent) {
        let Some(stay) = &mut self.rec.stay else {
            return;
        };
        let known = stay.stage.map(|s| self.p.stage(s));
        let pauses = |v: Option<&str>| -> Option<bool> {
            match v {
                None => Some(false),
                Some(v) => known.and_then(|st| st.substatus(v)).map(|x| x.pauses),
            }
        };
        let was = stay.paused_since.is_some();
        let now_paused = match pauses(e.to) {
            Some(p) => p,
            None => match e.kind {
                "pause" => true,
                "resume" => false,
                _ => was,
            },
        };
        match (was, now_paused, stay.paused_since) {
            (false, true, _) => stay.paused_since = Some(e.at),
            (true, false, Some(since)) => {
                self.rec.pauses.push((since, e.at));
                stay.paused_since = None;
            }
            _ => {}
        }
        self.rec.substatus = e.to.map(str::to_string);
    }

    /// Ends the open stay at `at`; `exit_reason` is the leaving transition's.
    fn close(&mut self, at: i64, exit_reason: Option<&str>) {
        let Some(stay) = self.rec.stay.take() else {
            return;
        };
        if let Some(since) = stay.paused_since {
            self.rec.pauses.push((since, at));
        }
        self.count(&stay, at, exit_reason, false);
    }

    fn end_record(&mut self) {
        if let Some(stay) = self.rec.stay.take() {
            if let Some(since) = stay.paused_since {
                self.rec.pauses.push((since, self.now));
            }
            self.count(&stay, self.now, None, true);
        }
        let rec = &mut self.rec;
        for &s in &rec.touched {
            let (cum, latest, counted) = rec.per_stage[s];
            if counted {
                let a = &mut self.acc[s];
                a.records_with_stays += 1;
                a.sum_latest += u64::from(latest);
                a.sum_cumulative += cum;
            }
            rec.per_stage[s] = (0, 0, false);
        }
        rec.touched.clear();
        rec.visits.iter_mut().for_each(|v| *v = 0);
        rec.assignee = None;
        rec.substatus = None;
        rec.ever_active = false;
        rec.last_owner_action = i64::MIN;
        rec.pauses.clear();
    }

    fn count(&mut self, stay: &Stay, end: i64, exit_reason: Option<&str>, open: bool) {
        let Some(six) = stay.stage else {
            return;
        };
        let stage = self.p.stage(six);
        let in_range = self.range.contains(stay.entered);
        let a = &mut self.acc[six.0];
        if open {
            a.current += 1;
        }
        if in_range {
            a.entered += 1;
            if stay.ordinal > 0 {
                a.re_entries += 1;
            }
        }
        if stage.terminal {
            return;
        }
        let cal = match &stage.sla {
            Some(sla) => self.p.calendar(sla),
            None => &Calendar::Always,
        };
        let pauses = &self.rec.pauses;
        if open {
            let unassigned = self.rec.assignee.is_none();
            let idle = !unassigned
                && stage.sla.as_ref().is_some_and(|sla| {
                    let from = self.rec.last_owner_action.max(stay.entered);
                    active_secs(cal, from, end, pauses) > sla.warn.0
                });
            a.unassigned += u64::from(unassigned);
            a.idle_owner += u64::from(idle);
        }
        if !in_range {
            return;
        }
        let active = clamp_u32(active_secs(cal, stay.entered, end, pauses));
        a.active.push(active);
        a.wall.push(clamp_u32(end - stay.entered));
        let slot = &mut self.rec.per_stage[six.0];
        if !slot.2 {
            self.rec.touched.push(six.0);
        }
        *slot = (slot.0 + u64::from(active), active, true);
        if let Some(sla) = &stage.sla
            && i64::from(active) >= sla.max.0
        {
            a.breaches += 1;
            let reason = match (stay.ack, exit_reason) {
                (Some(r), _) => r,
                (None, Some(r)) if stage.breach_reasons.iter().any(|c| c == r) => {
                    self.reasons.get(r)
                }
                _ => 0,
            };
            let r = reason as usize;
            if a.by_reason.len() <= r {
                a.by_reason.resize(r + 1, 0);
            }
            a.by_reason[r] += 1;
        }
    }
}

/// Whether an escalation's data names a role to reassign to.
fn reassigns(data: &str) -> bool {
    if !data.contains("reassign") {
        return false;
    }
    serde_json::from_str::<serde_json::Value>(data)
        .ok()
        .is_some_and(|v| v.get("reassign").is_some_and(|r| !r.is_null()))
}
