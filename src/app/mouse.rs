//! Mouse input, when the configuration turns it on: a click on a tab, a
//! stage box or a row acts like the keys that get there; the wheel scrolls.

use super::App;
use super::service::Request;

/// Where a click landed (the front end finds it from its layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// A view's tab.
    Tab(usize),
    /// A stage box: 0 is every stage, i the view's i-th.
    Stage(usize),
    /// A queue row, by absolute index.
    Row(usize),
    /// A Breaches group, by its place in the (sorted) groups.
    Group(usize),
}

/// Rows one turn of the wheel moves.
const WHEEL: i64 = 3;

impl App {
    pub fn on_click(&mut self, hit: Option<Hit>) -> Vec<Request> {
        if !self.mouse || self.locked || self.popup.is_some() {
            return Vec::new();
        }
        match hit {
            Some(Hit::Tab(i)) if i < self.views.len() => self.switch_view(i),
            Some(Hit::Stage(s)) if s <= self.current().stages.len() => {
                self.stage_sel = s;
                self.reset_query()
            }
            Some(Hit::Row(abs)) => {
                self.group_nav.focus = false;
                self.select_by(abs as i64 - self.selected as i64)
            }
            Some(Hit::Group(i)) => self.open_group(i),
            _ => Vec::new(),
        }
    }

    pub fn on_wheel(&mut self, down: bool) -> Vec<Request> {
        if !self.mouse || self.locked || self.popup.is_some() {
            return Vec::new();
        }
        if self.detail_open && self.full_view {
            // The record view covers the queue: the wheel scrolls it.
            return self.scroll_pane(if down { WHEEL } else { -WHEEL });
        }
        self.select_by(if down { WHEEL } else { -WHEEL })
    }
}
