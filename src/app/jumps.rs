//! Back and forward, as a browser (or k9s, tig) has them: `:go` and Enter
//! on a Breaches group push where you were (view, stage, owner filter,
//! filter, cursor, pane); `<` goes back there and `>` forward again. Esc
//! keeps its one meaning (close, clear); it never goes back.

use super::service::Request;
use super::{App, OwnerMode};

/// Where the user was: enough to put the screen back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    view: usize,
    stage_sel: usize,
    owner: OwnerMode,
    owner_name: Option<String>,
    filter: String,
    /// The record under the cursor.
    record: Option<i64>,
    /// The pane's record, if it was open, and the full record view.
    pane: Option<i64>,
    full_view: bool,
    group_focus: bool,
}

/// Locations kept each way.
const KEPT: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct Jumps {
    back: Vec<Location>,
    forward: Vec<Location>,
}

impl Jumps {
    pub fn can_go_back(&self) -> bool {
        !self.back.is_empty()
    }
}

impl App {
    fn here(&self) -> Location {
        Location {
            view: self.view,
            stage_sel: self.stage_sel,
            owner: self.owner,
            owner_name: self.owner_name.clone(),
            filter: self.filter.clone(),
            record: self.selected_record().map(|r| r.id),
            pane: if self.detail_open { self.pane } else { None },
            full_view: self.detail_open && self.full_view,
            group_focus: self.group_nav.focus,
        }
    }

    /// About to jump (`:go`, a Breaches group): remember where we are.
    pub(super) fn push_jump(&mut self) {
        let here = self.here();
        if self.jumps.back.last() == Some(&here) {
            return;
        }
        if self.jumps.back.len() == KEPT {
            self.jumps.back.remove(0);
        }
        self.jumps.back.push(here);
        self.jumps.forward.clear();
    }

    pub(super) fn go_back(&mut self) -> Vec<Request> {
        let Some(to) = self.jumps.back.pop() else {
            self.set_status(
                "nothing to go back to (:go and Enter on a group remember)",
                false,
            );
            return Vec::new();
        };
        let here = self.here();
        self.jumps.forward.push(here);
        self.restore(to, "back")
    }

    pub(super) fn go_forward(&mut self) -> Vec<Request> {
        let Some(to) = self.jumps.forward.pop() else {
            self.set_status("nothing to go forward to", false);
            return Vec::new();
        };
        let here = self.here();
        self.jumps.back.push(here);
        self.restore(to, "forward")
    }

    fn restore(&mut self, to: Location, how: &str) -> Vec<Request> {
        let mut out = Vec::new();
        let view = to.view.min(self.views.len().saturating_sub(1));
        if view != self.view {
            out.extend(self.switch_view(view));
        }
        out.extend(self.close_pane());
        self.stage_sel = to.stage_sel.min(self.current().stages.len());
        self.owner = to.owner;
        self.owner_name = to.owner_name;
        self.filter = to.filter;
        self.group_nav.focus = to.group_focus;
        if let Some(id) = to.pane {
            self.detail_open = true;
            self.pane = Some(id);
            self.full_view = to.full_view;
        }
        // The cursor goes back onto its record when the page comes.
        self.land = to.record;
        let filter = if self.filter.is_empty() {
            String::new()
        } else {
            format!(" · filter `{}`", self.filter)
        };
        let on = to
            .pane
            .or(to.record)
            .map_or(String::new(), |id| format!(" · #{id}"));
        self.set_status(
            format!("{how} to {}{filter}{on}", self.current().title),
            false,
        );
        out.extend(self.reset_query());
        out
    }

    /// A page came: the cursor lands on the record a jump back asked for,
    /// if it is among the rows.
    pub(super) fn land_cursor(&mut self) {
        let Some(id) = self.land.take() else { return };
        if let Some(i) = self.page.rows.iter().position(|r| r.id == id) {
            self.selected = self.page.start + i;
            self.put_selection_in_view();
        }
    }
}
