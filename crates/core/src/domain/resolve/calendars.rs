//! Calendars, record fields and reason codes.

use super::{Resolver, at, sp};
use crate::domain::calendar::{BusinessCalendar, Calendar, CalendarError};
use crate::domain::codes as c;
use crate::domain::model::*;
use crate::domain::raw::*;
use std::collections::HashMap;

impl Resolver {
    pub(super) fn calendars(&mut self, raw: &RawPipeline) -> Option<Vec<NamedCalendar>> {
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

    pub(super) fn fields(&mut self, raw: &RawPipeline) -> Option<Vec<Field>> {
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
            if f.filterable
                && !f
                    .id
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                self.err(
                    c::FILTERABLE_FIELD_ID,
                    sp(&f.id),
                    format!(
                        "filterable field `{}` needs an id of lowercase letters, digits and `_` (it names an index)",
                        crate::text::shown(f.id.get_ref())
                    ),
                );
                ok = false;
            }
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
                filterable: f.filterable,
            });
        }
        ok.then_some(out)
    }

    pub(super) fn reasons(
        &mut self,
        codes: &HashMap<String, usize>,
        list: &[S],
    ) -> Option<Vec<String>> {
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
}
