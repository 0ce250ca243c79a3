//! Where a mouse click lands: a tab, a stage box or a queue row, found
//! from the same layout the frame is drawn with.

use super::{board, regions, tabs};
use crate::app::App;
pub use crate::app::mouse::Hit;
use crate::app::views::ViewKind;
use ratatui::layout::Rect;

fn inside(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
}

/// What is at column `x`, row `y` of a terminal of size `area`.
pub fn hit(area: Rect, app: &App, x: u16, y: u16) -> Option<Hit> {
    if area.width < super::MIN_WIDTH
        || area.height < super::MIN_HEIGHT
        || app.locked
        || app.popup.is_some()
    {
        return None;
    }
    let r = regions(area);
    if inside(r.tabs, x, y) {
        let mut at = r.tabs.x;
        for (i, label) in tabs::tab_labels(app, r.tabs.width).iter().enumerate() {
            let w = label.chars().count() as u16;
            if x >= at && x < at + w {
                return Some(Hit::Tab(i));
            }
            at += w + 1;
        }
        return None;
    }
    if app.current().kind == ViewKind::Audit {
        return None;
    }
    // The full record view covers the board and the table.
    if app.detail_open && app.full_view {
        return None;
    }
    if inside(r.board, x, y) {
        let (first, boxes) = board::boxes(r.board, app);
        return boxes
            .iter()
            .position(|b| inside(*b, x, y))
            .map(|k| Hit::Stage(first + k));
    }
    if !inside(r.body, x, y) {
        return None;
    }
    let table = super::table_area(app, &r)?;
    let table = if app.current().kind == ViewKind::Breaches {
        let [groups, records] = super::breaches::split(table, app);
        if inside(groups, x, y) {
            let first_row = groups.y + 2;
            if y < first_row || y + 1 >= groups.y + groups.height {
                return None;
            }
            let i = app.group_nav.top + (y - first_row) as usize;
            return (i < app.groups.len()).then_some(Hit::Group(i));
        }
        records
    } else {
        table
    };
    // Below the top border and the column headings, above the bottom border.
    let first_row = table.y + 2;
    if !inside(table, x, y) || y < first_row || y + 1 >= table.y + table.height {
        return None;
    }
    let abs = app.top + (y - first_row) as usize;
    (abs < app.page.total).then_some(Hit::Row(abs))
}
