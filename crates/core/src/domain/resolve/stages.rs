//! Stages: owner, SLA, sub-statuses, escalations.

use super::{Resolver, WarnAt, index, sp};
use crate::domain::codes as c;
use crate::domain::duration::Secs;
use crate::domain::model::*;
use crate::domain::raw::*;
use std::collections::HashMap;

impl Resolver {
    pub(super) fn stage(
        &mut self,
        s: &RawStage,
        roles: &HashMap<String, usize>,
        phases: &HashMap<String, usize>,
        cals: &HashMap<String, usize>,
        codes: &HashMap<String, usize>,
    ) -> Option<Stage> {
        let id = s.id.get_ref();
        let phase = self.lookup(phases, PhaseIx, &s.phase, c::UNKNOWN_PHASE, "phase");
        // Each part is checked even when an earlier one failed, so every
        // problem of the stage is reported at once; `None` means "failed".
        let owner = match &s.owner {
            Some(o) => self
                .lookup(roles, RoleIx, o, c::UNKNOWN_ROLE, "role")
                .map(Some),
            None => {
                if !s.terminal {
                    self.err(c::MISSING_OWNER, sp(&s.id), format!("non-terminal stage `{id}` has no `owner` role: who owns the record here?"));
                }
                Some(None)
            }
        };
        let sla = match &s.sla {
            None => {
                if !s.terminal {
                    self.err(
                        c::MISSING_SLA,
                        sp(&s.id),
                        format!("non-terminal stage `{id}` has no `sla`"),
                    );
                }
                Some(None)
            }
            Some(raw_sla) => self.sla(id, raw_sla, cals).map(Some),
        };
        if !s.terminal && s.breach_reasons.is_empty() {
            self.warn(
                c::NO_BREACH_REASONS,
                sp(&s.id),
                format!("stage `{id}` has no `breach_reasons`; breaches cannot be explained"),
            );
        }
        let breach_reasons = self.reasons(codes, &s.breach_reasons);
        let substatuses: Vec<Substatus> = s
            .substatuses
            .iter()
            .map(|x| Substatus {
                id: x.id.get_ref().clone(),
                label: x.label.clone().unwrap_or_else(|| x.id.get_ref().clone()),
                pauses: x.pauses,
            })
            .collect();
        index(self, "sub-status", s.substatuses.iter().map(|x| &x.id));
        let mut initial_ok = true;
        if let Some(init) = &s.initial_substatus
            && !substatuses.iter().any(|x| &x.id == init.get_ref())
        {
            initial_ok = false;
            self.err(
                c::UNKNOWN_SUBSTATUS,
                sp(init),
                format!(
                    "stage `{id}`: initial sub-status `{}` is not one of its substatuses",
                    init.get_ref()
                ),
            );
        }
        let mut escalations = Vec::new();
        for e in &s.escalations {
            let after = self.duration(&e.after, "escalation `after`");
            let mut role = |r: &Option<S>| -> Option<Option<RoleIx>> {
                match r {
                    None => Some(None),
                    Some(r) => match roles.get(r.get_ref()) {
                        Some(i) => Some(Some(RoleIx(*i))),
                        None => {
                            self.err(c::ESCALATION_ROLE, sp(r), format!("stage `{id}` escalates to role `{}`, which nobody can hold (not in [[roles]])", r.get_ref()));
                            None
                        }
                    },
                }
            };
            let notify = role(&e.notify);
            let reassign = role(&e.reassign);
            let priority = match &e.priority {
                None => Some(None),
                Some(p) => match p.get_ref().parse::<Priority>().ok() {
                    Some(p) => Some(Some(p)),
                    None => {
                        self.err(
                            c::BAD_VALUE,
                            sp(p),
                            format!("unknown priority `{}` (normal, high, urgent)", p.get_ref()),
                        );
                        None
                    }
                },
            };
            escalations.push(Some(Escalation {
                after: after?,
                notify: notify?,
                reassign: reassign?,
                priority: priority?,
            }));
        }
        let escalations: Option<Vec<Escalation>> = escalations.into_iter().collect();
        if !initial_ok {
            return None;
        }
        Some(Stage {
            id: id.clone(),
            name: s.name.clone().unwrap_or_else(|| id.clone()),
            phase: phase?,
            owner: owner?,
            terminal: s.terminal,
            disposition: s.disposition.clone(),
            sla: sla?,
            breach_reasons: breach_reasons?,
            substatuses,
            initial_substatus: s.initial_substatus.as_ref().map(|x| x.get_ref().clone()),
            escalations: escalations?,
        })
    }

    pub(super) fn sla(
        &mut self,
        id: &str,
        raw: &toml::Spanned<RawSla>,
        cals: &HashMap<String, usize>,
    ) -> Option<Sla> {
        let r = raw.get_ref();
        let max = match self.duration(&r.max, "SLA `max`") {
            Some(m) if m.0 <= 0 => {
                self.err(
                    c::BAD_DURATION,
                    sp(&r.max),
                    format!("stage `{id}`: SLA max must be positive"),
                );
                None
            }
            m => m,
        };
        // `Err(())`: malformed (already reported); `Ok(None)`: not given.
        let warn: Result<Option<WarnAt>, ()> = match &r.warn {
            None => Ok(None),
            Some(w) => match w.get_ref().strip_suffix('%') {
                Some(pct) => match pct.trim().parse::<i64>() {
                    Ok(p) if (0..=100).contains(&p) => Ok(Some(WarnAt::Percent(p))),
                    _ => {
                        self.err(c::BAD_DURATION, sp(w), format!("malformed warn threshold `{}` (a duration, or a percentage 0-100%)", w.get_ref()));
                        Err(())
                    }
                },
                None => self
                    .duration(w, "SLA `warn`")
                    .map(|d| Some(WarnAt::After(d)))
                    .ok_or(()),
            },
        };
        let calendar = match &r.calendar {
            None => Some(None),
            Some(cal) if cal.get_ref() == "24x7" => Some(None),
            Some(cal) => self
                .lookup(cals, CalendarIx, cal, c::UNKNOWN_CALENDAR, "calendar")
                .map(Some),
        };
        let (max, warn, calendar) = (max?, warn.ok()?, calendar?);
        let (warnings, repeat) = self.warnings(id, max, r.warn_at.as_ref(), r.repeat.as_ref())?;
        let warn = match warn {
            None => Secs(max.0 * 3 / 4),
            Some(WarnAt::Percent(p)) => Secs(max.0 * p / 100),
            Some(WarnAt::After(d)) => d,
        };
        if warn >= max {
            let span = r.warn.as_ref().map_or(raw.span(), sp);
            self.err(
                c::WARN_NOT_BELOW_MAX,
                span,
                format!("stage `{id}`: warn threshold {warn} is not below the maximum {max}"),
            );
        }
        Some(Sla {
            max,
            warn,
            calendar,
            warnings,
            repeat,
        })
    }
}
