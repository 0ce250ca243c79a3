//! Header (pipeline, user, clock, totals), view tabs, status line and the
//! key-hint footer generated from the keymap.

use super::theme::Theme;
use crate::app::App;
use crate::app::views::ViewKind;
use crate::keys::Action;
use crate::keys::Mode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The header's word while the database connection is being retried (a
/// shorter one on a narrow terminal, so the totals keep their place).
const LOST: &str = "✖ connection lost, reconnecting… ";
const LOST_NARROW: &str = "✖ reconnecting… ";

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
        crate::present::clean(&app.user.name),
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
    let lost = app
        .link_lost
        .as_ref()
        .map(|_| if narrow { LOST_NARROW } else { LOST });
    let fixed: usize = user.chars().count()
        + clock.to_string().chars().count()
        + lost.map_or(0, |l| l.chars().count())
        + 30;
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
    if let Some(label) = &app.mode_label {
        spans.push(Span::styled(
            format!("[{}] ", crate::present::clean(label)),
            t.sla(crate::engine::sla::SlaState::Warn),
        ));
    }
    if let Some(lost) = lost {
        // Symbol and words, not colour alone: it reads under NO_COLOR.
        spans.push(Span::styled(
            lost,
            t.sla(crate::engine::sla::SlaState::Breached),
        ));
    }
    spans.push(Span::raw(user));
    spans.push(Span::raw("│ "));
    spans.push(Span::raw(format!("{clock} ")));
    spans.push(Span::raw("│ "));
    spans.extend(totals);
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The key that opens view `i`, as bound (`view_1`... in the keymap).
pub fn view_key_of(app: &App, i: usize) -> Option<String> {
    app.keymap
        .first_key(Mode::Normal, crate::keys::Action::View(i))
        .map(str::to_string)
}

/// The view keys in short (`1-9`, `1-9,0`, or as listed), and how many
/// views they reach.
pub fn view_keys(app: &App) -> Option<(String, usize)> {
    let keys: Vec<String> = (0..app.views.len())
        .map_while(|i| view_key_of(app, i))
        .collect();
    let n = keys.len();
    keys.last()?;
    // Runs of consecutive digits in short: `1-9,0`, `!,2-9`.
    let digit = |k: &str| k.parse::<u32>().ok().filter(|_| k.len() == 1);
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n
            && let (Some(a), Some(b)) = (digit(&keys[j]), digit(&keys[j + 1]))
            && b == a + 1
        {
            j += 1;
        }
        parts.push(if j >= i + 2 {
            format!("{}-{}", keys[i], keys[j])
        } else {
            keys[i..=j].join(",")
        });
        i = j + 1;
    }
    let text = parts.join(",");
    Some((text, n))
}

/// Tab names shortened, longest first, until every tab fits `width`, down
/// to the key alone on a very narrow terminal. The names do not depend on
/// which tab is active, so they stay put as the user moves between them.
fn tab_names(app: &App, width: usize, pad: usize) -> Vec<String> {
    const MIN: usize = 3;
    // "K name" padded on both sides, plus a separating space.
    let tab = |i: usize, l: usize| {
        let k = view_key_of(app, i).map_or(0, |k| k.chars().count() + 1);
        k + l + 2 * pad + 1
    };
    let mut lens: Vec<usize> = app.views.iter().map(|v| v.title.chars().count()).collect();
    let total = |lens: &[usize]| {
        lens.iter()
            .enumerate()
            .map(|(i, l)| tab(i, *l))
            .sum::<usize>()
    };
    while total(&lens) > width {
        let longest = lens
            .iter()
            .enumerate()
            .filter(|(_, l)| **l > MIN)
            .max_by_key(|(i, l)| (**l, std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        if let Some(i) = longest {
            lens[i] -= 1;
        } else if let Some(i) = (0..lens.len())
            .rev()
            .find(|i| lens[*i] > 0 && view_key_of(app, *i).is_some())
        {
            lens[i] = 0;
        } else {
            break;
        }
    }
    app.views
        .iter()
        .zip(lens)
        .map(|(v, l)| {
            if l == 0 {
                String::new()
            } else {
                super::fit(&v.title, l)
            }
        })
        .collect()
}

/// Each tab's label as drawn (a space follows each).
/// On a narrow terminal the padding goes before any name does.
pub fn tab_labels(app: &App, width: u16) -> Vec<String> {
    let mut names = tab_names(app, width as usize, 1);
    let mut pad = " ";
    if names.iter().any(String::is_empty) {
        names = tab_names(app, width as usize, 0);
        pad = "";
    }
    names
        .iter()
        .enumerate()
        .map(|(i, name)| match (view_key_of(app, i), name.is_empty()) {
            (Some(k), true) => format!("{pad}{k}{pad}"),
            (Some(k), false) => format!("{pad}{k} {name}{pad}"),
            (None, _) => format!("{pad}{name}{pad}"),
        })
        .collect()
}

pub fn draw_tabs(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let mut spans = Vec::new();
    for (i, label) in tab_labels(app, area.width).into_iter().enumerate() {
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
            Action::SwitchPane if audit => Some("next panel"),
            Action::Down if audit => Some("scroll"),
            Action::Refresh if audit => Some("recompute"),
            Action::Help | Action::Quit => action.hint(),
            Action::Decide if deciding => Some("decide"),
            _ if audit => None,
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
