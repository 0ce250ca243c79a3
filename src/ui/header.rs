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
    let narrow = area.width < 110;
    let fmt = if narrow {
        "%m-%d %H:%M %Z"
    } else {
        "%a %Y-%m-%d %H:%M:%S %Z"
    };
    let clock = app.now.with_timezone(&p.timezone).format(fmt);
    let user = format!(
        "{} ({}) ",
        crate::text::clean(&app.user.name),
        app.user.roles.join(", ")
    );
    let totals = vec![
        Span::raw(format!("active {open}  ")),
        Span::styled(
            format!("▲ {risk}  "),
            t.sla(crate::engine::sla::SlaState::Warn),
        ),
        Span::styled(
            format!("✖ {breached}"),
            t.sla(crate::engine::sla::SlaState::Breached),
        ),
    ];
    let fixed: usize = user.chars().count() + clock.to_string().chars().count() + 30;
    // The pipeline name gives way first on a narrow terminal.
    let name_room = (area.width as usize).saturating_sub(fixed);
    let mut spans = Vec::new();
    if name_room >= 8 {
        spans.push(Span::styled(
            format!(" {} ", super::fit(&p.name, name_room - 3)),
            t.title(),
        ));
        spans.push(Span::raw("│ "));
    } else {
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(user));
    spans.push(Span::raw("│ "));
    spans.push(Span::raw(format!("{clock} ")));
    spans.push(Span::raw("│ "));
    spans.extend(totals);
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
                format!("  filter \"{}\"", crate::text::clean(&app.filter))
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
    let mut hints: Vec<(String, &'static str)> = Vec::new();
    if mode == Mode::Normal {
        hints.push((format!("1-{}", app.views.len()), "views"));
    }
    for (action, _) in app.keymap.bindings(mode) {
        let Some(hint) = action.hint() else { continue };
        let key = app.keymap.first_key(mode, action).unwrap_or("");
        hints.push((key.to_string(), hint));
    }
    // Help and quit always show; the others as far as the width allows.
    let (tail, body): (Vec<_>, Vec<_>) = hints
        .into_iter()
        .partition(|(_, h)| *h == "help" || *h == "quit");
    let width = |v: &[(String, &str)]| {
        v.iter()
            .map(|(k, h)| k.chars().count() + h.len() + 3)
            .sum::<usize>()
    };
    let room = (area.width as usize).saturating_sub(width(&tail) + 1);
    let mut shown: Vec<(String, &str)> = Vec::new();
    for h in body {
        if width(&shown) + h.0.chars().count() + h.1.len() + 3 > room {
            break;
        }
        shown.push(h);
    }
    shown.extend(tail);
    let mut spans = vec![Span::raw(" ")];
    for (k, h) in shown {
        spans.push(Span::styled(k, t.key()));
        spans.push(Span::raw(format!(" {h}  ")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
