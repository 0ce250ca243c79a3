//! Opening popups for the selected record and answering them: assign,
//! sub-status, note, acknowledge, filter, and the answers of the move flow
//! (in `move_flow`).

use super::App;
use super::popup::{Item, MAX_INPUT, Popup, Purpose};
use super::service::{Cmd, Request};
use crate::engine::sla;
use crate::keys::Action;
use crate::keys::Mode;
use crate::ops::owner_role;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

impl App {
    /// Reason codes as picker items, with their labels from the taxonomy.
    pub(super) fn reason_items(&self, codes: &[String]) -> Vec<Item> {
        codes
            .iter()
            .map(|c| Item {
                value: c.clone(),
                label: format!("{c}: {}", self.pipeline.reason_label(c).unwrap_or("")),
            })
            .collect()
    }

    /// Opens a picker of `items`, or says `empty` when there is nothing to pick.
    fn offer(
        &mut self,
        purpose: Purpose,
        title: String,
        items: Vec<Item>,
        empty: String,
    ) -> Vec<Request> {
        if items.is_empty() {
            self.set_status(empty, true);
        } else {
            self.popup = Some(Popup::pick(purpose, title, items));
        }
        Vec::new()
    }

    /// The record an action acts on: the one under the cursor, when it is
    /// the one the user sees. While the rows of a new filter or view are
    /// still being read, the old rows under the new title are not what the
    /// user asked for; and with the pane open, the cursor's record must be
    /// the pane's. Otherwise nothing is done and the status line says why.
    pub(super) fn need_record(&mut self) -> Option<crate::engine::Record> {
        let r = self.selected_record().cloned();
        let Some(r) = r else {
            self.set_status("no record selected", true);
            return None;
        };
        if self.rows_outdated {
            self.set_status(
                "still reading the rows of this view; nothing was done",
                true,
            );
            return None;
        }
        if self.detail_open
            && let Some(p) = self.pane
            && p != r.id
        {
            self.set_status(
                format!(
                    "the pane shows #{p} but the cursor is on #{}; nothing was done",
                    r.id
                ),
                true,
            );
            return None;
        }
        Some(r)
    }

    pub(super) fn open_assign(&mut self) -> Vec<Request> {
        let Some(r) = self.need_record() else {
            return Vec::new();
        };
        let role = owner_role(&self.pipeline, &r).unwrap_or("").to_string();
        let items: Vec<Item> = self
            .team
            .iter()
            .filter(|u| u.has_role(&role))
            .map(|u| Item {
                value: u.name.clone(),
                label: format!("{} ({})", u.name, u.roles.join(", ")),
            })
            .collect();
        let purpose = Purpose::Assign {
            id: r.id,
            version: r.version,
        };
        let empty = format!("record {}: nobody holds role `{role}`", r.id);
        self.offer(
            purpose,
            format!("Assign {} ({role})", super::record_label(&r)),
            items,
            empty,
        )
    }

    pub(super) fn open_substatus(&mut self) -> Vec<Request> {
        let Some(r) = self.need_record() else {
            return Vec::new();
        };
        let Some(stage) = self
            .pipeline
            .stage_ix(&r.stage)
            .map(|s| self.pipeline.stage(s).clone())
        else {
            return Vec::new();
        };
        let mut items: Vec<Item> = stage
            .substatuses
            .iter()
            .map(|s| Item {
                value: s.id.clone(),
                label: format!(
                    "{}{}",
                    s.label,
                    if s.pauses { "  (pauses SLA)" } else { "" }
                ),
            })
            .collect();
        if r.substatus.is_some() {
            items.insert(
                0,
                Item {
                    value: String::new(),
                    label: "(clear sub-status)".into(),
                },
            );
        }
        let purpose = Purpose::Substatus {
            id: r.id,
            version: r.version,
        };
        let empty = format!("stage `{}` has no sub-statuses", r.stage);
        self.offer(
            purpose,
            format!("Sub-status for {}", super::record_label(&r)),
            items,
            empty,
        )
    }

    pub(super) fn open_note(&mut self) -> Vec<Request> {
        let Some(r) = self.need_record() else {
            return Vec::new();
        };
        self.popup = Some(Popup::input(
            Purpose::Note {
                id: r.id,
                version: r.version,
            },
            format!("Note on {}", super::record_label(&r)),
            "",
        ));
        Vec::new()
    }

    pub(super) fn open_ack(&mut self) -> Vec<Request> {
        let Some(r) = self.need_record() else {
            return Vec::new();
        };
        if !sla::breached(&r, self.now) {
            self.set_status(format!("record {}: the SLA is not breached", r.id), true);
            return Vec::new();
        }
        let Some(stage) = self
            .pipeline
            .stage_ix(&r.stage)
            .map(|s| self.pipeline.stage(s).clone())
        else {
            return Vec::new();
        };
        let items = self.reason_items(&stage.breach_reasons);
        self.popup = Some(Popup::pick(
            Purpose::Ack {
                id: r.id,
                version: r.version,
            },
            format!("Breach reason for {}", super::record_label(&r)),
            items,
        ));
        Vec::new()
    }

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

    /// Says what the filter is, or which of its terms were left out.
    pub(super) fn report_filter(&mut self) {
        let terms = self.terms();
        match terms.errors.first() {
            Some(e) => self.set_status(format!("{e} (left out of the filter)"), true),
            None if self.filter.is_empty() => self.set_status("filter cleared", false),
            None => self.set_status(format!("filter: {}", self.filter), false),
        }
    }

    pub(super) fn reset_filter(&mut self) -> Vec<Request> {
        self.selected = 0;
        self.top = 0;
        let q = self.query(super::service::Anchor::First);
        vec![Request::Counts, q]
    }
}
