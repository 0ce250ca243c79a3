//! Header (pipeline, user, clock, totals), view tabs, status line and the
//! key-hint footer generated from the keymap.

use super::theme::Theme;
use crate::app::App;
use crate::app::keymap::Mode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let p = &app.pipeline;
    let open: i64 = app
        .counts
        .iter()
        .filter(|c| p.stage_ix(&c.stage).is_some_and(|s| !p.stage(s).terminal))
        .map(|c| c.total)
        .sum();
    let breached: i64 = app.counts.iter().map(|c| c.breached).sum();
    let risk: i64 = app.counts.iter().map(|c| c.at_risk).sum();
    let clock = app
        .now
        .with_timezone(&p.timezone)
        .format("%a %Y-%m-%d %H:%M:%S %Z");
    let spans = vec![
        Span::styled(format!(" {} ", p.name), t.title()),
        Span::raw("│ "),
        Span::raw(format!(
            "{} ({}) ",
            crate::text::clean(&app.user.name),
            app.user.roles.join(", ")
        )),
        Span::raw("│ "),
        Span::raw(format!("{clock} ")),
        Span::raw("│ "),
        Span::raw(format!("active {open}  ")),
        Span::styled(
            format!("▲ at risk {risk}  "),
            t.sla(crate::engine::sla::SlaState::Warn),
        ),
        Span::styled(
            format!("✖ breached {breached}"),
            t.sla(crate::engine::sla::SlaState::Breached),
        ),
    ];
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn draw_tabs(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let mut spans = Vec::new();
    // Each tab gets an equal share of the width; long names are shortened.
    let share = (area.width as usize / app.views.len().max(1))
        .saturating_sub(4)
        .max(3);
    for (i, v) in app.views.iter().enumerate() {
        let label = format!(" {} {} ", i + 1, super::fit(&v.title, share));
        spans.push(if i == app.view {
            Span::styled(label, t.selected())
        } else {
            Span::raw(label)
        });
        spans.push(Span::raw(" "));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn draw_status(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let mut spans = Vec::new();
    match &app.status {
        Some(s) if s.error => spans.push(Span::styled(
            format!(" ✖ {}", super::fit(&s.text, area.width as usize - 3)),
            t.error(),
        )),
        Some(s) => spans.push(Span::styled(
            format!(" ✔ {}", super::fit(&s.text, area.width as usize - 3)),
            t.ok(),
        )),
        None => {
            let filter = if app.filter.is_empty() {
                String::new()
            } else {
                format!("  filter \"{}\"", app.filter)
            };
            spans.push(Span::styled(
                format!(" owner: {}{filter}", app.owner.label()),
                t.dim(),
            ));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn draw_footer(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let mode = if app.popup.is_some() {
        Mode::Popup
    } else {
        Mode::Normal
    };
    let mut spans = Vec::new();
    for (action, _) in app.keymap.bindings(mode) {
        let Some(hint) = action.hint() else { continue };
        let key = app.keymap.first_key(mode, action).unwrap_or("");
        spans.push(Span::styled(key.to_string(), t.key()));
        spans.push(Span::raw(format!(" {hint}  ")));
    }
    if mode == Mode::Normal {
        spans.insert(0, Span::raw(" views  "));
        spans.insert(0, Span::styled(format!("1-{}", app.views.len()), t.key()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
