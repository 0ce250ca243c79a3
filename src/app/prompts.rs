//! Opening popups for the selected record: assign, sub-status, note,
//! acknowledge, filter (their answers are in `popup_keys`, the move flow's
//! in `move_flow`), and the record an action acts on.

use super::App;
use super::popup::{Item, Popup, Purpose};
use super::service::Request;
use crate::engine::sla;
use crate::ops::owner_role;

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
        // Roles by name, as everywhere on screen.
        let p = &self.pipeline;
        let items: Vec<Item> = self
            .team
            .iter()
            .filter(|u| u.has_role(&role))
            .map(|u| Item {
                value: u.name.clone(),
                label: format!("{} ({})", u.name, crate::present::role_names(p, &u.roles)),
            })
            .collect();
        let role_name = crate::present::role_name(p, &role);
        let purpose = Purpose::Assign {
            id: r.id,
            version: r.version,
        };
        let empty = format!("record {}: nobody holds the role {role_name}", r.id);
        self.offer(
            purpose,
            format!("Assign {} ({role_name})", super::record_label(&r)),
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
        let empty = format!(
            "{} has no sub-statuses",
            crate::present::stage_name(&self.pipeline, &r.stage)
        );
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

    /// Says what the filter is, or which of its terms were left out.
    /// What the filter being typed selects, said as it is typed: the
    /// message log keeps the last of a run of these, not every keystroke.
    pub(super) fn report_filter(&mut self) {
        let terms = self.terms();
        let (text, error) = match terms.errors.first() {
            Some(e) => (format!("{e} (left out of the filter)"), true),
            None if self.filter.is_empty() => ("filter cleared".to_string(), false),
            None => (format!("filter: {}", self.filter), false),
        };
        self.messages.replace_live(self.now, &text, error);
        self.status = Some(super::Status { text, error });
    }

    pub(super) fn reset_filter(&mut self) -> Vec<Request> {
        self.selected = 0;
        self.top = 0;
        let q = self.query(super::service::Anchor::First);
        let mut out = vec![Request::Counts, q];
        out.extend(self.audit_for_filter());
        out
    }
}
