//! Keys while a popup is open: pickers, prompts, the help and message
//! panels, confirmations; and what a picker's choice or a prompt's text
//! does next.

use super::App;
use super::popup::{MAX_INPUT, Popup, Purpose};
use super::service::{Cmd, Request};
use crate::keys::Action;
use crate::keys::Mode;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

impl App {
    pub(super) fn on_popup_key(&mut self, key: KeyEvent) -> Vec<Request> {
        // In a prompt, a typed character is text whatever it is bound to.
        let text_key = matches!(self.popup, Some(Popup::Input { .. }))
            && matches!(key.code, KeyCode::Char(c) if !c.is_control())
            && !key.modifiers.contains(KeyModifiers::CONTROL);
        let action = if text_key {
            None
        } else {
            self.keymap.action(Mode::Popup, &key)
        };
        if action == Some(Action::Quit) {
            self.quit = true;
            return Vec::new();
        }
        if action == Some(Action::Cancel) {
            // Esc in the filter line clears the filter.
            let filtering = matches!(
                self.popup,
                Some(Popup::Input {
                    purpose: Purpose::Filter,
                    ..
                })
            );
            self.popup = None;
            if filtering && !self.filter.is_empty() {
                self.filter.clear();
                self.set_status("filter cleared", false);
                return self.reset_filter();
            }
            return Vec::new();
        }
        if matches!(action, Some(Action::Confirm | Action::Decide))
            && let Some(refused) = self.refuse_overtaken()
        {
            return refused;
        }
        let Some(popup) = self.popup.take() else {
            return Vec::new();
        };
        match popup {
            Popup::Messages { top } => {
                // Up and down scroll it; any other key closes it.
                let top = match action {
                    Some(Action::Down) => Some(top + 1),
                    Some(Action::Up) => Some(top.saturating_sub(1)),
                    _ => None,
                };
                self.popup = top.map(|top| Popup::Messages { top });
                Vec::new()
            }
            Popup::Decide {
                draft,
                title,
                lines,
            } => self.on_decide_key(action, draft, title, lines),
            Popup::Help { top } => {
                // Up and down scroll it; any other key closes it.
                match action {
                    Some(Action::Down) => self.popup = Some(Popup::Help { top: top + 1 }),
                    Some(Action::Up) => {
                        self.popup = Some(Popup::Help {
                            top: top.saturating_sub(1),
                        })
                    }
                    _ => {}
                }
                Vec::new()
            }
            Popup::BulkConfirm {
                title,
                verdicts,
                mut top,
            } => {
                match action {
                    Some(Action::Confirm) => return self.confirm_bulk(verdicts),
                    Some(Action::Down) => top = (top + 1).min(verdicts.len().saturating_sub(1)),
                    Some(Action::Up) => top = top.saturating_sub(1),
                    _ => {}
                }
                self.popup = Some(Popup::BulkConfirm {
                    title,
                    verdicts,
                    top,
                });
                Vec::new()
            }
            Popup::Pick {
                purpose,
                title,
                items,
                mut sel,
            } => match action {
                Some(Action::Down) => {
                    sel = (sel + 1).min(items.len().saturating_sub(1));
                    self.popup = Some(Popup::Pick {
                        purpose,
                        title,
                        items,
                        sel,
                    });
                    Vec::new()
                }
                Some(Action::Up) => {
                    sel = sel.saturating_sub(1);
                    self.popup = Some(Popup::Pick {
                        purpose,
                        title,
                        items,
                        sel,
                    });
                    Vec::new()
                }
                Some(Action::Confirm) => match items.get(sel) {
                    Some(item) => self.picked(purpose, item.value.clone()),
                    None => Vec::new(),
                },
                _ => {
                    self.popup = Some(Popup::Pick {
                        purpose,
                        title,
                        items,
                        sel,
                    });
                    Vec::new()
                }
            },
            Popup::Input {
                purpose,
                title,
                mut text,
                mut selected,
            } => {
                if action == Some(Action::Confirm) {
                    return self.entered(purpose, text);
                }
                let before = text.clone();
                let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
                let typed = match key.code {
                    KeyCode::Char(c) if !ctrl && !c.is_control() => Some(c),
                    _ => None,
                };
                // A typed character goes into the text; other keys by their
                // bindings (Tab completes, Ctrl-U clears, Up recalls...).
                match (typed, action) {
                    (Some(c), _) => {
                        if selected {
                            text.clear();
                        }
                        if text.len() < MAX_INPUT {
                            text.push(c);
                        }
                    }
                    (None, Some(Action::ClearLine)) => text.clear(),
                    (None, Some(Action::DeleteBack)) if selected => text.clear(),
                    (None, Some(Action::DeleteBack)) => {
                        text.pop();
                    }
                    (None, Some(Action::Complete)) if purpose == Purpose::Command => {
                        let (done, options) = self.complete(&text);
                        if options.len() > 1 {
                            self.set_status(options.join("  "), false);
                        }
                        text = done;
                    }
                    (None, Some(a @ (Action::Up | Action::Down)))
                        if purpose == Purpose::Command =>
                    {
                        if let Some(t) = self.history_step(a == Action::Up) {
                            text = t;
                        }
                    }
                    _ => {}
                }
                selected &= text == before
                    && !matches!(key.code, KeyCode::Left | KeyCode::Right | KeyCode::End);
                let live = purpose == Purpose::Filter && text != before;
                self.popup = Some(Popup::Input {
                    purpose,
                    title,
                    text: text.clone(),
                    selected,
                });
                if live {
                    // The filter applies as it is typed.
                    self.filter = text.trim().to_string();
                    self.report_filter();
                    return self.reset_filter();
                }
                Vec::new()
            }
        }
    }

    fn picked(&mut self, purpose: Purpose, value: String) -> Vec<Request> {
        match purpose {
            Purpose::Event { id, version } => self.picked_event(id, version, value),
            Purpose::Reason(mut d) => {
                d.reason = Some(value);
                self.continue_move(d)
            }
            Purpose::BreachReason(mut d) => {
                d.breach_reason = Some(value);
                self.continue_move(d)
            }
            Purpose::Assign { id, version } => {
                let cmd = Cmd::Assign {
                    id,
                    version,
                    user: value.clone(),
                };
                match self.selected_record().filter(|r| r.id == id).cloned() {
                    Some(r) => self.take_over(&r, cmd, Some(&value)),
                    None => vec![Request::Commit(cmd)],
                }
            }
            Purpose::TakeOver(cmd) if value == "yes" => vec![Request::Commit(*cmd)],
            Purpose::TakeOver(_) => {
                self.set_status("left with its holder", false);
                Vec::new()
            }
            Purpose::Substatus { id, version } => {
                vec![Request::Commit(Cmd::Substatus {
                    id,
                    version,
                    value: Some(value).filter(|v| !v.is_empty()),
                })]
            }
            Purpose::Ack { id, version } => vec![Request::Commit(Cmd::Ack {
                id,
                version,
                reason: value,
            })],
            Purpose::BulkEvent => self.bulk_event(value),
            Purpose::Bulk(d) => self.bulk_answer(d, value),
            Purpose::MoveNote(_) | Purpose::Note { .. } | Purpose::Filter | Purpose::Command => {
                Vec::new()
            }
        }
    }

    fn entered(&mut self, purpose: Purpose, text: String) -> Vec<Request> {
        match purpose {
            Purpose::Filter => {
                let changed = self.filter != text.trim();
                self.filter = text.trim().to_string();
                self.report_filter();
                if changed {
                    self.reset_filter()
                } else {
                    Vec::new()
                }
            }
            Purpose::MoveNote(mut d) => {
                if text.trim().is_empty() {
                    self.popup = Some(Popup::input(
                        Purpose::MoveNote(d.clone()),
                        format!("Note for {} (required)", self.event_label(&d.event)),
                        "",
                    ));
                    self.set_status("a note is required", true);
                    return Vec::new();
                }
                d.note = Some(text.trim().to_string());
                self.continue_move(d)
            }
            Purpose::Bulk(d) => self.bulk_answer(d, text),
            Purpose::Command => self.run_command(text),
            Purpose::Note { id, version } => {
                if text.trim().is_empty() {
                    return Vec::new();
                }
                vec![Request::Commit(Cmd::Note {
                    id,
                    version,
                    text: text.trim().to_string(),
                })]
            }
            _ => Vec::new(),
        }
    }
}
