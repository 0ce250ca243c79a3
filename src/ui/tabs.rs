//! The view tabs: each view's key and name, shortened on a narrow terminal.

use super::theme::Theme;
use crate::app::App;
use crate::keys::Mode;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

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

/// Tab names shortened, longest first, until every tab fits `width`, and
/// whether any was; None when that would cut one below [`NAME_MIN`].
fn cut_names(app: &App, width: usize, pad: usize) -> Option<(Vec<String>, bool)> {
    // "K name" padded on both sides, plus a separating space.
    let tab = |i: usize, l: usize| {
        let k = view_key_of(app, i).map_or(0, |k| k.chars().count() + 1);
        k + l + 2 * pad + 1
    };
    let mut lens: Vec<usize> = app.views.iter().map(|v| v.title.chars().count()).collect();
    let mut cut = false;
    let total = |lens: &[usize]| {
        lens.iter()
            .enumerate()
            .map(|(i, l)| tab(i, *l))
            .sum::<usize>()
    };
    while total(&lens) > width {
        let i = lens
            .iter()
            .enumerate()
            .filter(|(_, l)| **l > NAME_MIN)
            .max_by_key(|(i, l)| (**l, std::cmp::Reverse(*i)))
            .map(|(i, _)| i)?;
        lens[i] -= 1;
        cut = true;
    }
    let names = app.views.iter().zip(lens);
    Some((names.map(|(v, l)| super::fit(&v.title, l)).collect(), cut))
}

/// The shortest a tab's name is cut to (`Clinica…`); below that the tabs
/// show keys, and only the active one its name.
const NAME_MIN: usize = 8;

/// Each tab's label as drawn (a space follows each): names, cut no
/// shorter than [`NAME_MIN`]; on a narrower terminal the keys alone,
/// with the active view named in full (cut only if nothing else fits).
/// The padding goes before any name does.
pub fn tab_labels(app: &App, width: u16) -> Vec<String> {
    let width = width as usize;
    let label = |pad: &str, key: Option<String>, name: &str| match key {
        Some(k) if name.is_empty() => format!("{pad}{k}{pad}"),
        Some(k) => format!("{pad}{k} {name}{pad}"),
        None => format!("{pad}{name}{pad}"),
    };
    // Whole names (with padding, then without), before any is cut.
    let tries = [
        (" ", 1, false),
        ("", 0, false),
        (" ", 1, true),
        ("", 0, true),
    ];
    for (pad, p, may_cut) in tries {
        let names = cut_names(app, width, p).filter(|(_, cut)| may_cut || !cut);
        if let Some((names, _)) = names {
            return names
                .iter()
                .enumerate()
                .map(|(i, n)| label(pad, view_key_of(app, i), n))
                .collect();
        }
    }
    // Keys alone; the active view, and any view with no key, by name.
    let named = |i: usize| i == app.view || view_key_of(app, i).is_none();
    let labels = |pad: &str, active: &str| -> Vec<String> {
        app.views
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let name = match (i == app.view, named(i)) {
                    (true, _) => active.to_string(),
                    (false, true) => super::fit(&v.title, NAME_MIN),
                    (false, false) => String::new(),
                };
                label(pad, view_key_of(app, i), &name)
            })
            .collect()
    };
    let total = |l: &[String]| l.iter().map(|s| s.chars().count() + 1).sum::<usize>();
    let active = app.views.get(app.view).map_or("", |v| v.title.as_str());
    for pad in [" ", ""] {
        let l = labels(pad, &crate::present::clean(active));
        if total(&l) <= width {
            return l;
        }
    }
    // " name" after the active view's key: what the rest leaves.
    let room = width.saturating_sub(total(&labels("", "")) + 1);
    labels("", &super::fit(active, room))
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
