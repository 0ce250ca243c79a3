//! The status line and the key-hint footer generated from the keymap.

use super::tabs::view_keys;
use super::theme::Theme;
use crate::app::App;
use crate::app::views::ViewKind;
use crate::keys::Action;
use crate::keys::Mode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

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
                format!("  filter \"{}\"", crate::present::clean(&app.filter))
            };
            spans.push(Span::styled(
                format!(" owner: {}{filter}", app.owner.label()),
                t.dim(),
            ));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Which footer hints give way last (lower first) on a narrow terminal.
fn footer_rank(hint: &str) -> usize {
    const ORDER: [&str; 14] = [
        "· actions apply to them ·",
        "clear",
        "move",
        "groups",
        "records",
        "show group",
        "claim",
        "ack",
        "filter",
        "assign",
        "next panel",
        "scroll",
        "recompute",
        "release",
    ];
    ORDER.iter().position(|h| *h == hint).unwrap_or(ORDER.len())
}

pub fn draw_footer(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let mode = if app.popup.is_some() {
        Mode::Popup
    } else {
        Mode::Normal
    };
    // The help and the message log: reading only, any other key closes.
    if matches!(
        app.popup,
        Some(crate::app::popup::Popup::Help { .. } | crate::app::popup::Popup::Messages { .. })
    ) {
        let key = |a| app.keymap.first_key(Mode::Popup, a).unwrap_or("");
        let line = Line::from(vec![
            Span::styled(
                format!(" {}/{}", key(Action::Down), key(Action::Up)),
                t.key(),
            ),
            Span::raw(" scroll  any other key closes"),
        ]);
        f.render_widget(Paragraph::new(line), area);
        return;
    }
    let mut hints: Vec<(String, &'static str)> = Vec::new();
    let marked = format!("{} marked", app.marks.len());
    if mode == Mode::Normal && !app.marks.is_empty() {
        // Marks first: every action key now acts on them.
        let clear = app
            .keymap
            .first_key(mode, crate::keys::Action::ClearMarks)
            .unwrap_or("esc");
        hints.push((marked.clone(), "· actions apply to them ·"));
        hints.push((clear.to_string(), "clear"));
    }
    if mode == Mode::Normal
        && let Some((keys, _)) = view_keys(app)
    {
        hints.push((keys, "views"));
    }
    let breaches = mode == Mode::Normal && app.current().kind == ViewKind::Breaches;
    if breaches && let Some(k) = app.keymap.first_key(mode, Action::SwitchPane) {
        let to = if app.group_nav.focus {
            "records"
        } else {
            "groups"
        };
        hints.push((k.to_string(), to));
    }
    let audit = mode == Mode::Normal && app.current().kind == ViewKind::Audit;
    // A confirmed decision: the decide key, never "enter ok".
    let deciding = matches!(app.popup, Some(crate::app::popup::Popup::Decide { .. }));
    for (action, _) in app.keymap.bindings(mode) {
        if deciding && !matches!(action, Action::Decide | Action::Cancel | Action::Quit) {
            continue;
        }
        // The Audit view has no records: its own keys only.
        let hint = match action {
            // The trend page: only its own keys.
            Action::SwitchPane | Action::Down | Action::OpenDetail | Action::NextStage
                if audit && app.audit_nav.trends =>
            {
                None
            }
            Action::SwitchPane if audit => Some("next panel"),
            Action::Down if audit => Some("move"),
            Action::Refresh if audit => Some("recompute"),
            Action::Trends if audit => Some(if app.audit_nav.trends {
                "stage tables"
            } else {
                "trends"
            }),
            Action::OpenDetail if audit => Some("its records"),
            Action::NextStage if audit && app.audit_nav.focus == 0 => {
                Some(if app.audit_nav.column == 0 {
                    "no-owner count"
                } else {
                    "stage"
                })
            }
            Action::Help | Action::Quit => action.hint(),
            _ if audit => None,
            Action::Decide if deciding => Some("decide"),
            Action::DetailDown if app.detail_open && !app.full_view => Some("scroll"),
            Action::Down if app.detail_open && app.full_view => Some("scroll"),
            Action::RecordView if app.detail_open && app.full_view => Some("back"),
            // The pane open: the key to see all of it.
            Action::RecordView if app.detail_open => Some("full view"),
            _ => action.hint(),
        };
        let Some(hint) = hint else { continue };
        let hint = if breaches && app.group_nav.focus && action == Action::OpenDetail {
            "show group"
        } else {
            hint
        };
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
    // Where not all fit, the most used keys win (the tabs show the view
    // numbers anyway); they keep their usual order on the line.
    let mut by_need: Vec<usize> = (0..body.len()).collect();
    by_need.sort_by_key(|&i| footer_rank(body[i].1));
    let mut keep = vec![false; body.len()];
    let mut used = 0;
    for i in by_need {
        let w = body[i].0.chars().count() + body[i].1.len() + 3;
        if used + w <= room {
            used += w;
            keep[i] = true;
        }
    }
    let mut shown: Vec<(String, &str)> = body
        .into_iter()
        .zip(keep)
        .filter_map(|(h, k)| k.then_some(h))
        .collect();
    shown.extend(tail);
    let mut spans = vec![Span::raw(" ")];
    for (k, h) in shown {
        spans.push(Span::styled(k, t.key()));
        spans.push(Span::raw(format!(" {h}  ")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
