//! Decisions on two keys: a transition the pipeline marks `confirm` is put
//! together as any move (event, reason, note), then shown whole — the
//! patient, the decision and where it leads — and fired only on the decide
//! key (`y`), never on the Enter that picked it. Esc leaves it unwritten.

use super::App;
use super::popup::{MoveDraft, Popup};
use super::service::{Cmd, Request};
use crate::keys::{Action, Mode};

impl App {
    /// Whether the pipeline marks `event` as a decision to confirm.
    pub(super) fn confirms(&self, event: &str) -> bool {
        self.pipeline
            .transition_ix(event)
            .is_some_and(|t| self.pipeline.transition(t).confirm)
    }

    /// The decide key as the keymap names it (`y`).
    pub fn decide_key(&self) -> String {
        self.keymap
            .first_key(Mode::Popup, Action::Decide)
            .unwrap_or("y")
            .to_string()
    }

    /// Shows the decision whole and waits for the decide key.
    pub(super) fn open_decide(&mut self, d: MoveDraft) -> Vec<Request> {
        let p = &self.pipeline;
        let label = self.event_label(&d.event);
        let to = p
            .transition_ix(&d.event)
            .map(|t| p.stage(p.transition(t).to).name.clone())
            .unwrap_or_default();
        let mut lines = vec![
            format!("Patient:  {}", self.label_of(d.id)),
            format!("Decision: {label}"),
            format!("Outcome:  the record moves to {to}"),
        ];
        let reasons = [("Reason:  ", &d.reason), ("Breach:  ", &d.breach_reason)];
        for (what, code) in reasons {
            if let Some(c) = code {
                let named = p.reason_label(c).unwrap_or(c);
                lines.push(format!("{what} {named}"));
            }
        }
        if let Some(n) = &d.note {
            lines.push(format!("Note:     {n}"));
        }
        let title = format!("Confirm: {label} for {}", self.label_of(d.id));
        self.popup = Some(Popup::Decide {
            draft: d,
            title,
            lines,
        });
        Vec::new()
    }

    /// A key on the decision: the decide key fires it, Enter says which
    /// key does, anything else leaves it open (Esc is handled before).
    pub(super) fn on_decide_key(
        &mut self,
        action: Option<Action>,
        draft: MoveDraft,
        title: String,
        lines: Vec<String>,
    ) -> Vec<Request> {
        match action {
            Some(Action::Decide) => self.commit_move(draft),
            other => {
                if other == Some(Action::Confirm) {
                    let key = self.decide_key();
                    self.set_status(
                        format!(
                            "{}: press {key} to confirm it, Esc to cancel; Enter does not decide",
                            self.event_label(&draft.event)
                        ),
                        false,
                    );
                }
                self.popup = Some(Popup::Decide {
                    draft,
                    title,
                    lines,
                });
                Vec::new()
            }
        }
    }

    /// The move, answered in full: sent to the worker.
    pub(super) fn commit_move(&mut self, d: MoveDraft) -> Vec<Request> {
        self.popup = None;
        // A breach reason alone travels as the event's reason (one event);
        // beside a transition's reason it is acknowledged first.
        let (reason, breach_reason) = match (d.reason, d.breach_reason) {
            (None, b) => (b, None),
            both => both,
        };
        vec![Request::Commit(Cmd::Move {
            id: d.id,
            version: d.version,
            event: d.event,
            reason,
            breach_reason,
            note: d.note,
        })]
    }
}
