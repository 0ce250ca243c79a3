//! A delivery's body in the target's shape, and its headers.

use super::{Shape, Target, level_of, signature_header};
use crate::present;
use carequeue_core::domain::Pipeline;
use carequeue_core::log::EventKind;
use carequeue_store::feed::FeedEvent;
use serde_json::{Value, json};

/// One request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub target: String,
    pub url: String,
    /// `webhook-id`: the same on every retry, so a receiver deduplicates.
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
    pub body: String,
}

fn instant(t: i64) -> String {
    carequeue_core::engine::clock::from_unix(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One line for people: record, what happened, where it is now, by whom.
/// Ids, stage and user names only: never a patient.
fn said(p: &Pipeline, e: &FeedEvent) -> String {
    let record = e
        .record_id
        .map_or("the pipeline".into(), |r| format!("#{r}"));
    let stage = e
        .stage
        .as_deref()
        .map(|s| present::stage_name(p, s))
        .unwrap_or_default();
    let by = if e.actor == carequeue_core::engine::SYSTEM {
        "the sweep".to_string()
    } else {
        e.actor.clone()
    };
    match e.kind.known() {
        Some(EventKind::Escalation) => format!(
            "{record} escalated{} in {stage}",
            level_of(e).map_or(String::new(), |l| format!(" to level {l}"))
        ),
        Some(EventKind::SlaWarning) => format!(
            "{record} SLA warning in {stage}: {}",
            present::warning_words(e.event.as_deref().unwrap_or_default())
        ),
        Some(EventKind::Transition | EventKind::Timer | EventKind::Override) => {
            let what = e
                .event
                .as_deref()
                .map(|ev| present::event_label(p, ev))
                .unwrap_or_else(|| e.kind.as_str().to_string());
            format!("{record} moved to {stage} ({what}) by {by}")
        }
        Some(EventKind::Create) => format!("{record} created in {stage} by {by}"),
        Some(EventKind::Claim | EventKind::Assign) => format!(
            "{record} in {stage} assigned to {} by {by}",
            e.to.as_deref().unwrap_or("?")
        ),
        _ => format!("{record} in {stage}: {} by {by}", e.kind.as_str()),
    }
}

/// The payload for `t` of event `e` (`source` names the database).
pub fn message(p: &Pipeline, t: &Target, e: &FeedEvent, source: &str, now: i64) -> Message {
    let link = e.record_id.map(|r| format!("carequeue show {r}"));
    let mut data = e.line();
    if let Some(d) = data.as_object_mut() {
        d.insert("link".into(), json!(link));
        // Patient data only to a CloudEvents target marked `phi = true`,
        // and only what the feed was read with (an export, logged).
        if t.phi && t.shape == Shape::Cloudevents {
            e.add_patient(d);
        }
    }
    let body: Value = match t.shape {
        Shape::Cloudevents => json!({
            "specversion": "1.0",
            "id": format!("evt_{}", e.seq),
            "source": source,
            "type": format!("org.carequeue.{}", e.kind.as_str()),
            "subject": e.record_id.map(|r| format!("record/{r}")),
            "time": instant(e.at),
            "datacontenttype": "application/json",
            "data": data,
        }),
        Shape::Slack => json!({
            "text": format!("{}{}", said(p, e), link.map_or(String::new(), |l| format!(" · `{l}`"))),
        }),
        Shape::Teams => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": said(p, e), "wrap": true},
                        {"type": "TextBlock", "text": link.unwrap_or_default(), "isSubtle": true},
                    ],
                },
            }],
        }),
    };
    let body = body.to_string();
    let id = format!("msg_{}_{}", t.name, e.seq);
    Message {
        target: t.name.clone(),
        url: t.url.clone(),
        signature: signature_header(&t.secrets, &id, now, body.as_bytes()),
        id,
        timestamp: now,
        body,
    }
}
