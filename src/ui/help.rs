//! The help panel, generated from the live keymap: every key the user
//! has, which key opens which view, the symbols and the units of time.

use super::popup::centered;
use super::{fit, theme::Theme};
use crate::app::App;
use crate::keys::Action;
use crate::keys::Mode;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme, top: usize) {
    let is_view = |a: &Action| matches!(a, Action::View(_));
    let normal: Vec<_> = app
        .keymap
        .bindings(Mode::Normal)
        .into_iter()
        .filter(|(a, _)| !is_view(a))
        .collect();
    let popup = app.keymap.bindings(Mode::Popup);
    let views = super::tabs::view_keys(app);
    // An owning role of this pipeline, to show what `(role)` means.
    let role = app
        .pipeline
        .stages
        .iter()
        .find_map(|s| s.owner)
        .map_or("role".to_string(), |o| app.pipeline.role(o).name.clone());
    let unheld = format!("({})", fit(&role, 13));
    let unheld_text = "nobody yet: the owning role's queue".to_string();
    let symbols = [
        ("✖", "breached: past its SLA (+ time over)"),
        ("▲", "at risk: past the warn time"),
        ("●", "on time: working time left"),
        ("‖", "paused: a sub-status stops the clock"),
        ("·", "no SLA in this stage"),
        ("✓", "marked for a bulk action"),
        (unheld.as_str(), unheld_text.as_str()),
        ("-", "owner: no role owns the stage"),
        ("▸ ›", "Breaches: group cursor, row's group"),
        ("3h12m", "time left: working time (stage's calendar)"),
        ("+133d", "time over: calendar time since due"),
        (
            "(744h working)",
            "the working hours over, where they differ",
        ),
        ("yesterday 17:00", "due: past and future read apart"),
    ];
    let owner_key = app
        .keymap
        .first_key(Mode::Normal, Action::CycleOwner)
        .unwrap_or("o")
        .to_string();
    // The views whose key is not their number, and those with none.
    let odd_views = view_rows(app);
    // Titles, the bindings, gaps, the symbols, the owner cycle, the `:`
    // commands and the filter terms (with their titles and gaps), the hint.
    let count = 2
        + odd_views.len()
        + normal.len()
        + 2
        + popup.len()
        + 2
        + symbols.len()
        + 3
        + 2
        + crate::keys::Command::ALL.len()
        + app.aliases.len()
        + 2
        + filter_terms(app).len()
        + 1;
    // Two columns when one does not fit the terminal's height.
    let room = area.height.saturating_sub(4) as usize;
    let two = count > room && room > 0 && area.width >= 100;
    let rect_w = if two { 110 } else { 60 };
    // Descriptions are cut, with an ellipsis, to what a column leaves.
    let col_w =
        centered(area, rect_w, 1).width.saturating_sub(2) as usize / if two { 2 } else { 1 };
    let desc_w = col_w.saturating_sub(18);
    let row = |keys: String, what: &str| {
        Line::from(vec![
            Span::styled(format!("  {keys:<16}"), t.key()),
            Span::raw(fit(what, desc_w)),
        ])
    };
    let mut lines = vec![Line::from(Span::styled(
        "Keys (from your configuration)",
        t.title(),
    ))];
    if let Some((keys, n)) = &views {
        lines.push(row(
            keys.clone(),
            &format!("views 1 to {n} (tabs); `:view NAME` any"),
        ));
    }
    for (keys, what) in odd_views {
        lines.push(row(keys, &what));
    }
    for (a, keys) in normal {
        lines.push(row(keys, a.description()));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "In pickers and prompts",
        t.title(),
    )));
    for (a, keys) in popup {
        lines.push(row(keys, a.description()));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Symbols", t.title())));
    for (sym, what) in symbols {
        lines.push(row(sym.to_string(), what));
    }
    lines.push(Line::from(""));
    lines.push(row(owner_key, "cycles the owner filter:"));
    lines.push(Line::from(
        "    all → mine → unassigned → mine + unassigned",
    ));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "The : command line (Tab completes)",
        t.title(),
    )));
    for c in crate::keys::Command::ALL {
        lines.push(row(format!(":{}", c.as_str()), c.description()));
    }
    for (name, expr) in &app.aliases {
        lines.push(row(format!(":{name}"), &format!("alias: :filter {expr}")));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Filters (/, :filter, :mark)",
        t.title(),
    )));
    for (term, what) in filter_terms(app) {
        lines.push(row(term, &what));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "down/up scroll · any other key closes this help",
        t.dim(),
    )));
    let (cols, per) = if two {
        (2, lines.len().div_ceil(2))
    } else {
        (1, lines.len())
    };
    // What does not fit scrolls (up and down), and the title says so.
    let fit_rows = (area.height.saturating_sub(4) as usize).max(1);
    let rows = per.min(fit_rows);
    let hidden = per - rows;
    let top = top.min(hidden);
    let title = if hidden > 0 {
        format!(" Help · +{} more · down/up scroll ", hidden - top)
    } else {
        " Help ".to_string()
    };
    let rect = centered(area, rect_w, rows as u16 + 2);
    f.render_widget(Clear, rect);
    let block = Block::bordered().title(title).title_style(t.title());
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let halves =
        Layout::horizontal((0..cols).map(|_| Constraint::Ratio(1, cols as u32))).split(inner);
    let mut rest = lines;
    for half in halves.iter() {
        let take = per.min(rest.len());
        let col: Vec<Line> = rest.drain(..take).skip(top).take(rows).collect();
        f.render_widget(Paragraph::new(col), *half);
    }
}

/// Help rows for the views a digit does not name: `0 Breaches`, `- Audit`,
/// and `:view 13 …` for any view with no key at all.
fn view_rows(app: &App) -> Vec<(String, String)> {
    app.views
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let name = crate::present::clean(&v.title);
            match super::tabs::view_key_of(app, i) {
                Some(k) if k == (i + 1).to_string() => None,
                Some(k) => Some((k, format!("view {}: {name}", i + 1))),
                None => Some((
                    format!(":view {}", i + 1),
                    format!("{name} (no key; `:view NAME` opens any view)"),
                )),
            }
        })
        .collect()
}

/// The filter syntax, with this pipeline's own filterable fields.
fn filter_terms(app: &App) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        ("stage:ID".into(), "a stage; a,b means either".into()),
        ("owner:NAME".into(), "a user's records; me, none".into()),
        ("role:ID".into(), "records a role owns".into()),
        ("sla:STATE".into(), "breached, warn, ok or paused".into()),
        ("sub:ID".into(), "a sub-status; none for none".into()),
        ("#42 or 42".into(), "one record by its id".into()),
        (
            "noaction:yes".into(),
            "no owner action (the audit's)".into(),
        ),
        ("reason:CODE".into(), "a breach for that reason".into()),
        ("exited:STAGE".into(), "left it before active care".into()),
        ("words".into(), "words of the patient's name".into()),
    ];
    for f in app.pipeline.fields.iter().filter(|f| f.filterable) {
        out.push((format!("{}:VALUE", f.id), format!("{} (a field)", f.label)));
    }
    out.push(("a b".into(), "AND between terms; \"x y\" quoted".into()));
    out
}
