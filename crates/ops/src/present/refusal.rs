//! Refusals for people: the engine's typed reasons told with the names of
//! stages, events, roles, sub-statuses and reason codes. The command line
//! keeps the ids in its `error:` line (what a person types next); the
//! console, where nothing is typed, reads this.

use super::labels::{event_label, reason_label, role_name, stage_name, substatus_label_of};
use crate::OpError;
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::rules::{Refusal, Why};

/// An error from an action, with names: `record 12: “Approve” refused in
/// Form Submitted: …; allowed: Start intake review, Withdraw`.
pub fn error_text(p: &Pipeline, e: &OpError) -> String {
    match e {
        OpError::Refused(r) => format!("record {}: {}", r.record, refusal_reason(p, r)),
        OpError::RecordDenied { id, .. } => format!("record {id}: {}", error_reason(p, e)),
        other => other.to_string(),
    }
}

/// [`error_text`] without the record it names: refusals of many records
/// group by it.
pub fn error_reason(p: &Pipeline, e: &OpError) -> String {
    match e {
        OpError::Refused(r) => refusal_reason(p, r),
        OpError::RecordDenied {
            stage, what, why, ..
        } => format!("{what} refused in {}: {why}", stage_name(p, stage)),
        other => other.reason(),
    }
}

fn refusal_reason(p: &Pipeline, r: &Refusal) -> String {
    let allowed = if r.allowed.is_empty() {
        "none".to_string()
    } else {
        names(&r.allowed.join(", "), |e| event_label(p, e))
    };
    format!(
        "“{}” refused in {}: {}; allowed: {allowed}",
        event_label(p, &r.event),
        stage_name(p, &r.stage),
        why_text(p, &r.why),
    )
}

/// A comma-separated list of ids, each by its name.
fn names(list: &str, name: impl Fn(&str) -> String) -> String {
    list.split(", ")
        .filter(|s| !s.is_empty())
        .map(name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn why_text(p: &Pipeline, why: &Why) -> String {
    let reasons = |codes: &str| names(codes, |c| reason_label(p, c));
    match why {
        Why::Terminal(stage) => format!("the record is in terminal stage {}", stage_name(p, stage)),
        Why::Role { have, need } => format!(
            "{} may not fire it (needs {})",
            names(have, |r| role_name(p, r)),
            names(need, |r| role_name(p, r))
        ),
        Why::ReasonRequired(codes) => format!("a reason is required (one of: {})", reasons(codes)),
        Why::BadReason { given, allowed } => format!(
            "reason “{}” is not allowed here (one of: {})",
            reason_label(p, given),
            reasons(allowed)
        ),
        Why::SubstatusOpen(sub) => format!(
            "sub-status {} is open; clear it first",
            substatus_label_of(p, sub)
        ),
        Why::NotAssignee(who) => {
            format!("only its assignee {who} may fire it (a supervisor may override with a reason)")
        }
        Why::BreachReason { codes, .. } => format!(
            "the SLA was breached in this stage: give a breach reason (one of: {}), or acknowledge it first",
            reasons(codes)
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carequeue_core::domain::{DEFAULT_PIPELINE, check};

    #[test]
    fn a_refusal_names_stages_events_roles_and_reasons() {
        let p = check(DEFAULT_PIPELINE).pipeline.expect("pipeline");
        let r = Refusal {
            record: 7,
            event: "send_rx".into(),
            stage: "form_submitted".into(),
            allowed: vec!["start_review".into(), "withdraw".into()],
            why: Why::Role {
                have: "ops".into(),
                need: "pharmacy".into(),
            },
        };
        let text = error_text(&p, &OpError::Refused(Box::new(r)));
        for id in [
            "send_rx",
            "form_submitted",
            "start_review",
            "(ops)",
            " ops ",
            "needs pharmacy",
        ] {
            assert!(!text.contains(id), "`{id}` in {text}");
        }
        assert!(text.starts_with("record 7: "), "{text}");
        assert!(text.contains("Form Submitted"), "{text}");
        assert!(
            text.contains("Ops coordinator may not fire it (needs Pharmacy / fulfillment)"),
            "{text}"
        );
        let open = why_text(&p, &Why::SubstatusOpen("missing_id".into()));
        assert_eq!(open, "sub-status Missing photo ID is open; clear it first");
        let breach = why_text(
            &p,
            &Why::BreachReason {
                codes: "shipping_delay, staffing".into(),
                flag: "--reason",
            },
        );
        assert!(breach.contains("Carrier / shipping delay"), "{breach}");
        assert!(!breach.contains("shipping_delay"), "{breach}");
    }
}
