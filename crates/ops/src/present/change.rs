//! Who changed a record and how, in names people read: the words of a
//! refusal ("#191 was reassigned to kim by sam at 10:02") and of a record
//! that left a view because someone else acted.

use super::labels::{event_label, stage_name};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::clock::from_unix;
use carequeue_core::text::clean;
use carequeue_store::EventRow;
use carequeue_store::events::EventKind;

/// `#191 was claimed by kim at 10:02`: what the record's event `e` did,
/// who did it and when (the time in the pipeline's zone; the date too when
/// it was not on `today`'s date there).
pub fn changed_by(p: &Pipeline, id: i64, e: &EventRow, today: i64) -> String {
    let who = &e.actor;
    let to = e.to.as_deref().unwrap_or("");
    let what = match e.kind.known() {
        Some(EventKind::Transition | EventKind::Override | EventKind::Timer) => {
            let by = match e.kind.known() {
                Some(EventKind::Timer) => "by a timer".to_string(),
                _ => format!("by {who}"),
            };
            match &e.event {
                Some(ev) => format!(
                    "moved to {} ({}) {by}",
                    stage_name(p, to),
                    event_label(p, ev)
                ),
                None => format!("moved to {} {by}", stage_name(p, to)),
            }
        }
        Some(EventKind::Claim) => format!("was claimed by {who}"),
        Some(EventKind::Assign) if to == who => format!("was claimed by {who}"),
        Some(EventKind::Assign) if e.from.is_some() => {
            format!("was reassigned to {to} by {who}")
        }
        Some(EventKind::Assign) => format!("was assigned to {to} by {who}"),
        Some(EventKind::Release) => format!("was released by {who}"),
        Some(EventKind::Substatus | EventKind::Pause | EventKind::Resume) => {
            match substatus_name(p, e) {
                Some(s) => format!("had its sub-status set to {s} by {who}"),
                None => format!("had its sub-status cleared by {who}"),
            }
        }
        Some(EventKind::Note) => format!("was given a note by {who}"),
        Some(EventKind::Ack) => format!("had its breach acknowledged by {who}"),
        Some(EventKind::Escalation) => format!("was escalated by {who}"),
        Some(EventKind::SlaWarning) => format!(
            "was warned of its SLA ({})",
            super::labels::warning_words(e.event.as_deref().unwrap_or_default())
        ),
        Some(EventKind::Rename) => format!("had its stage renamed by {who}"),
        _ => format!("was changed by {who} ({})", e.kind),
    };
    clean(&format!("#{id} {what} at {}", when(p, e.at, today)))
}

/// The sub-status an event set, as its stage labels it.
fn substatus_name(p: &Pipeline, e: &EventRow) -> Option<String> {
    let value = e.to.as_deref()?;
    let label = p
        .stages
        .iter()
        .find_map(|s| s.substatus(value))
        .map_or(value.to_string(), |s| s.label.clone());
    Some(label)
}

/// `10:02`, or `2026-12-01 10:02` on another day than `today`.
fn when(p: &Pipeline, at: i64, today: i64) -> String {
    let at = from_unix(at).with_timezone(&p.timezone);
    let day = from_unix(today).with_timezone(&p.timezone).date_naive();
    if at.date_naive() == day {
        at.format("%H:%M").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carequeue_core::domain::{DEFAULT_PIPELINE, check};

    fn ev(kind: EventKind, actor: &str, from: Option<&str>, to: Option<&str>) -> EventRow {
        EventRow {
            id: 9,
            record_id: Some(191),
            at: 1_764_170_520,
            actor: actor.into(),
            kind: kind.into(),
            event: None,
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            reason: None,
            note: None,
            data: None,
            hash: String::new(),
        }
    }

    #[test]
    fn changes_are_told_by_who_and_how_in_names() {
        let p = check(DEFAULT_PIPELINE).pipeline.expect("pipeline");
        let today = 1_764_170_520;
        let t = when(&p, today, today);
        let said = |e: &EventRow| changed_by(&p, 191, e, today);
        let e = ev(EventKind::Assign, "sam", Some("maria"), Some("kim"));
        assert_eq!(
            said(&e),
            format!("#191 was reassigned to kim by sam at {t}")
        );
        let e = ev(EventKind::Claim, "kim", None, Some("kim"));
        assert_eq!(said(&e), format!("#191 was claimed by kim at {t}"));
        let mut e = ev(
            EventKind::Transition,
            "kim",
            Some("refill_due"),
            Some("lapsed"),
        );
        e.event = Some("lapse".into());
        let s = said(&e);
        assert!(s.starts_with("#191 moved to Lapsed ("), "{s}");
        assert!(s.ends_with(&format!(") by kim at {t}")), "{s}");
        assert!(
            !s.contains("lapsed") && !s.contains("lapse)"),
            "names, not ids: {s}"
        );
        // Another day: the date is said.
        let s = changed_by(&p, 191, &e, today + 3 * 86_400);
        assert!(s.contains("by kim at 20"), "{s}");
    }
}
