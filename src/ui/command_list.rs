//! Under the `:` prompt, while a command's name is being typed: every
//! command (and alias) it could still be, each with its one-line
//! description, so `:` then Tab (or nothing at all) shows what there is.

use super::{fit, theme::Theme};
use crate::app::App;
use crate::keys::Command;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// The commands and aliases `typed` could still become, with what they do.
pub fn candidates(app: &App, typed: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Command::ALL
        .iter()
        .filter(|c| c.as_str().starts_with(typed))
        .map(|c| (c.as_str().to_string(), c.description().to_string()))
        .collect();
    out.extend(
        app.aliases
            .iter()
            .filter(|(name, _)| name.starts_with(typed))
            .map(|(name, expr)| (name.clone(), format!("alias: :filter {expr}"))),
    );
    out
}

/// Draws the list under the prompt at `prompt`, within `area`.
pub fn draw(f: &mut Frame, area: Rect, prompt: Rect, app: &App, typed: &str, t: &Theme) {
    if typed.contains(' ') {
        return;
    }
    let list = candidates(app, typed);
    if list.is_empty() {
        return;
    }
    let y = prompt.y + prompt.height;
    let room = (area.y + area.height).saturating_sub(y + 2) as usize;
    if room == 0 {
        return;
    }
    let shown = list.len().min(room);
    let rect = Rect {
        x: prompt.x,
        y,
        width: prompt.width,
        height: shown as u16 + 2,
    };
    let w = rect.width.saturating_sub(2) as usize;
    let name_w = list
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let lines: Vec<Line> = list
        .iter()
        .take(shown)
        .map(|(name, what)| {
            Line::from(vec![
                Span::styled(format!("{name:<name_w$}"), t.key()),
                Span::raw(fit(what, w.saturating_sub(name_w))),
            ])
        })
        .collect();
    let more = list.len() - shown;
    let title = if more > 0 {
        format!(" commands · +{more} more ")
    } else {
        " commands · tab completes ".to_string()
    };
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title).title_style(t.dim())),
        rect,
    );
}
