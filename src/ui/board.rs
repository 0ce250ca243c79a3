//! The stage board: the view's stages side by side, each with its count,
//! breaches and at-risk records; the selected one filters the table.

use super::fit;
use super::theme::Theme;
use crate::app::App;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Narrowest stage cell: a name and its counts stay legible.
const MIN_CELL: u16 = 17;

/// The boxes shown: the index of the first one (0 is "All stages", i the
/// view's i-th stage) and their places. As many as fit at a readable
/// width, scrolled to keep the selected stage in view.
pub fn boxes(area: Rect, app: &App) -> (usize, Vec<Rect>) {
    let total = app.current().stages.len() + 1;
    let fit_n = ((area.width / MIN_CELL) as usize).max(1);
    let first = app
        .stage_sel
        .saturating_sub(fit_n - 1)
        .min(total.saturating_sub(fit_n));
    let n = (total - first).min(fit_n) as u32;
    let cols = Layout::horizontal((0..n).map(|_| Constraint::Ratio(1, n))).split(area);
    (first, cols.to_vec())
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let p = &app.pipeline;
    let v = app.current();
    // Under an owner mode or a typed filter, what the queue holds.
    let counts = app.board_counts.as_ref().unwrap_or(&app.counts);
    let count = |id: &str| counts.iter().find(|c| c.stage == id).cloned();
    let mut cells: Vec<(String, i64, i64, i64)> = Vec::new();
    let (mut total, mut br, mut risk) = (0, 0, 0);
    for s in &v.stages {
        let st = p.stage(*s);
        let c = count(&st.id);
        let (n, b, r) = c.map_or((0, 0, 0), |c| (c.total, c.breached, c.at_risk));
        total += n;
        br += b;
        risk += r;
        cells.push((st.name.clone(), n, b, r));
    }
    cells.insert(0, ("All stages".to_string(), total, br, risk));
    let (first, cols) = boxes(area, app);
    let shown = &cells[first..(first + cols.len()).min(cells.len())];
    for (k, ((name, total, breached, at_risk), rect)) in shown.iter().zip(cols.iter()).enumerate() {
        let i = first + k;
        let more_left = k == 0 && first > 0;
        let more_right = k + 1 == shown.len() && first + shown.len() < cells.len();
        let w = rect.width.saturating_sub(2) as usize;
        let selected = i == app.stage_sel;
        let mut block = Block::bordered().border_style(if selected { t.title() } else { t.dim() });
        if more_left {
            block = block.title(format!("‹{first}"));
        }
        if more_right {
            block = block.title(
                ratatui::text::Line::from(format!("{}›", cells.len() - first - shown.len()))
                    .right_aligned(),
            );
        }
        let name_style = if selected { t.selected() } else { t.title() };
        let mut counts = vec![Span::raw(format!("{total}"))];
        if *breached > 0 {
            counts.push(Span::styled(
                format!(" ✖{breached}"),
                t.sla(crate::engine::sla::SlaState::Breached),
            ));
        }
        if *at_risk > 0 {
            counts.push(Span::styled(
                format!(" ▲{at_risk}"),
                t.sla(crate::engine::sla::SlaState::Warn),
            ));
        }
        let text = vec![
            Line::from(Span::styled(fit(name, w), name_style)),
            Line::from(counts),
        ];
        f.render_widget(Paragraph::new(text).block(block), *rect);
    }
}
