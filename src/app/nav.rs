//! Moving the selection through a queue that is fetched a window at a time.

use super::App;
use super::service::{Anchor, Request};

impl App {
    pub(super) fn select_by(&mut self, delta: i64) -> Vec<Request> {
        let total = self.page.total;
        if total == 0 {
            return Vec::new();
        }
        let target = (self.selected as i64 + delta).clamp(0, total as i64 - 1) as usize;
        self.selected = target;
        self.put_selection_in_view();
        self.follow_group();
        let mut out = self.ensure_window();
        out.extend(self.pane_follows_cursor());
        out
    }

    pub(super) fn jump_top(&mut self) -> Vec<Request> {
        self.selected = 0;
        self.top = 0;
        if self.page.start == 0 {
            return self.pane_follows_cursor().into_iter().collect();
        }
        self.pane_follows_cursor();
        vec![self.query(Anchor::First)]
    }

    pub(super) fn jump_bottom(&mut self) -> Vec<Request> {
        let total = self.page.total;
        if total == 0 {
            return Vec::new();
        }
        self.selected = total - 1;
        self.put_selection_in_view();
        if self.page.start + self.page.rows.len() >= total {
            return self.pane_follows_cursor().into_iter().collect();
        }
        self.pane_follows_cursor();
        vec![self.query(Anchor::Last)]
    }

    pub(super) fn put_selection_in_view(&mut self) {
        let h = self.height.max(1);
        if self.selected < self.top {
            self.top = self.selected;
        } else if self.selected >= self.top + h {
            self.top = self.selected + 1 - h;
        }
    }

    /// A page the scan cap cut short, with rows on screen still to read:
    /// asks for the rest, from where the walk stopped, to append.
    pub(super) fn read_on(&mut self) -> Vec<Request> {
        let Some(key) = self.page.resume.clone() else {
            return Vec::new();
        };
        let end = self.page.start + self.page.rows.len();
        let visible_end = (self.top + self.height.max(1)).min(self.page.total);
        if end >= visible_end || self.continuing.is_some() {
            return Vec::new();
        }
        let q = self.query(Anchor::From { key, index: end });
        if let Request::Page { seq, .. } = &q {
            self.continuing = Some(*seq);
        }
        vec![q]
    }

    /// Fetches another window when the visible rows leave the fetched ones.
    fn ensure_window(&mut self) -> Vec<Request> {
        let (start, len) = (self.page.start, self.page.rows.len());
        let end = start + len;
        let visible_end = (self.top + self.height.max(1)).min(self.page.total);
        if self.top >= start && visible_end <= end {
            return Vec::new();
        }
        // A capped walk reads on from where it stopped.
        if self.page.resume.is_some() && self.top >= start && self.top <= end {
            return self.read_on();
        }
        if visible_end > end {
            // Forward: restart the window at the first visible row, which
            // is at most one row past the fetched ones.
            let from = self.top.min(end.saturating_sub(1)).max(start);
            if let Some(r) = from.checked_sub(start).and_then(|i| self.page.rows.get(i)) {
                return vec![self.query(Anchor::From {
                    key: self.sort.row_key(r),
                    index: from,
                })];
            }
        } else if let Some(first) = self.page.rows.first() {
            return vec![self.query(Anchor::Before {
                key: self.sort.row_key(first),
                index: start,
            })];
        }
        vec![self.query(Anchor::First)]
    }

    /// After new rows arrive: keep the selection inside the queue.
    /// After a re-read: the cursor stays on the record it was on. If that
    /// record left the view, the detail pane closes rather than show the
    /// next patient, and the status line says so and where the cursor is.
    pub(super) fn keep_patient(&mut self, before: Option<crate::engine::Record>) -> Vec<Request> {
        let (Some(id), Some(was)) = (self.follow.take(), before) else {
            return Vec::new();
        };
        if was.id != id {
            return Vec::new();
        }
        if let Some(i) = self.page.rows.iter().position(|r| r.id == id) {
            self.selected = self.page.start + i;
            self.put_selection_in_view();
            return Vec::new();
        }
        self.clamp_selection();
        let now_on = self
            .selected_record()
            .map_or("no record".to_string(), super::record_label);
        let left = format!(
            "{} left this view; the cursor is on {now_on}",
            super::record_label(&was)
        );
        // After a commit, its own message comes first.
        // After a commit, its own message comes first: a refusal stays a
        // refusal, never overwritten by where the cursor went.
        match self.status.take() {
            Some(s) if !s.text.contains("left this view") => {
                self.set_status(format!("{} · {left}", s.text), s.error)
            }
            _ => self.set_status(left, false),
        }
        // Who made it leave, when someone else did: said when known.
        let shown = self.status.as_ref().map(|s| s.text.clone());
        let ask = shown.and_then(|s| self.ask_why_left(was.id, was.version, s));
        // The pane closes if it was this record's; a pane bound to another
        // record is kept or closed by `pane_keeps_patient`.
        let mut out = if self.detail_open && self.pane.is_some_and(|p| p != was.id) {
            Vec::new()
        } else {
            self.close_pane()
        };
        out.extend(ask);
        out
    }

    pub(super) fn clamp_selection(&mut self) {
        let total = self.page.total;
        if total == 0 {
            self.selected = 0;
            self.top = 0;
            return;
        }
        if self.selected >= total {
            self.selected = total - 1;
        }
        let (start, len) = (self.page.start, self.page.rows.len());
        if self.selected < start || self.selected >= start + len {
            self.selected = if self.selected < start {
                start
            } else {
                (start + len).saturating_sub(1)
            };
        }
        if self.top > self.selected {
            self.top = self.selected;
        }
        self.put_selection_in_view();
        if self.top < start {
            self.top = start;
        }
    }
}
