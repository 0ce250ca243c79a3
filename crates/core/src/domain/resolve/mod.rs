//! Raw file → validated [`Pipeline`]: ids, references, durations, calendars.
//! Every problem is collected; nothing stops at the first.

use super::codes as c;
use super::diag::Diagnostic;
use super::duration::Secs;
use super::model::*;
use super::raw::*;
use std::collections::HashMap;
use std::ops::Range;

mod calendars;
mod renames;
mod stages;
mod transitions;
mod warnings;

#[derive(Default)]
pub(super) struct Resolver {
    pub diags: Vec<Diagnostic>,
    /// `[sla_defaults]`: early warnings for stages that give none.
    pub(super) warn_defaults: (Option<Vec<S>>, Option<S>),
}

fn sp<T>(s: &toml::Spanned<T>) -> Range<usize> {
    s.span()
}

/// Builds an id → index map, reporting duplicates.
fn index<'a, I>(r: &mut Resolver, kind: &str, ids: I) -> HashMap<String, usize>
where
    I: Iterator<Item = &'a S>,
{
    let mut map = HashMap::new();
    for (i, id) in ids.enumerate() {
        if map.insert(id.get_ref().clone(), i).is_some() {
            r.err(
                c::DUPLICATE_ID,
                sp(id),
                format!("duplicate {kind} id `{}`", id.get_ref()),
            );
        }
    }
    map
}

impl Resolver {
    fn err(&mut self, code: &'static str, span: Range<usize>, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, span, msg));
    }
    fn warn(&mut self, code: &'static str, span: Range<usize>, msg: impl Into<String>) {
        self.diags.push(Diagnostic::warning(code, span, msg));
    }

    fn lookup<T: Copy>(
        &mut self,
        map: &HashMap<String, usize>,
        wrap: fn(usize) -> T,
        id: &S,
        code: &'static str,
        kind: &str,
    ) -> Option<T> {
        match map.get(id.get_ref()) {
            Some(i) => Some(wrap(*i)),
            None => {
                let known: Vec<&str> = {
                    let mut v: Vec<&str> = map.keys().map(String::as_str).collect();
                    v.sort();
                    v
                };
                self.err(
                    code,
                    sp(id),
                    format!(
                        "unknown {kind} `{}` (known: {})",
                        id.get_ref(),
                        known.join(", ")
                    ),
                );
                None
            }
        }
    }

    /// A duration that must not be negative.
    fn duration(&mut self, s: &S, what: &str) -> Option<Secs> {
        let d = self.signed_duration(s, what)?;
        if d.0 < 0 {
            self.err(
                c::BAD_DURATION,
                sp(s),
                format!("{what} `{}` must not be negative", s.get_ref()),
            );
            return None;
        }
        Some(d)
    }

    /// A duration that may be negative (an offset before a date).
    fn signed_duration(&mut self, s: &S, what: &str) -> Option<Secs> {
        match Secs::parse(s.get_ref()) {
            Some(d) => Some(d),
            None => {
                self.err(
                    c::BAD_DURATION,
                    sp(s),
                    format!(
                        "malformed duration `{}` for {what} (write e.g. \"45m\", \"4h\", \"1h30m\", \"2d\")",
                        s.get_ref()
                    ),
                );
                None
            }
        }
    }

    pub fn resolve(&mut self, raw: &RawPipeline) -> Option<Pipeline> {
        let roles = index(self, "role", raw.roles.iter().map(|r| &r.id));
        let phases = index(self, "phase", raw.phases.iter().map(|p| &p.id));
        let stages = index(self, "stage", raw.stages.iter().map(|s| &s.id));
        let events = index(self, "event", raw.transitions.iter().map(|t| &t.event));
        let fields = index(self, "field", raw.fields.iter().map(|f| &f.id));
        let cal_ids = index(self, "calendar", raw.calendars.iter().map(|c| &c.id));
        let reason_codes: HashMap<String, usize> = raw
            .reasons
            .keys()
            .enumerate()
            .map(|(i, k)| (k.get_ref().clone(), i))
            .collect();

        let renames = self.renames(raw, &stages, &roles, &events);
        let timezone = match &raw.timezone {
            None => Some(chrono_tz::UTC),
            Some(tz) => match tz.get_ref().parse::<chrono_tz::Tz>() {
                Ok(z) => Some(z),
                Err(_) => {
                    self.err(
                        c::BAD_TIMEZONE,
                        sp(tz),
                        format!("unknown time zone `{}`", tz.get_ref()),
                    );
                    None
                }
            },
        };
        if !raw.roles.iter().any(|r| r.admin) {
            let span = raw.roles.first().map_or(sp(&raw.name), |r| sp(&r.id));
            self.err(
                c::NO_ADMIN_ROLE,
                span,
                "no role is marked `admin = true`: nobody could manage users, import or change the pipeline",
            );
        }
        let export_roles: Vec<RoleIx> = match &raw.export_roles {
            Some(list) => list
                .iter()
                .filter_map(|r| self.lookup(&roles, RoleIx, r, c::UNKNOWN_ROLE, "export role"))
                .collect(),
            None => raw
                .roles
                .iter()
                .enumerate()
                .filter(|(_, r)| r.admin || r.supervises)
                .map(|(i, _)| RoleIx(i))
                .collect(),
        };
        let calendars = self.calendars(raw);
        let field_list = self.fields(raw);
        let phase_list: Vec<Phase> = raw
            .phases
            .iter()
            .map(|p| Phase {
                id: p.id.get_ref().clone(),
                name: p.name.clone().unwrap_or_else(|| p.id.get_ref().clone()),
                active_care: p.active_care,
                stages: Vec::new(),
            })
            .collect();
        let active: Vec<&RawPhase> = raw.phases.iter().filter(|p| p.active_care).collect();
        if active.len() > 1 {
            self.err(
                c::ACTIVE_CARE_PHASE,
                sp(&active[1].id),
                "more than one phase is marked `active_care = true`",
            );
        }
        if active.is_empty() {
            // Point at the phases, where the mark belongs.
            let span = raw.phases.first().map_or(sp(&raw.name), |p| sp(&p.id));
            self.warn(c::NO_ACTIVE_CARE_PHASE, span, "no phase is marked `active_care = true`; the audit cannot count exits before active care");
        }

        if let Some(d) = &raw.sla_defaults {
            self.warn_defaults = (d.warn_at.clone(), d.repeat.clone());
        }
        let mut stage_list = Vec::new();
        for s in &raw.stages {
            stage_list.push(self.stage(s, &roles, &phases, &cal_ids, &reason_codes));
        }
        let mut transitions = Vec::new();
        for t in &raw.transitions {
            transitions.push(self.transition(
                t,
                raw,
                &roles,
                &stages,
                &fields,
                &field_list,
                &reason_codes,
            ));
        }
        let mut timers = Vec::new();
        for t in &raw.timers {
            timers.push(self.timer(t, &stages, &events, &fields, &field_list, &reason_codes));
        }
        let entry = self.lookup(
            &stages,
            StageIx,
            &raw.entry,
            c::UNKNOWN_STAGE,
            "entry stage",
        );

        // Anything unresolved already produced an error; only a complete
        // model is returned.
        let stage_list: Option<Vec<Stage>> = stage_list.into_iter().collect();
        let transitions: Option<Vec<Transition>> = transitions.into_iter().collect();
        let timers: Option<Vec<Timer>> = timers.into_iter().collect();
        let (
            Some(stage_list),
            Some(transitions),
            Some(timers),
            Some(entry),
            Some(timezone),
            Some(calendars),
            Some(field_list),
        ) = (
            stage_list,
            transitions,
            timers,
            entry,
            timezone,
            calendars,
            field_list,
        )
        else {
            return None;
        };
        let mut phase_list = phase_list;
        for (i, s) in stage_list.iter().enumerate() {
            phase_list[s.phase.0].stages.push(StageIx(i));
        }
        for (p, raw_p) in phase_list.iter().zip(&raw.phases) {
            if p.stages.is_empty() {
                self.warn(
                    c::EMPTY_PHASE,
                    sp(&raw_p.id),
                    format!("phase `{}` has no stages", p.id),
                );
            }
        }
        for r in &raw.roles {
            if let Some(v) = &r.start_view {
                let name = v.get_ref().as_str();
                if !START_VIEWS.contains(&name) && !phase_list.iter().any(|p| p.id == name) {
                    self.err(
                        c::BAD_START_VIEW,
                        sp(v),
                        format!(
                            "role `{}` starts on `{}`, which is no view (a phase id, or one of {})",
                            r.id.get_ref(),
                            crate::text::shown(name),
                            START_VIEWS.join(", ")
                        ),
                    );
                }
            }
        }
        Some(Pipeline {
            name: raw.name.get_ref().clone(),
            timezone,
            entry,
            roles: raw
                .roles
                .iter()
                .map(|r| Role {
                    id: r.id.get_ref().clone(),
                    name: r.name.clone().unwrap_or_else(|| r.id.get_ref().clone()),
                    supervises: r.supervises,
                    admin: r.admin,
                    start_view: r.start_view.as_ref().map(|v| v.get_ref().clone()),
                })
                .collect(),
            export_roles,
            calendars,
            reasons: raw
                .reasons
                .iter()
                .map(|(k, v)| Reason {
                    code: k.get_ref().clone(),
                    label: v.clone(),
                })
                .collect(),
            fields: field_list,
            phases: phase_list,
            stages: stage_list,
            transitions,
            timers,
            stage_ids: stages.into_iter().map(|(k, v)| (k, StageIx(v))).collect(),
            role_ids: roles.into_iter().map(|(k, v)| (k, RoleIx(v))).collect(),
            event_ids: events
                .into_iter()
                .map(|(k, v)| (k, TransitionIx(v)))
                .collect(),
            field_ids: fields.into_iter().map(|(k, v)| (k, FieldIx(v))).collect(),
            renames,
        })
    }
}

/// An SLA warn threshold as written: a percentage of the maximum or a time.
enum WarnAt {
    Percent(i64),
    After(Secs),
}

/// Span of the `index`-th list item, or of the owner id if out of range.
fn at(list: &[S], index: usize, fallback: &S) -> Range<usize> {
    list.get(index).map_or(fallback.span(), |s| s.span())
}
