//! Drawing: one pure function per screen region, reading the app state.

pub mod audit;
mod audit_table;
mod board;
mod breaches;
mod columns;
mod command_list;
mod decide;
mod detail;
mod footer;
mod header;
mod help;
pub mod hit;
mod messages;
mod popup;
mod queue;
mod record_doc;
mod tabs;
pub mod theme;
mod trends;

use crate::app::App;
use crate::app::views::ViewKind;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
pub use tabs::view_key_of as view_key;
use theme::Theme;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Height of the header, tabs and stage board above the table.
const BOARD: u16 = 4;

struct Regions {
    header: Rect,
    tabs: Rect,
    board: Rect,
    body: Rect,
    status: Rect,
    footer: Rect,
}

fn regions(area: Rect) -> Regions {
    let [header, tabs, board, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(BOARD),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Regions {
        header,
        tabs,
        board,
        body,
        status,
        footer,
    }
}

/// Tells the app how many rows of records (and, in the Breaches view, of
/// groups) a terminal of this size shows: it pages and scrolls by them.
pub fn fit_app(app: &mut App, area: Rect) {
    let r = regions(area);
    let body = r.body;
    if app.current().kind == ViewKind::Audit {
        if let Some(report) = &app.audit {
            app.audit_nav.rows = audit::rows(audit_area(&r), report);
        }
    } else if app.current().kind == ViewKind::Breaches {
        let (groups, records) = breaches::rows(body, app);
        app.height = records;
        app.group_nav.rows = groups;
    } else {
        // Block borders (2) and the column header row (1).
        app.height = body.height.saturating_sub(3) as usize;
    }
    // The pane scrolls no further than its last row.
    match detail_area(app, &r).and_then(|a| detail::extent(app, a)) {
        Some((max_top, rows)) => {
            app.pane_top = app.pane_top.min(max_top);
            app.pane_rows = rows;
            app.pane_max = max_top;
        }
        None => app.pane_max = usize::MAX,
    }
}

/// Where the detail pane is drawn, if it is open: beside the table on a
/// wide terminal, in its place on a narrow one, and over the stage board
/// too in the full record view.
fn detail_area(app: &App, r: &Regions) -> Option<Rect> {
    if !app.detail_open || app.current().kind == ViewKind::Audit {
        return None;
    }
    if app.full_view {
        return Some(Rect {
            y: r.board.y,
            height: r.board.height + r.body.height,
            ..r.body
        });
    }
    if split_detail(r.body) {
        let [_, b] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(r.body);
        Some(b)
    } else {
        Some(r.body)
    }
}

/// The audit has no stage board or queue: it takes the whole body.
fn audit_area(r: &Regions) -> Rect {
    Rect {
        y: r.board.y,
        height: r.board.height + r.body.height,
        ..r.body
    }
}

/// Where the queue (or the Breaches tables) is drawn: all of the body, the
/// part left of an open pane, or nowhere when the pane takes it all.
fn table_area(app: &App, r: &Regions) -> Option<Rect> {
    match detail_area(app, r) {
        None => Some(r.body),
        Some(_) if app.full_view || !split_detail(r.body) => None,
        Some(_) => {
            let [a, _] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(r.body);
            Some(a)
        }
    }
}

/// Whether the detail pane sits beside the table (wide) or replaces it.
fn split_detail(body: Rect) -> bool {
    body.width >= 110
}

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small: {}x{} (carequeue needs at least {MIN_WIDTH}x{MIN_HEIGHT}). Resize, or press q to quit.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    if app.locked {
        draw_locked(f, area, app, theme);
        return;
    }
    let r = regions(area);
    header::draw(f, r.header, app, theme);
    tabs::draw_tabs(f, r.tabs, app, theme);
    if app.current().kind == ViewKind::Audit {
        let body = audit_area(&r);
        if app.audit_nav.trends {
            trends::draw(f, body, app, theme);
        } else {
            audit::draw(f, body, &audit::AuditScreen::of(app), theme);
        }
        footer::draw_status(f, r.status, app, theme);
        footer::draw_footer(f, r.footer, app, theme);
        if app.popup.is_some() {
            popup::draw(f, area, app, theme);
        }
        return;
    }
    let pane = detail_area(app, &r);
    if !(app.full_view && pane.is_some()) {
        board::draw(f, r.board, app, theme);
    }
    if let Some(a) = table_area(app, &r) {
        if app.current().kind == ViewKind::Breaches {
            breaches::draw(f, a, app, theme);
        } else {
            queue::draw(f, a, app, theme);
        }
    }
    if let Some(a) = pane {
        detail::draw(f, a, app, theme);
    }
    footer::draw_status(f, r.status, app, theme);
    footer::draw_footer(f, r.footer, app, theme);
    if app.popup.is_some() {
        popup::draw(f, area, app, theme);
    }
}

/// The idle lock: no patient data, only who is signed in and how to wake.
fn draw_locked(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let title = Line::from(ratatui::text::Span::styled(
        "carequeue is locked",
        t.title(),
    ));
    let text = match &app.revoked {
        Some(why) => vec![
            title,
            Line::from(""),
            Line::from(format!("Access withdrawn: {}.", crate::present::clean(why))),
            Line::from("Press q to quit."),
        ],
        None => vec![
            title,
            Line::from(""),
            Line::from(format!(
                "Locked after inactivity to protect patient information ({}).",
                crate::present::clean(&app.user.name)
            )),
            Line::from("Press any key to continue."),
        ],
    };
    let h = text.len() as u16 + 2;
    let y = area.y + area.height.saturating_sub(h) / 2;
    let rect = Rect {
        x: area.x,
        y,
        width: area.width,
        height: h.min(area.height),
    };
    f.render_widget(
        Paragraph::new(text)
            .alignment(ratatui::layout::Alignment::Center)
            .block(ratatui::widgets::Block::bordered()),
        rect,
    );
}

/// Truncates to `width` characters with an ellipsis.
pub fn fit(s: &str, width: usize) -> String {
    let clean = crate::present::clean(s);
    if clean.chars().count() <= width {
        return clean;
    }
    let mut out: String = clean.chars().take(width.saturating_sub(1)).collect();
    // "Rx…", not "Rx …".
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

pub fn line(s: impl Into<String>) -> Line<'static> {
    Line::from(s.into())
}
