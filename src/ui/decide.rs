//! The confirmation of a clinical decision, and the warning a popup shows
//! when its record changed under it.

use super::{fit, theme::Theme};
use crate::app::App;
use crate::app::popup::MoveDraft;
use crate::present::clean;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// The decision, whole: patient, decision, outcome, reason and note, and
/// which key fires it. The key line is kept when the note is cut.
pub fn draw(
    f: &mut Frame,
    area: Rect,
    app: &App,
    t: &Theme,
    draft: &MoveDraft,
    title: &str,
    lines: &[String],
) {
    let key = app.decide_key();
    let label = app.event_label(&draft.event);
    let rest = format!("{label} · esc cancel · enter does not decide");
    let warn = overtaken_line(app);
    let w = area.width.saturating_sub(4).min(76);
    let h = (lines.len() + 3 + usize::from(warn.is_some())) as u16 + 2;
    let rect = super::popup::centered(area, w, h);
    let inner = rect.width.saturating_sub(2) as usize;
    let mut body: Vec<Line> = lines
        .iter()
        .map(|l| Line::from(fit(&clean(l), inner)))
        .collect();
    body.push(Line::from(""));
    if let Some(warn) = warn {
        body.push(Line::from(Span::styled(fit(&warn, inner), t.error())));
    }
    body.push(Line::from(vec![
        Span::styled(format!(" {key} "), t.selected()),
        Span::raw(" "),
        Span::styled(fit(&rest, inner.saturating_sub(key.len() + 3)), t.key()),
    ]));
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(body).block(
            Block::bordered()
                .title(format!(" {} ", fit(&clean(title), inner.saturating_sub(2))))
                .title_style(t.title()),
        ),
        rect,
    );
}

/// `⚠ #191 was reassigned to kim by sam at 10:02: Enter does nothing`,
/// when the open popup's record changed under it.
pub fn overtaken_line(app: &App) -> Option<String> {
    app.popup_overtaken()
        .map(|o| format!("⚠ {}: Enter does nothing now; Esc closes", clean(&o.said)))
}
