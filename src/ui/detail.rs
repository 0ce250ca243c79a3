//! The detail pane and the full record view: the record's document (see
//! `record_doc`) in a bordered window that scrolls by its own keys and says
//! what lies above and below it.

use super::record_doc::{self, Row};
use super::{fit, theme::Theme};
use crate::app::App;
use crate::keys::{Action, Mode};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The rows inside the pane's border at `area`, and how many fit.
pub fn document(app: &App, area: Rect, t: &Theme) -> Option<(Vec<Row>, usize)> {
    let d = app.pane_detail()?;
    let inner = Block::bordered().inner(area);
    let rows = record_doc::rows(app, d, inner.width as usize, t);
    Some((rows, inner.height as usize))
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let Some(d) = app.pane_detail() else {
        let id = app.pane.map(|id| format!(" #{id} ")).unwrap_or_default();
        let block = Block::bordered().title(id).title_style(t.title());
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(Paragraph::new("reading…").style(t.dim()), inner);
        return;
    };
    let r = &d.record;
    let w = area.width.saturating_sub(4) as usize;
    let what = if app.full_view { " · record" } else { "" };
    let title = format!(
        " #{} {}{what} ",
        r.id,
        fit(&r.patient, w.saturating_sub(10 + what.len()))
    );
    let block = Block::bordered().title(title).title_style(t.title());
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some((rows, height)) = document(app, area, t) else {
        return;
    };
    let win = record_doc::window(&rows, app.pane_top, height);
    let mut lines: Vec<Line> = Vec::new();
    if win.above > 0 {
        lines.push(marker(format!("↑ {} more above", win.above), app, false, t));
    }
    lines.extend(
        rows[win.first..win.first + win.shown]
            .iter()
            .map(|r| r.line.clone()),
    );
    if win.below > 0 {
        // The marker at the bottom row, where a window ends early rather
        // than on a heading whose content it cuts.
        while lines.len() + 1 < height {
            lines.push(Line::from(""));
        }
        lines.push(marker(format!("↓ {} more below", win.below), app, true, t));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// `↓ 12 more below (J)`: a cut end names the key that scrolls to it.
fn marker(text: String, app: &App, down: bool, t: &Theme) -> Line<'static> {
    let action = match (app.full_view, down) {
        (true, true) => Action::Down,
        (true, false) => Action::Up,
        (false, true) => Action::DetailDown,
        (false, false) => Action::DetailUp,
    };
    let key = app
        .keymap
        .first_key(Mode::Normal, action)
        .map(|k| format!(" ({k})"))
        .unwrap_or_default();
    Line::from(Span::styled(format!("{text}{key}"), t.dim()))
}

/// The furthest the document at `area` scrolls, and the rows it shows at
/// once (for `ui::fit_app`).
pub fn extent(app: &App, area: Rect) -> Option<(usize, usize)> {
    let (rows, height) = document(app, area, &Theme::mono())?;
    Some((record_doc::max_top(rows.len(), height), height))
}
