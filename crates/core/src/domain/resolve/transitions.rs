//! Transitions (guards, sets, counters) and timers.

use super::{Resolver, sp};
use crate::domain::codes as c;
use crate::domain::duration::Secs;
use crate::domain::model::*;
use crate::domain::raw::*;
use std::collections::HashMap;

impl Resolver {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn transition(
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
            match g.get_ref().parse::<Guard>() {
                Ok(guard) => guards.set(guard),
                Err(()) => {
                    let other = g.get_ref();
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
                && let Err(e) = crate::domain::fields::check_value(&fl[fx.0], lit)
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
            confirm: t.confirm,
        })
    }

    pub(super) fn timer(
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
    pub(super) fn timer_at(
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
