//! The marking keys: `space` marks the selected record, `v` a range, `*`
//! every record in the view and filter, `esc` clears (with nothing marked,
//! it clears the filter).

use super::App;
use super::marks::MAX_MARKS;
use super::service::Request;

impl App {
    pub(super) fn mark_selected(&mut self) -> Vec<Request> {
        let Some(r) = self.need_record() else {
            return Vec::new();
        };
        if !self.marks.toggle(&r) {
            self.set_status(format!("at most {MAX_MARKS} records can be marked"), true);
            return Vec::new();
        }
        // On to the next row, as htop and lazygit do: Space Space Space
        // marks three in a row.
        self.select_by(1)
    }

    pub(super) fn mark_range(&mut self) -> Vec<Request> {
        let Some(from) = self.marks.anchor.take() else {
            if self.need_record().is_some() {
                self.marks.anchor = Some(self.selected);
                self.set_status("range mark: move to its other end and press v again", false);
            }
            return Vec::new();
        };
        let (lo, hi) = (from.min(self.selected), from.max(self.selected));
        let rows: Vec<_> = (lo..=hi)
            .filter_map(|abs| {
                abs.checked_sub(self.page.start)
                    .and_then(|i| self.page.rows.get(i))
                    .cloned()
            })
            .collect();
        let mut added = 0;
        for r in &rows {
            if !self.marks.add(r) {
                self.set_status(format!("at most {MAX_MARKS} records can be marked"), true);
                return Vec::new();
            }
            added += 1;
        }
        let missed = (hi - lo + 1) - added;
        if missed > 0 {
            self.set_status(
                format!("{added} marked; {missed} rows of the range were not loaded (use * to mark the whole filter)"),
                true,
            );
        } else {
            self.set_status(format!("{added} marked"), false);
        }
        Vec::new()
    }

    pub(super) fn mark_all(&mut self) -> Vec<Request> {
        let mut filter = self.list_filter();
        filter.limit = Some(MAX_MARKS);
        vec![Request::MarkAll(filter)]
    }

    /// The rows of a `mark all`: `total` matched the filter.
    pub(super) fn on_marked(&mut self, rows: Vec<crate::engine::Record>, total: usize) {
        for r in &rows {
            if !self.marks.add(r) {
                break;
            }
        }
        if total > rows.len() {
            self.set_status(
                format!(
                    "marked the first {} of {total} (at most {MAX_MARKS}); {} marked in all",
                    rows.len(),
                    self.marks.len()
                ),
                true,
            );
        } else {
            self.set_status(format!("{} marked in all", self.marks.len()), false);
        }
    }

    pub(super) fn clear_marks(&mut self) -> Vec<Request> {
        if !self.marks.is_empty() || self.marks.anchor.is_some() {
            let n = self.marks.len();
            self.marks.clear();
            self.set_status(format!("{n} mark(s) cleared"), false);
            return Vec::new();
        }
        if !self.filter.is_empty() {
            self.filter.clear();
            self.set_status("filter cleared", false);
            return self.reset_query();
        }
        Vec::new()
    }
}
