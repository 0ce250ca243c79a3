//! Raw file → validated [`Pipeline`]: ids, references, durations, calendars.
//! Every problem is collected; nothing stops at the first.

use super::calendar::{BusinessCalendar, Calendar, CalendarError};
use super::codes as c;
use super::diag::Diagnostic;
use super::duration::Secs;
use super::model::*;
use super::raw::*;
use std::collections::HashMap;
use std::ops::Range;

pub(super) struct Resolver {
    pub diags: Vec<Diagnostic>,
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
                })
                .collect(),
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
        })
    }

    fn calendars(&mut self, raw: &RawPipeline) -> Option<Vec<NamedCalendar>> {
        let mut out = Some(Vec::new());
        for rc in &raw.calendars {
            let days: Vec<&str> = rc.days.iter().map(|d| d.get_ref().as_str()).collect();
            let hours: Vec<&str> = rc.hours.iter().map(|d| d.get_ref().as_str()).collect();
            let hol: Vec<&str> = rc.holidays.iter().map(|d| d.get_ref().as_str()).collect();
            match BusinessCalendar::new(rc.timezone.get_ref(), &days, &hours, &hol) {
                Ok(cal) => {
                    if let Some(v) = out.as_mut() {
                        v.push(NamedCalendar {
                            id: rc.id.get_ref().clone(),
                            calendar: Calendar::Business(cal),
                        });
                    }
                }
                Err(e) => {
                    out = None;
                    let id = rc.id.get_ref();
                    let (code, span, msg) = match &e {
                        CalendarError::UnknownTimezone(z) => (
                            c::BAD_TIMEZONE,
                            sp(&rc.timezone),
                            format!("calendar `{id}`: unknown time zone `{z}`"),
                        ),
                        CalendarError::BadDay { index, value } => (
                            c::BAD_CALENDAR,
                            at(&rc.days, *index, &rc.id),
                            format!(
                                "calendar `{id}`: unknown day `{value}` (use mon, tue, wed, thu, fri, sat, sun)"
                            ),
                        ),
                        CalendarError::BadHours { index, value } => (
                            c::BAD_CALENDAR,
                            at(&rc.hours, *index, &rc.id),
                            format!(
                                "calendar `{id}`: malformed hours `{value}` (write \"09:00-17:00\")"
                            ),
                        ),
                        CalendarError::OverlappingHours { index } => (
                            c::BAD_CALENDAR,
                            at(&rc.hours, *index, &rc.id),
                            format!("calendar `{id}`: working hours overlap"),
                        ),
                        CalendarError::BadHoliday { index, value } => (
                            c::BAD_CALENDAR,
                            at(&rc.holidays, *index, &rc.id),
                            format!(
                                "calendar `{id}`: malformed holiday `{value}` (write YYYY-MM-DD)"
                            ),
                        ),
                        CalendarError::NoWorkingTime => (
                            c::NO_WORKING_TIME,
                            sp(&rc.id),
                            format!("calendar `{id}` has no working time (no days or no hours)"),
                        ),
                    };
                    self.err(code, span, msg);
                }
            }
        }
        out
    }

    fn fields(&mut self, raw: &RawPipeline) -> Option<Vec<Field>> {
        let mut ok = true;
        let mut out = Vec::new();
        for f in &raw.fields {
            let kind = match f.kind.get_ref().as_str() {
                "text" => FieldKind::Text,
                "date" => FieldKind::Date,
                "integer" => FieldKind::Integer,
                "choice" => FieldKind::Choice,
                other => {
                    self.err(
                        c::BAD_FIELD,
                        sp(&f.kind),
                        format!(
                            "field `{}`: unknown type `{other}` (text, date, integer, choice)",
                            f.id.get_ref()
                        ),
                    );
                    ok = false;
                    continue;
                }
            };
            if kind == FieldKind::Choice && f.choices.is_empty() {
                self.err(
                    c::BAD_FIELD,
                    sp(&f.id),
                    format!("choice field `{}` lists no `choices`", f.id.get_ref()),
                );
                ok = false;
            }
            out.push(Field {
                id: f.id.get_ref().clone(),
                label: f.label.clone().unwrap_or_else(|| f.id.get_ref().clone()),
                kind,
                choices: f.choices.clone(),
                required: f.required,
            });
        }
        ok.then_some(out)
    }

    fn reasons(&mut self, codes: &HashMap<String, usize>, list: &[S]) -> Option<Vec<String>> {
        let mut ok = true;
        for r in list {
            if !codes.contains_key(r.get_ref()) {
                self.err(
                    c::UNKNOWN_REASON,
                    sp(r),
                    format!("unknown reason code `{}`: add it to [reasons]", r.get_ref()),
                );
                ok = false;
            }
        }
        ok.then(|| list.iter().map(|r| r.get_ref().clone()).collect())
    }

    fn stage(
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
                Some(p) => match Priority::parse(p.get_ref()) {
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

    fn sla(
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
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn transition(
        &mut self,
        t: &RawTransition,
        raw: &RawPipeline,
        roles: &HashMap<String, usize>,
        stages: &HashMap<String, usize>,
        fields: &HashMap<String, usize>,
        field_list: &Option<Vec<Field>>,
        codes: &HashMap<String, usize>,
    ) -> Option<Transition> {
        let ev = t.event.get_ref();
        let mut from = Vec::new();
        let mut ok = true;
        for f in &t.from {
            if f.get_ref() == "*" {
                from.extend(
                    raw.stages
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| !s.terminal)
                        .map(|(i, _)| StageIx(i)),
                );
            } else if let Some(ix) = self.lookup(stages, StageIx, f, c::UNKNOWN_STAGE, "stage") {
                from.push(ix);
            } else {
                ok = false;
            }
        }
        let to = self.lookup(stages, StageIx, &t.to, c::UNKNOWN_STAGE, "stage");
        if let Some(to) = to {
            from.retain(|f| *f != to || t.from.iter().all(|x| x.get_ref() != "*"));
        }
        let mut role_list = Vec::new();
        for r in &t.roles {
            match self.lookup(roles, RoleIx, r, c::UNKNOWN_ROLE, "role") {
                Some(ix) => role_list.push(ix),
                None => ok = false,
            }
        }
        if t.roles.is_empty() {
            self.err(
                c::NO_TRANSITION_ROLES,
                sp(&t.event),
                format!("event `{ev}` lists no `roles`: nobody could fire it"),
            );
        }
        let mut guards = Guards::default();
        for g in &t.requires {
            match g.get_ref().as_str() {
                "reason" => guards.reason = true,
                "note" => guards.note = true,
                "no_substatus" => guards.no_substatus = true,
                "assignee" => guards.assignee = true,
                other => {
                    self.err(
                        c::UNKNOWN_GUARD,
                        sp(g),
                        format!("unknown guard `{other}` (reason, note, no_substatus, assignee)"),
                    );
                    ok = false;
                }
            }
        }
        let reasons = self.reasons(codes, &t.reasons);
        if guards.reason && t.reasons.is_empty() {
            self.err(
                c::REASON_GUARD_WITHOUT_CODES,
                sp(&t.event),
                format!("event `{ev}` requires a reason but lists no `reasons`"),
            );
        }
        let mut sets = Vec::new();
        for (k, v) in &t.sets {
            let Some(fx) = self.lookup(fields, FieldIx, k, c::UNKNOWN_FIELD, "field") else {
                ok = false;
                continue;
            };
            let value = if v.get_ref() == "today" {
                SetValue::Today
            } else {
                SetValue::Literal(v.get_ref().clone())
            };
            if let (Some(fl), SetValue::Today) = (field_list, &value)
                && fl[fx.0].kind != FieldKind::Date
            {
                self.err(
                    c::BAD_VALUE,
                    sp(v),
                    format!(
                        "event `{ev}` sets `{}` to \"today\", but `{}` is not a date field",
                        k.get_ref(),
                        k.get_ref()
                    ),
                );
                ok = false;
            }
            if let (Some(fl), SetValue::Literal(lit)) = (field_list, &value)
                && let Err(e) = super::fields::check_value(&fl[fx.0], lit)
            {
                self.err(
                    c::BAD_VALUE,
                    sp(v),
                    format!("event `{ev}` sets `{}`: {e}", k.get_ref()),
                );
                ok = false;
            }
            sets.push((fx, value));
        }
        let counter = match (&t.counter, &t.max) {
            (None, None) => None,
            (Some(cf), max) => {
                let fx = self.lookup(fields, FieldIx, cf, c::UNKNOWN_FIELD, "field")?;
                if let Some(fl) = field_list
                    && fl[fx.0].kind != FieldKind::Integer
                {
                    self.err(
                        c::BAD_FIELD,
                        sp(cf),
                        format!("counter field `{}` must be of type integer", cf.get_ref()),
                    );
                    return None;
                }
                Some((fx, max.as_ref().map_or(i64::MAX, |m| *m.get_ref())))
            }
            (None, Some(m)) => {
                self.err(
                    c::BAD_VALUE,
                    sp(m),
                    format!("event `{ev}` has `max` without `counter`"),
                );
                return None;
            }
        };
        if !ok {
            return None;
        }
        Some(Transition {
            event: ev.clone(),
            label: t.label.clone().unwrap_or_else(|| ev.clone()),
            from,
            from_any: t.from.iter().any(|x| x.get_ref() == "*"),
            to: to?,
            roles: role_list,
            guards,
            reasons: reasons?,
            sets,
            counter,
        })
    }

    fn timer(
        &mut self,
        t: &RawTimer,
        stages: &HashMap<String, usize>,
        events: &HashMap<String, usize>,
        fields: &HashMap<String, usize>,
        field_list: &Option<Vec<Field>>,
        codes: &HashMap<String, usize>,
    ) -> Option<Timer> {
        let stage = self.lookup(stages, StageIx, &t.stage, c::UNKNOWN_STAGE, "stage");
        let transition = self.lookup(events, TransitionIx, &t.event, c::UNKNOWN_EVENT, "event");
        let when = match (&t.after, &t.at) {
            (Some(a), None) => self
                .duration(a, "timer `after`")
                .map(TimerWhen::AfterInStage),
            (None, Some(at)) => self.timer_at(at, fields, field_list),
            _ => {
                self.err(
                    c::BAD_TIMER,
                    sp(&t.event),
                    "a timer needs exactly one of `after` or `at`",
                );
                None
            }
        };
        let reason = match &t.reason {
            Some(r) => self
                .reasons(codes, std::slice::from_ref(r))
                .map(|mut v| Some(v.remove(0))),
            None => Some(None),
        };
        Some(Timer {
            stage: stage?,
            transition: transition?,
            when: when?,
            reason: reason?,
        })
    }

    /// A timer's `at = { field, plus_days_field, offset }`.
    fn timer_at(
        &mut self,
        at: &toml::Spanned<RawTimerAt>,
        fields: &HashMap<String, usize>,
        field_list: &Option<Vec<Field>>,
    ) -> Option<TimerWhen> {
        let a = at.get_ref();
        let field = self.lookup(fields, FieldIx, &a.field, c::UNKNOWN_FIELD, "field");
        let plus = match &a.plus_days_field {
            Some(p) => self
                .lookup(fields, FieldIx, p, c::UNKNOWN_FIELD, "field")
                .map(Some),
            None => Some(None),
        };
        let offset = match &a.offset {
            Some(o) => self.signed_duration(o, "timer `offset`"),
            None => Some(Secs(0)),
        };
        let mut ok = true;
        if let (Some(fl), Some(f)) = (field_list, field)
            && fl[f.0].kind != FieldKind::Date
        {
            self.err(
                c::BAD_TIMER,
                sp(&a.field),
                format!("timer field `{}` must be a date field", a.field.get_ref()),
            );
            ok = false;
        }
        if let (Some(fl), Some(Some(p)), Some(raw_p)) = (field_list, plus, &a.plus_days_field)
            && fl[p.0].kind != FieldKind::Integer
        {
            self.err(
                c::BAD_TIMER,
                sp(raw_p),
                format!(
                    "timer `plus_days_field` `{}` must be an integer field",
                    raw_p.get_ref()
                ),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(TimerWhen::AtField {
            field: field?,
            plus_days_field: plus?,
            offset: offset?,
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
