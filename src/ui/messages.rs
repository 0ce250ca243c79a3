//! The message log popup: this session's status messages, latest first,
//! each with its local time (in the pipeline's zone), refusals marked.

use super::theme::Theme;
use crate::app::App;
use crate::ui::record_doc::wrap;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn draw(f: &mut Frame, area: Rect, app: &App, top: usize, t: &Theme) {
    let w = area.width.saturating_sub(4).min(110);
    let inner_w = w.saturating_sub(2) as usize;
    let mut rows: Vec<Line<'static>> = Vec::new();
    for m in app.messages.latest_first() {
        let at =
            m.at.with_timezone(&app.pipeline.timezone)
                .format("%H:%M:%S")
                .to_string();
        let times = if m.times > 1 {
            format!(" (×{})", m.times)
        } else {
            String::new()
        };
        let style = if m.error {
            t.error()
        } else {
            Default::default()
        };
        let line = Line::from(vec![
            Span::styled(format!("{at}  "), t.dim()),
            Span::styled(format!("{}{times}", crate::present::clean(&m.text)), style),
        ]);
        rows.extend(wrap(&line, inner_w.max(1)));
    }
    if rows.is_empty() {
        rows.push(Line::from(Span::styled(
            "No messages yet this session.",
            t.dim(),
        )));
    }
    // As tall as its lines (and the hint), within the terminal.
    let h = (rows.len() as u16 + 3).min(area.height.saturating_sub(2));
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let room = h.saturating_sub(3) as usize;
    let top = top.min(rows.len().saturating_sub(room));
    let below = rows.len().saturating_sub(top + room);
    let title = format!(
        " Messages · {} this session, latest first ",
        app.messages.len()
    );
    let hint = if below > 0 || top > 0 {
        format!("↑ {top} above · ↓ {below} below · down/up scroll · any other key closes")
    } else {
        "any other key closes".to_string()
    };
    let mut lines: Vec<Line> = rows.into_iter().skip(top).take(room).collect();
    while lines.len() < room {
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(hint, t.dim())));
    f.render_widget(Clear, rect);
    let block = Block::bordered().title(title).title_style(t.title());
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    f.render_widget(Paragraph::new(lines), inner);
}
