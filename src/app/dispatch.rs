//! What each action does in the normal mode: the key map's actions turned
//! into state changes and requests. With records marked, the action keys
//! act on the marks.

use super::popup::{self, Popup};
use super::service::{Cmd, Request};
use super::views::ViewKind;
use super::{App, OwnerMode};
use crate::keys::Action;

impl App {
    pub fn on_action(&mut self, a: Action) -> Vec<Request> {
        if let Some(out) = self.on_record_view_action(a) {
            return out;
        }
        if self.group_nav.focus && self.current().kind == ViewKind::Breaches {
            let page = self.group_nav.rows.max(1) as i64;
            match a {
                Action::Down => return self.group_by(1),
                Action::Up => return self.group_by(-1),
                Action::PageDown => return self.group_by(page),
                Action::PageUp => return self.group_by(-page),
                Action::Top => return self.group_by(i64::MIN / 2),
                Action::Bottom => return self.group_by(i64::MAX / 2),
                Action::OpenDetail => return self.open_group(self.group_nav.sel),
                Action::ClearMarks if self.marks.is_empty() => return self.switch_pane(),
                _ => {}
            }
        }
        if self.current().kind == ViewKind::Audit
            && let Some(out) = self.on_audit_action(a)
        {
            return out;
        }
        match a {
            Action::SwitchPane => self.switch_pane(),
            Action::Quit => {
                self.quit = true;
                Vec::new()
            }
            Action::Down => self.select_by(1),
            Action::Up => self.select_by(-1),
            Action::PageDown => self.select_by(self.height.max(1) as i64),
            Action::PageUp => self.select_by(-(self.height.max(1) as i64)),
            Action::Top => self.jump_top(),
            Action::Bottom => self.jump_bottom(),
            Action::NextStage | Action::PrevStage => {
                let n = self.current().stages.len() + 1;
                self.stage_sel = if a == Action::NextStage {
                    (self.stage_sel + 1) % n
                } else {
                    (self.stage_sel + n - 1) % n
                };
                self.groups_follow_stage();
                self.reset_query()
            }
            Action::NextView => self.switch_view((self.view + 1) % self.views.len()),
            Action::PrevView => {
                self.switch_view((self.view + self.views.len() - 1) % self.views.len())
            }
            Action::View(i) if i < self.views.len() => self.switch_view(i),
            Action::View(_) => Vec::new(),
            Action::CycleOwner => {
                self.owner_name = None;
                self.owner = match self.owner {
                    OwnerMode::All => OwnerMode::Mine,
                    OwnerMode::Mine => OwnerMode::Unassigned,
                    OwnerMode::Unassigned => OwnerMode::MineOrUnassigned,
                    OwnerMode::MineOrUnassigned => OwnerMode::All,
                };
                self.set_status(format!("owner filter: {}", self.owner.label()), false);
                self.reset_query()
            }
            Action::Refresh => {
                let out = self.reread();
                self.refresh_seq = Some(self.seq);
                self.set_status("re-reading…", false);
                out
            }
            Action::OpenDetail if self.detail_open => self.close_pane(),
            Action::OpenDetail => self.open_pane(),
            Action::DetailDown => self.scroll_pane(1),
            Action::DetailUp => self.scroll_pane(-1),
            Action::RecordView => self.toggle_record_view(),
            // The Audit view has no queue to sort.
            Action::SortNext | Action::SortReverse if self.current().kind == ViewKind::Audit => {
                self.set_status("the Audit view has no queue to sort", false);
                Vec::new()
            }
            Action::SortNext | Action::SortReverse => {
                let keys = crate::store::SortKey::ALL;
                self.sort = if a == Action::SortNext {
                    let at = keys.iter().position(|k| *k == self.sort.key).unwrap_or(0);
                    keys[(at + 1) % keys.len()].natural()
                } else {
                    crate::store::Sort {
                        desc: !self.sort.desc,
                        ..self.sort
                    }
                };
                self.set_status(format!("sorted {}", self.sort.title()), false);
                self.reset_query()
            }
            Action::Back => self.go_back(),
            Action::Forward => self.go_forward(),
            Action::CopyId => {
                // The id only: never a patient's name.
                if let Some(id) = self.need_record().map(|r| r.id) {
                    self.clipboard = Some(id.to_string());
                    self.set_status(
                        format!(
                            "#{id} copied (to the terminal's clipboard, where it allows OSC 52)"
                        ),
                        false,
                    );
                }
                Vec::new()
            }
            Action::Messages => {
                self.popup = Some(Popup::Messages { top: 0 });
                Vec::new()
            }
            // In the Audit view it is taken before here.
            Action::Trends => {
                self.set_status("trends are in the Audit view", false);
                Vec::new()
            }
            Action::Help => {
                self.popup = Some(Popup::Help { top: 0 });
                Vec::new()
            }
            Action::Filter => {
                self.popup = Some(Popup::input_selected(
                    popup::Purpose::Filter,
                    "Filter: name, #id, stage: owner: role: sla: sub: field:",
                    self.filter.clone(),
                ));
                Vec::new()
            }
            // With records marked, every action key acts on the marks.
            Action::Move if !self.marks.is_empty() => self.bulk_move(),
            Action::Assign if !self.marks.is_empty() => self.bulk_assign(),
            Action::Claim if !self.marks.is_empty() => self.bulk_plain(popup::BulkKind::Claim),
            Action::Release if !self.marks.is_empty() => self.bulk_plain(popup::BulkKind::Release),
            Action::Substatus if !self.marks.is_empty() => self.bulk_substatus(),
            Action::Note if !self.marks.is_empty() => self.bulk_note(),
            Action::Ack if !self.marks.is_empty() => self.bulk_ack(),
            Action::Move => self.open_move(),
            Action::Assign => self.open_assign(),
            Action::Substatus => self.open_substatus(),
            Action::Note => self.open_note(),
            Action::Ack => self.open_ack(),
            Action::Claim => match self.need_record() {
                Some(r) => {
                    let cmd = Cmd::Claim {
                        id: r.id,
                        version: r.version,
                    };
                    self.take_over(&r, cmd, None)
                }
                None => Vec::new(),
            },
            Action::Release => self.with_selected(|r| Cmd::Release {
                id: r.id,
                version: r.version,
            }),
            Action::Command => self.open_command(),
            Action::Mark => self.mark_selected(),
            Action::MarkRange => self.mark_range(),
            Action::MarkAll => self.mark_all(),
            // Esc closes the innermost thing first: the pane.
            Action::ClearMarks if self.detail_open => self.close_pane(),
            Action::ClearMarks => self.clear_marks(),
            Action::Confirm
            | Action::Cancel
            | Action::Decide
            | Action::Complete
            | Action::ClearLine
            | Action::DeleteBack => Vec::new(),
        }
    }
}
