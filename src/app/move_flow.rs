//! The move flow: the events you may fire, then each guard's question in
//! turn (the event's reason, the breach reason, the note), then the commit.

use super::App;
use super::popup::{Item, MoveDraft, Popup, Purpose};
use super::service::Request;
use crate::domain::Guard;
use crate::engine::rules::allowed_events;

impl App {
    pub(super) fn open_move(&mut self) -> Vec<Request> {
        let Some(r) = self.need_record() else {
            return Vec::new();
        };
        let allowed = allowed_events(&self.pipeline, &r, &self.user, self.now);
        if allowed.is_empty() {
            self.set_status(
                format!(
                    "record {}: no events you may fire in stage `{}`",
                    r.id, r.stage
                ),
                true,
            );
            return Vec::new();
        }
        let p = &self.pipeline;
        let items = allowed
            .iter()
            .map(|a| {
                let to = p
                    .stage_ix(&a.to)
                    .map_or(a.to.clone(), |s| p.stage(s).name.clone());
                let req = if a.requires.is_empty() {
                    String::new()
                } else {
                    format!("  (needs {})", crate::present::guard_words(&a.requires))
                };
                Item {
                    value: a.event.clone(),
                    label: format!("{} → {}{}", a.label, to, req),
                }
            })
            .collect();
        self.popup = Some(Popup::pick(
            Purpose::Event {
                id: r.id,
                version: r.version,
            },
            format!("Move {}", super::record_label(&r)),
            items,
        ));
        Vec::new()
    }

    pub(super) fn continue_move(&mut self, d: MoveDraft) -> Vec<Request> {
        if d.reason.is_none() && !d.reason_codes.is_empty() {
            let items = self.reason_items(&d.reason_codes);
            self.popup = Some(Popup::pick(
                Purpose::Reason(d.clone()),
                format!("Reason for {}", self.event_label(&d.event)),
                items,
            ));
            return Vec::new();
        }
        if d.breach_reason.is_none() && !d.breach_codes.is_empty() {
            let items = self.reason_items(&d.breach_codes);
            let title = if d.reason.is_some() {
                format!(
                    "Breach reason for {} (its SLA was breached)",
                    self.label_of(d.id)
                )
            } else {
                format!(
                    "Breach reason for {} (the SLA was breached)",
                    self.event_label(&d.event)
                )
            };
            self.popup = Some(Popup::pick(Purpose::BreachReason(d.clone()), title, items));
            return Vec::new();
        }
        if d.needs_note && d.note.is_none() {
            self.popup = Some(Popup::input(
                Purpose::MoveNote(d.clone()),
                format!("Note for {} (required)", self.event_label(&d.event)),
                "",
            ));
            return Vec::new();
        }
        if self.confirms(&d.event) {
            return self.open_decide(d);
        }
        self.commit_move(d)
    }

    pub(super) fn picked_event(&mut self, id: i64, version: i64, event: String) -> Vec<Request> {
        let Some(r) = self.selected_record().filter(|r| r.id == id).cloned() else {
            self.popup = None;
            return Vec::new();
        };
        let Some(a) = allowed_events(&self.pipeline, &r, &self.user, self.now)
            .into_iter()
            .find(|a| a.event == event)
        else {
            self.popup = None;
            return Vec::new();
        };
        // The transition's reason first, then the breach reason: both in
        // one flow when both are needed.
        let reason_codes = if a.requires.contains(&Guard::Reason) {
            a.reasons
        } else {
            Vec::new()
        };
        let breach_codes = if a.requires.contains(&Guard::BreachReason) {
            a.breach_reasons
        } else {
            Vec::new()
        };
        let d = MoveDraft {
            id,
            version,
            event,
            reason_codes,
            breach_codes,
            needs_note: a.requires.contains(&Guard::Note),
            reason: None,
            breach_reason: None,
            note: None,
        };
        self.continue_move(d)
    }
}
