//! Pickers, prompts and bulk dry runs (help is in `help`).

use super::{fit, theme::Theme};
use crate::app::App;
use crate::app::popup::Popup;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let Some(popup) = &app.popup else { return };
    match popup {
        Popup::Messages { top } => super::messages::draw(f, area, app, *top, t),
        Popup::Pick {
            title, items, sel, ..
        } => {
            // As wide as its longest line and as tall as its items (with
            // the hint), within the terminal; a long list scrolls with the
            // cursor and its title says how many are left out.
            let hint = "enter choose · esc cancel";
            let title_text = crate::present::clean(title);
            let room = area.height.saturating_sub(2 + 3) as usize;
            let shown = items.len().min(room.max(1));
            let top =
                crate::app::groups::window(*sel, sel.saturating_sub(shown / 2), shown, items.len());
            let cut = if shown < items.len() {
                format!(" · {}–{} of {}", top + 1, top + shown, items.len())
            } else {
                String::new()
            };
            let title = format!("{title_text}{cut}");
            let longest = items
                .iter()
                .map(|it| crate::present::clean(&it.label).chars().count() + 2)
                .chain([hint.chars().count(), title.chars().count() + 4])
                .max()
                .unwrap_or(0);
            let warn = super::decide::overtaken_line(app);
            let extra = u16::from(warn.is_some());
            let rect = centered(area, (longest as u16 + 3).max(30), shown as u16 + 3 + extra);
            let w = rect.width.saturating_sub(2) as usize;
            let mut lines: Vec<Line> = items
                .iter()
                .enumerate()
                .skip(top)
                .take(shown)
                .map(|(i, it)| {
                    let mark = if i == *sel { "▶ " } else { "  " };
                    let text = format!("{mark}{}", fit(&it.label, w.saturating_sub(2)));
                    if i == *sel {
                        Line::from(Span::styled(text, t.selected()))
                    } else {
                        Line::from(text)
                    }
                })
                .collect();
            if let Some(warn) = warn {
                lines.push(Line::from(Span::styled(fit(&warn, w), t.error())));
            }
            lines.push(Line::from(Span::styled(hint, t.dim())));
            f.render_widget(Clear, rect);
            f.render_widget(
                Paragraph::new(lines).block(
                    Block::bordered()
                        .title(format!(" {} ", fit(&title, w.saturating_sub(2))))
                        .title_style(t.title()),
                ),
                rect,
            );
        }
        Popup::Input {
            purpose,
            title,
            text,
            selected,
        } => {
            let warn = super::decide::overtaken_line(app);
            let rect = centered(area, 70, 4 + u16::from(warn.is_some()));
            let esc = if *purpose == crate::app::popup::Purpose::Filter {
                "esc clear"
            } else {
                "esc cancel"
            };
            let w = rect.width.saturating_sub(4) as usize;
            let shown: String = {
                let clean = crate::present::clean(text);
                let n = clean.chars().count();
                clean
                    .chars()
                    .skip(n.saturating_sub(w.saturating_sub(1)))
                    .collect()
            };
            let text_style = if *selected {
                t.selected()
            } else {
                ratatui::style::Style::default()
            };
            let lines = vec![
                Line::from(vec![
                    Span::styled(shown, text_style),
                    Span::styled("█", t.key()),
                ]),
                Line::from(Span::styled(
                    if *selected {
                        format!("type to replace · ctrl-u clear · enter confirm · {esc}")
                    } else {
                        format!("enter confirm · ctrl-u clear · {esc}")
                    },
                    t.dim(),
                )),
            ];
            let mut lines = lines;
            if let Some(warn) = warn {
                lines.insert(1, Line::from(Span::styled(fit(&warn, w + 2), t.error())));
            }
            f.render_widget(Clear, rect);
            f.render_widget(
                Paragraph::new(lines).block(
                    Block::bordered()
                        .title(format!(" {} ", crate::present::clean(title)))
                        .title_style(t.title()),
                ),
                rect,
            );
            if *purpose == crate::app::popup::Purpose::Command {
                super::command_list::draw(f, area, rect, app, text, t);
            }
        }
        Popup::Decide {
            draft,
            title,
            lines,
        } => super::decide::draw(f, area, app, t, draft, title, lines),
        Popup::BulkConfirm {
            title,
            verdicts,
            top,
        } => draw_bulk(f, area, app, t, title, verdicts, *top),
        Popup::Help { top } => super::help::draw(f, area, app, t, *top),
    }
}

/// A bulk action's dry run: what passes, and each refused record with the
/// engine's reason; the refused first, so they are seen.
fn draw_bulk(
    f: &mut Frame,
    area: Rect,
    app: &App,
    t: &Theme,
    title: &str,
    verdicts: &[crate::app::bulk_service::Verdict],
    top: usize,
) {
    let w = centered(area, 90, 1).width.saturating_sub(2).max(1) as usize;
    let patient = |id: i64| {
        app.marks
            .records()
            .find(|r| r.id == id)
            .map(|r| crate::present::clean(&r.patient))
            .unwrap_or_default()
    };
    let mut rows: Vec<&crate::app::bulk_service::Verdict> = verdicts.iter().collect();
    rows.sort_by_key(|v| (v.refused.is_none(), v.cmd.id()));
    let texts: Vec<(String, ratatui::style::Style)> = rows
        .iter()
        .map(|v| {
            let id = v.cmd.id();
            match &v.refused {
                Some(why) => (
                    format!("✖ #{id} {}: {}", patient(id), crate::present::clean(why)),
                    t.error(),
                ),
                None => (fit(&format!("✓ #{id} {}", patient(id)), w), t.ok()),
            }
        })
        .collect();
    // Refusal reasons wrap rather than lose their end: each row takes the
    // lines it needs, as many rows as fit are shown.
    // Word wrap leaves lines short: counted as if ten cells narrower.
    let height = |s: &str| {
        let n = s.chars().count();
        if n <= w {
            1
        } else {
            n.div_ceil(w.saturating_sub(10).max(1))
        }
    };
    let budget = area.height.saturating_sub(5) as usize;
    let mut used = 0;
    let mut shown = 0;
    for (text, _) in texts.iter().skip(top) {
        if used + height(text) > budget {
            break;
        }
        used += height(text);
        shown += 1;
    }
    let rect = centered(area, 90, used as u16 + 3);
    let room = shown;
    let mut lines: Vec<Line> = texts
        .iter()
        .skip(top)
        .take(room)
        .map(|(text, style)| Line::from(Span::styled(text.clone(), *style)))
        .collect();
    let more = rows.len().saturating_sub(top + room);
    let hint = if more > 0 {
        format!("+{more} more (j/k) · enter do · esc cancel")
    } else {
        "enter do · esc cancel".to_string()
    };
    lines.push(Line::from(Span::styled(hint, t.dim())));
    f.render_widget(Clear, rect);
    // Refusal reasons wrap rather than lose their end.
    f.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(
                Block::bordered()
                    .title(format!(" {} ", crate::present::clean(title)))
                    .title_style(t.title()),
            ),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use crate::app::App;
    use crate::app::popup::{Item, Popup, Purpose};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use std::sync::Arc;

    fn app_with_picker(n: usize, sel: usize) -> App {
        let p = crate::domain::check(crate::domain::DEFAULT_PIPELINE)
            .pipeline
            .expect("default pipeline");
        let user = crate::engine::User {
            name: "kim".into(),
            roles: vec!["supervisor".into()],
        };
        let mut app = App::new(Arc::new(p), user, chrono::Utc::now());
        let items = (0..n)
            .map(|i| Item {
                value: format!("u{i}"),
                label: format!("user number {i}"),
            })
            .collect();
        let mut popup = Popup::pick(
            Purpose::Assign { id: 1, version: 1 },
            "Assign #1 Ann",
            items,
        );
        if let Popup::Pick { sel: s, .. } = &mut popup {
            *s = sel;
        }
        app.popup = Some(popup);
        app
    }

    fn screen(app: &App, w: u16, h: u16) -> Vec<String> {
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        t.draw(|f| super::draw(f, f.area(), app, &crate::ui::theme::Theme::mono()))
            .expect("draw");
        let buf = t.backend().buffer().clone();
        (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect())
            .collect()
    }

    #[test]
    fn a_picker_is_as_big_as_its_items_and_a_long_one_scrolls_to_the_cursor() {
        // Three items: three rows, the hint, the borders; no spare row, and
        // no wider than its longest line needs.
        let s = screen(&app_with_picker(3, 0), 120, 40);
        let rows: Vec<&String> = s.iter().filter(|l| l.contains('│')).collect();
        assert_eq!(rows.len(), 4, "{s:#?}");
        let top = s
            .iter()
            .find(|l| l.contains("Assign #1 Ann"))
            .expect("title");
        assert!(top.trim().chars().count() < 40, "{top}");
        // Forty in a 24-row terminal: the cursor's row is drawn, and the
        // title says which of how many are shown.
        let s = screen(&app_with_picker(40, 33), 80, 24);
        assert!(s.iter().any(|l| l.contains("▶ user number 33")), "{s:#?}");
        let title = s
            .iter()
            .find(|l| l.contains("Assign #1 Ann"))
            .expect("title");
        assert!(title.contains(" of 40"), "{title}");
        assert!(
            s.iter().any(|l| l.contains("enter choose")),
            "the hint stays"
        );
    }
}
