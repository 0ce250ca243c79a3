//! The detail pane keeps its patient. It is bound to one record: it
//! follows the cursor only when the user moves the cursor, and when new
//! rows (a re-read, another filter, another view) leave the cursor on
//! someone else, it finds its record again or closes, saying so. It never
//! shows another patient than the one the user chose.

use super::App;
use super::service::Request;
use crate::keys::Action;

impl App {
    /// Opens the pane on the selected record.
    pub(super) fn open_pane(&mut self) -> Vec<Request> {
        let Some(id) = self.selected_record().map(|r| r.id) else {
            self.set_status("no record selected", true);
            return Vec::new();
        };
        self.detail_open = true;
        self.pane = Some(id);
        self.pane_moved = false;
        self.pane_top = 0;
        vec![Request::Detail(id)]
    }

    /// Closes the pane (a later opening is a new access).
    pub(super) fn close_pane(&mut self) -> Vec<Request> {
        let was = self.detail_open;
        self.detail_open = false;
        self.full_view = false;
        self.detail = None;
        self.pane = None;
        self.pane_moved = false;
        self.pane_top = 0;
        if was {
            vec![Request::DetailClosed]
        } else {
            Vec::new()
        }
    }

    /// The user moved the cursor: an open pane goes with it (to the record
    /// under it once that row is read, if it is not yet).
    pub(super) fn pane_follows_cursor(&mut self) -> Option<Request> {
        if !self.detail_open {
            return None;
        }
        match self.selected_record().map(|r| r.id) {
            Some(id) => {
                if self.pane != Some(id) {
                    self.pane_top = 0;
                }
                self.pane = Some(id);
                self.pane_moved = false;
                Some(Request::Detail(id))
            }
            None => {
                self.pane_moved = true;
                None
            }
        }
    }

    /// New rows arrived with no move of the user's: the pane stays on its
    /// record, the cursor is put back on it, or the pane closes and the
    /// status line says why and where the cursor is.
    pub(super) fn pane_keeps_patient(&mut self) -> Vec<Request> {
        if !self.detail_open {
            return Vec::new();
        }
        if self.pane_moved {
            return self.pane_follows_cursor().into_iter().collect();
        }
        let Some(id) = self.pane else {
            return self.pane_follows_cursor().into_iter().collect();
        };
        if self.selected_record().map(|r| r.id) == Some(id) {
            return vec![Request::Detail(id)];
        }
        if let Some(i) = self.page.rows.iter().position(|r| r.id == id) {
            self.selected = self.page.start + i;
            self.put_selection_in_view();
            return vec![Request::Detail(id)];
        }
        let who = match self.detail.as_ref().filter(|d| d.record.id == id) {
            Some(d) => super::record_label(&d.record),
            None => format!("#{id}"),
        };
        let now_on = self
            .selected_record()
            .map_or("no record".to_string(), super::record_label);
        let said =
            format!("{who} is not in these rows: its pane closed; the cursor is on {now_on}");
        match self.status.take() {
            // A commit's own message, or a record that left, comes first.
            Some(s) if !s.text.contains("its pane closed") => {
                self.set_status(format!("{} · {said}", s.text), s.error)
            }
            _ => self.set_status(said, false),
        }
        self.close_pane()
    }

    /// The detail shown, if it is the pane's record (a detail still on its
    /// way for another record is never drawn under this one's name).
    pub fn pane_detail(&self) -> Option<&super::service::Detail> {
        if !self.detail_open {
            return None;
        }
        self.detail
            .as_ref()
            .filter(|d| Some(d.record.id) == self.pane)
    }

    /// Scrolls the pane's document by `by` rows (the front end stops it at
    /// its last row; see `ui::fit_app`).
    pub(super) fn scroll_pane(&mut self, by: i64) -> Vec<Request> {
        if !self.detail_open {
            let open = self
                .keymap
                .first_key(crate::keys::Mode::Normal, Action::OpenDetail)
                .unwrap_or("enter");
            self.set_status(format!("no detail open ({open} opens it)"), false);
            return Vec::new();
        }
        self.pane_top = if by < 0 {
            self.pane_top.saturating_sub(by.unsigned_abs() as usize)
        } else {
            self.pane_top.saturating_add(by as usize).min(self.pane_max)
        };
        Vec::new()
    }

    /// The full record view: opens on the selected record (or the pane's),
    /// and a second press goes back to the pane beside the queue.
    pub(super) fn toggle_record_view(&mut self) -> Vec<Request> {
        if self.detail_open {
            self.full_view = !self.full_view;
            return Vec::new();
        }
        let out = self.open_pane();
        self.full_view = self.detail_open;
        out
    }

    /// In the full record view the moving keys scroll the record: the queue
    /// under it is hidden, so they never change the patient shown. Esc goes
    /// back to the pane. None for the keys the view leaves as they are.
    pub(super) fn on_record_view_action(&mut self, a: Action) -> Option<Vec<Request>> {
        if !(self.detail_open && self.full_view) {
            return None;
        }
        let page = self.pane_rows.saturating_sub(1).max(1) as i64;
        Some(match a {
            Action::Down => self.scroll_pane(1),
            Action::Up => self.scroll_pane(-1),
            Action::PageDown => self.scroll_pane(page),
            Action::PageUp => self.scroll_pane(-page),
            Action::Top => {
                self.pane_top = 0;
                Vec::new()
            }
            Action::Bottom => self.scroll_pane(i64::MAX / 2),
            Action::ClearMarks | Action::Cancel => {
                self.full_view = false;
                Vec::new()
            }
            // Other records are reached from the queue, not from here.
            Action::NextStage | Action::PrevStage | Action::SwitchPane => {
                self.set_status("the record view shows one record: esc goes back", false);
                Vec::new()
            }
            _ => return None,
        })
    }
}
