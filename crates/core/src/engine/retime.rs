//! An open record under a newly applied pipeline: its clock recomputed
//! from when it entered its stage and the pauses of that stay, its timer
//! and its escalation roles carried over. `pipeline apply` and replay both
//! call these, so `verify` agrees with what apply wrote, without an event
//! per record.

use super::record::Record;
use super::sla::{self, ClockState};
use super::timers;
use crate::domain::{Pipeline, StageIx};
use crate::log::EventKind;
use chrono::{DateTime, Utc};

/// The pause and resume events of the current stay, in order: `(at, true)`
/// for a pause, `(at, false)` for a resume.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stay {
    pub marks: Vec<(i64, bool)>,
}

impl Stay {
    /// Follows one replayed event: entering a stage starts a new stay (a
    /// `snapshot` does not: it records a stay already under way).
    pub fn observe(&mut self, kind: EventKind, at: i64) {
        match kind {
            k if k.enters_stage() => self.marks.clear(),
            EventKind::Pause => self.marks.push((at, true)),
            EventKind::Resume => self.marks.push((at, false)),
            _ => {}
        }
    }
}

/// What of a stage decides its records' clocks and timers, by ids (never
/// indices), so two pipelines can be compared stage by stage.
pub fn clock_key(p: &Pipeline, stage: StageIx) -> String {
    let s = p.stage(stage);
    let sla = s.sla.as_ref().map(|x| {
        let cal = x.calendar.map(|c| {
            let named = &p.calendars[c.0];
            format!("{}={:?}", named.id, named.calendar)
        });
        let warnings: Vec<i64> = x.warnings.iter().map(|t| t.after.0).collect();
        (x.max.0, x.warn.0, cal, warnings, x.repeat.map(|r| r.0))
    });
    let subs: Vec<(&str, bool)> = s
        .substatuses
        .iter()
        .map(|x| (x.id.as_str(), x.pauses))
        .collect();
    let escalations: Vec<String> = s
        .escalations
        .iter()
        .map(|e| {
            format!(
                "{}:{:?}:{:?}:{:?}",
                e.after.0,
                e.notify.map(|r| &p.role(r).id),
                e.reassign.map(|r| &p.role(r).id),
                e.priority
            )
        })
        .collect();
    let timers: Vec<String> = p
        .timers
        .iter()
        .filter(|t| t.stage == stage)
        .map(|t| {
            let when = match &t.when {
                crate::domain::TimerWhen::AfterInStage(d) => format!("after {}", d.0),
                crate::domain::TimerWhen::AtField {
                    field,
                    plus_days_field,
                    offset,
                } => format!(
                    "at {} + {:?} + {}",
                    p.field(*field).id,
                    plus_days_field.map(|f| &p.field(f).id),
                    offset.0
                ),
            };
            format!("{}:{when}", p.transition(t.transition).event)
        })
        .collect();
    format!(
        "{sla:?}|{subs:?}|{:?}|{escalations:?}|{timers:?}|{}",
        s.initial_substatus,
        p.timezone.name()
    )
}

/// The stages (by id in `new`) whose records need their clocks recomputed:
/// new to `new`, or keyed differently than in `old`.
pub fn changed_stages(old: &Pipeline, new: &Pipeline) -> Vec<String> {
    new.stage_ids()
        .filter(|(ix, s)| {
            !s.terminal
                && match old.stage_ix(&s.id) {
                    Some(o) => clock_key(old, o) != clock_key(new, *ix),
                    None => true,
                }
        })
        .map(|(_, s)| s.id.clone())
        .collect()
}

/// Escalation roles renamed by `new` follow their new ids.
pub fn carry_roles(new: &Pipeline, r: &mut Record) {
    for role in [&mut r.owner_role, &mut r.notify_role] {
        if let Some(old) = role.as_deref()
            && new.role_ix(old).is_none()
            && let Some(ix) = new.renames.roles.get(old)
        {
            *role = Some(new.role(*ix).id.clone());
        }
    }
}

/// Recomputes `r`'s clock and timer under `p`: the stay's SLA from
/// `entered_at`, then each pause and resume of the stay in turn. A stay
/// whose first mark is a resume began paused. Levels of escalation that
/// fired stay fired. Records in stages `p` lacks, or terminal, are left.
pub fn retime(p: &Pipeline, r: &mut Record, stay: &Stay) {
    let Some(stage) = p.stage_ix(&r.stage) else {
        return;
    };
    if p.stage(stage).terminal {
        return;
    }
    let began_paused = stay
        .marks
        .first()
        .map_or(r.paused_since.is_some(), |(_, pause)| !pause);
    let mut c = sla::on_enter(p, stage, at(r.entered_at), began_paused);
    for (t, pause) in &stay.marks {
        c = if *pause {
            sla::pause(p, stage, c, at(*t))
        } else {
            sla::resume(p, stage, c, at(*t))
        };
    }
    let ClockState {
        due_at,
        warn_at,
        paused_since,
        paused_left,
    } = c;
    r.due_at = due_at;
    r.warn_at = warn_at;
    r.paused_since = paused_since;
    r.paused_left = paused_left;
    timers::refresh(p, r);
    super::warnings::refresh(p, r);
}

fn at(t: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(t, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DEFAULT_PIPELINE, check};
    use crate::engine::replay;

    const H: i64 = 3600;
    const T: i64 = 1_772_460_000; // a Monday afternoon, 2026-03-02

    fn pipelines() -> (Pipeline, Pipeline) {
        let old = check(DEFAULT_PIPELINE).pipeline.expect("default");
        let text = DEFAULT_PIPELINE.replace(
            "sla = { max = \"24h\", warn = \"18h\", warn_at = [\"50%\", \"80%\"] }",
            "sla = { max = \"48h\", warn = \"36h\", warn_at = [\"50%\", \"80%\"] }",
        );
        (old, check(&text).pipeline.expect("variant"))
    }

    fn waiting(entered: i64) -> Record {
        let mut r = replay::empty(1);
        r.stage = "pending_provider".into();
        r.entered_at = entered;
        r
    }

    #[test]
    fn a_running_stay_is_due_its_new_sla_after_it_entered() {
        let (old, new) = pipelines();
        assert_eq!(changed_stages(&old, &new), ["pending_provider"]);
        let mut r = waiting(T);
        retime(&new, &mut r, &Stay::default());
        assert_eq!(r.due_at, Some(T + 48 * H));
        assert_eq!(r.warn_at, Some(T + 36 * H));
        assert_eq!((r.paused_since, r.paused_left), (None, None));
    }

    #[test]
    fn pauses_of_the_stay_are_replayed_under_the_new_sla() {
        let (_, new) = pipelines();
        let mut r = waiting(T);
        // Ran 2h, paused 5h, resumed: 46h left of the new 48h.
        let stay = Stay {
            marks: vec![(T + 2 * H, true), (T + 7 * H, false)],
        };
        retime(&new, &mut r, &stay);
        assert_eq!(r.due_at, Some(T + 7 * H + 46 * H));
        // Still paused: the time left is kept, no due time.
        let mut r = waiting(T);
        let stay = Stay {
            marks: vec![(T + 2 * H, true)],
        };
        retime(&new, &mut r, &stay);
        assert_eq!((r.due_at, r.paused_left), (None, Some(46 * H)));
        assert_eq!(r.paused_since, Some(T + 2 * H));
    }

    #[test]
    fn a_stay_whose_first_mark_is_a_resume_began_paused() {
        let (_, new) = pipelines();
        let mut r = waiting(T);
        let stay = Stay {
            marks: vec![(T + 3 * H, false)],
        };
        retime(&new, &mut r, &stay);
        assert_eq!(r.due_at, Some(T + 3 * H + 48 * H));
    }

    #[test]
    fn terminal_and_unknown_stages_are_left_alone() {
        let (_, new) = pipelines();
        for stage in ["care_completed", "no_such_stage"] {
            let mut r = waiting(T);
            r.stage = stage.into();
            r.due_at = Some(42);
            retime(&new, &mut r, &Stay::default());
            assert_eq!(r.due_at, Some(42), "{stage}");
        }
    }

    #[test]
    fn entering_a_stage_starts_a_new_stay_and_a_snapshot_does_not() {
        let mut s = Stay::default();
        s.observe(EventKind::Pause, 1);
        s.observe(EventKind::Snapshot, 2);
        s.observe(EventKind::Resume, 3);
        assert_eq!(s.marks, [(1, true), (3, false)]);
        s.observe(EventKind::Note, 4);
        s.observe(EventKind::Transition, 5);
        assert!(s.marks.is_empty());
    }
}
