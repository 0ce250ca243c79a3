//! Names people read in place of ids: stages, sub-statuses, events, owners,
//! guards, records, and a record's history line.

use super::time::local;
use crate::owner_role;
use carequeue_core::domain::{Guard, Pipeline};
use carequeue_core::engine::Record;
use carequeue_core::text::clean;
use carequeue_store::EventRow;
use carequeue_store::events::EventKind;

/// The stage's name (its id if the pipeline does not know it).
pub fn stage_name(p: &Pipeline, stage: &str) -> String {
    p.stage_ix_or_renamed(stage)
        .map_or(stage.to_string(), |s| p.stage(s).name.clone())
}

/// The record's sub-status as its stage labels it; empty when none.
pub fn substatus_label(p: &Pipeline, r: &Record) -> String {
    let Some(sub) = &r.substatus else {
        return String::new();
    };
    p.stage_ix(&r.stage)
        .and_then(|s| p.stage(s).substatus(sub))
        .map_or(sub.clone(), |s| s.label.clone())
}

/// A sub-status value by the label a stage gives it (the value if none).
pub(super) fn substatus_label_of(p: &Pipeline, value: &str) -> String {
    p.stages
        .iter()
        .find_map(|s| s.substatus(value))
        .map_or(value.to_string(), |s| s.label.clone())
}

/// Who holds the record: the user; `(Role name)` when nobody does and the
/// stage's owning role takes it; `-` when no role owns the stage.
pub fn owner_label(p: &Pipeline, r: &Record) -> String {
    match &r.assignee {
        Some(a) => a.clone(),
        None => unheld(p, owner_role(p, r)),
    }
}

/// [`owner_label`] for a Breaches group: its stage and holder.
pub fn group_owner_label(p: &Pipeline, stage: &str, owner: Option<&str>) -> String {
    match owner {
        Some(a) => a.to_string(),
        None => unheld(
            p,
            p.stage_ix(stage)
                .and_then(|s| p.stage(s).owner)
                .map(|o| p.role(o).id.as_str()),
        ),
    }
}

fn unheld(p: &Pipeline, role: Option<&str>) -> String {
    role.map_or("-".into(), |r| format!("({})", role_name(p, r)))
}

/// A role's name as the pipeline gives it (its id if it has none).
pub fn role_name(p: &Pipeline, id: &str) -> String {
    p.roles
        .iter()
        .find(|r| r.id == id)
        .map_or(id.to_string(), |r| r.name.clone())
}

/// A user's roles by name: `Ops coordinator, Supervisor`.
pub fn role_names(p: &Pipeline, ids: &[String]) -> String {
    ids.iter()
        .map(|r| role_name(p, r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A reason code's label from the pipeline's taxonomy (its code if none).
pub fn reason_label(p: &Pipeline, code: &str) -> String {
    p.reason_label(code).unwrap_or(code).to_string()
}

/// An event's label (its id if the pipeline has none).
pub fn event_label(p: &Pipeline, event: &str) -> String {
    p.transition_ix_or_renamed(event)
        .map_or(event.to_string(), |t| p.transition(t).label.clone())
}

/// `#265 Zane Papadopoulos`.
pub fn record_label(r: &Record) -> String {
    format!("#{} {}", r.id, clean(&r.patient))
}

/// What a transition's guards ask for, in words: "a reason, a note".
pub fn guard_words(guards: &[Guard]) -> String {
    guards
        .iter()
        .map(|g| match g {
            Guard::Reason => "a reason",
            Guard::Note => "a note",
            Guard::NoSubstatus => "no open sub-status",
            Guard::Assignee => "its assignee",
            Guard::BreachReason => "a breach reason",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line of a record's history, with stage and event names:
/// `2026-11-23 15:49 EST  dev transition Start intake review: Form Submitted → Intake Review`.
pub fn history_line(p: &Pipeline, e: &EventRow) -> String {
    let kind = e.kind.known();
    let stages = kind.is_some_and(|k| k.enters_stage() || k == EventKind::Rename);
    let subs = matches!(
        kind,
        Some(EventKind::Substatus | EventKind::Pause | EventKind::Resume)
    );
    let name = |s: &str| {
        if stages {
            stage_name(p, s)
        } else if subs {
            substatus_label_of(p, s)
        } else {
            s.to_string()
        }
    };
    // No arrow pointing at nothing: a sub-status set or cleared says so.
    let arrow = match (&e.from, &e.to) {
        (Some(a), Some(b)) => format!("{} → {}", name(a), name(b)),
        (None, Some(b)) if subs => name(b),
        (None, Some(b)) => format!("→ {}", name(b)),
        (Some(a), None) if subs => format!("{} cleared", name(a)),
        (Some(a), None) => format!("from {}", name(a)),
        (None, None) => String::new(),
    };
    let what = match &e.event {
        Some(ev) => format!("{}: {arrow}", event_label(p, ev)),
        None => arrow,
    };
    // An escalation says what it did, not who held the record.
    let what = if e.kind.is(EventKind::Escalation) {
        escalation_words(p, e.data.as_deref()).unwrap_or(what)
    } else if e.kind.is(EventKind::SlaWarning) {
        e.event.as_deref().map(warning_words).unwrap_or(what)
    } else {
        what
    };
    let mut s = format!("{}  {} {}", local(p, e.at), e.actor, e.kind);
    if !what.trim().is_empty() {
        s.push(' ');
        s.push_str(what.trim());
    }
    if let Some(x) = &e.reason {
        s.push_str(&format!(" [{}]", reason_label(p, x)));
    }
    if let Some(n) = &e.note {
        s.push_str(&format!(" \"{n}\""));
    }
    clean(s.trim_end())
}

/// What an early warning's threshold (`80%`, `2h`, `breach+4h`) means:
/// `80% of the SLA used`, `2h in stage`, `4h past the breach`, all in the
/// stage's working time.
pub fn warning_words(label: &str) -> String {
    let label = clean(label);
    if let Some(past) = label.strip_prefix("breach+") {
        format!("{past} past the breach")
    } else if label.ends_with('%') {
        format!("{label} of the SLA used")
    } else {
        format!("{label} in stage")
    }
}

/// `notified Supervisor`, `reassigned to Provider, priority urgent`.
fn escalation_words(p: &Pipeline, data: Option<&str>) -> Option<String> {
    let d: serde_json::Value = serde_json::from_str(data?).ok()?;
    let mut parts = Vec::new();
    if let Some(r) = d["notify"].as_str() {
        parts.push(format!("notified {}", role_name(p, r)));
    }
    if let Some(r) = d["reassign"].as_str() {
        parts.push(format!("reassigned to {}", role_name(p, r)));
    }
    if let Some(x) = d["priority"].as_str() {
        parts.push(format!("priority {x}"));
    }
    let level = d["level"].as_i64()?;
    (!parts.is_empty()).then(|| format!("level {level}: {}", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use carequeue_core::domain::{DEFAULT_PIPELINE, check};

    #[test]
    fn history_lines_name_stages_and_events_and_neutralise_text() {
        let p = check(DEFAULT_PIPELINE).pipeline.expect("pipeline");
        let e = EventRow {
            id: 1,
            record_id: Some(1),
            at: 1_764_170_000,
            actor: "dev".into(),
            kind: EventKind::Transition.into(),
            event: Some("start_review".into()),
            from: Some("form_submitted".into()),
            to: Some("intake_review".into()),
            reason: None,
            note: Some("ok\u{1b}[2J".into()),
            data: None,
            hash: String::new(),
        };
        let line = history_line(&p, &e);
        assert!(
            line.ends_with("dev transition Start intake review: Form Submitted → Intake Review \"ok\u{FFFD}[2J\""),
            "{line}"
        );
        assert_eq!(
            guard_words(&[Guard::Reason, Guard::Assignee]),
            "a reason, its assignee"
        );
    }

    #[test]
    fn an_escalation_says_what_it_did() {
        let p = check(DEFAULT_PIPELINE).pipeline.expect("pipeline");
        let d = r#"{"level":1,"notify":"supervisor","reassign":null,"priority":null}"#;
        assert_eq!(
            escalation_words(&p, Some(d)).as_deref(),
            Some("level 1: notified Supervisor")
        );
        let d = r#"{"level":2,"notify":null,"reassign":"provider","priority":"urgent"}"#;
        assert_eq!(
            escalation_words(&p, Some(d)).as_deref(),
            Some("level 2: reassigned to Provider, priority urgent")
        );
    }

    #[test]
    fn sub_status_history_reads_labels_with_no_dangling_arrow() {
        let p = check(DEFAULT_PIPELINE).pipeline.expect("pipeline");
        let row = |kind: EventKind, from: Option<&str>, to: Option<&str>, reason: Option<&str>| {
            EventRow {
                id: 1,
                record_id: Some(1),
                at: 1_764_170_000,
                actor: "maria".into(),
                kind: kind.into(),
                event: None,
                from: from.map(str::to_string),
                to: to.map(str::to_string),
                reason: reason.map(str::to_string),
                note: None,
                data: None,
                hash: String::new(),
            }
        };
        let pause = history_line(&p, &row(EventKind::Pause, None, Some("missing_id"), None));
        assert!(pause.ends_with("maria pause Missing photo ID"), "{pause}");
        let resume = history_line(&p, &row(EventKind::Resume, Some("missing_id"), None, None));
        assert!(
            resume.ends_with("maria resume Missing photo ID cleared"),
            "{resume}"
        );
        assert!(!resume.contains('→'), "{resume}");
        let ack = history_line(&p, &row(EventKind::Ack, None, None, Some("shipping_delay")));
        assert!(
            ack.ends_with("maria ack [Carrier / shipping delay]"),
            "{ack}"
        );
        let release = history_line(&p, &row(EventKind::Release, Some("maria"), None, None));
        assert!(release.ends_with("release from maria"), "{release}");
    }
}
