//! The Breaches view: breached and at-risk records grouped by stage and
//! owner, then the records with escalation level, time over and reason.

use super::queue::{due_text, owner_text, sla_cell_as, stage_name, title, wide_sla};
use super::{fit, theme::Theme};
use crate::app::App;
use crate::app::groups::time_over;
use crate::present;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Cell, Row, Table};

/// The groups' panel and the records' table in `area`: the groups take
/// what they need, at most a third, and at least room for two.
pub fn split(area: Rect, app: &App) -> [Rect; 2] {
    let group_h = (app.groups.len().max(1) as u16 + 3)
        .min(area.height / 3)
        .max(5);
    Layout::vertical([Constraint::Length(group_h), Constraint::Min(3)]).areas(area)
}

/// Rows of groups and of records that `area` shows (the app pages by them).
pub fn rows(area: Rect, app: &App) -> (usize, usize) {
    let [g, r] = split(area, app);
    // Borders and the column headings.
    (
        g.height.saturating_sub(3) as usize,
        r.height.saturating_sub(3) as usize,
    )
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let [groups, records] = split(area, app);
    draw_groups(f, groups, app, t);
    draw_records(f, records, app, t);
}

/// The groups' title: the order, which ones are shown of how many, and
/// how many are below; a filter narrows only the list under it.
fn groups_title(app: &App, top: usize, room: usize) -> String {
    let n = app.groups.len();
    let mut out = String::from(" By stage and owner · worst first");
    if n > room {
        let last = (top + room).min(n);
        out.push_str(&format!(" · {}–{last} of {n}", top + 1));
        if last < n {
            out.push_str(&format!(" · +{} more", n - last));
        }
    }
    if !app.filter.is_empty() {
        out.push_str(" · all records");
    }
    if app.group_nav.focus {
        out.push_str(" · enter shows one");
    }
    out.push(' ');
    out
}

fn draw_groups(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let p = &app.pipeline;
    let room = area.height.saturating_sub(3) as usize;
    let top = app
        .group_nav
        .top
        .min(app.groups.len().saturating_sub(room.max(1)));
    let shown = app.shown_group();
    // Room for a role's whole name (`(Pharmacy / fulfillment)`) where the
    // width allows.
    let owner_w: u16 = if area.width >= 100 { 24 } else { 14 };
    let rows: Vec<Row> = app
        .groups
        .iter()
        .enumerate()
        .skip(top)
        .take(room)
        .map(|(i, g)| {
            let stage = present::stage_name(p, &g.stage);
            let worst = time_over(p, g, app.now).map_or("-".into(), |s| {
                let calendar = app.now.timestamp() - g.oldest_due;
                if wide_sla(area.width) {
                    present::overdue(calendar, s)
                } else {
                    present::overdue(calendar, calendar)
                }
            });
            let owner = present::group_owner_label(p, &g.stage, g.owner.as_deref());
            let gutter = match shown {
                Some(s) if s == i && app.group_nav.focus => "▸",
                Some(s) if s == i => "›",
                _ => " ",
            };
            let row = Row::new(vec![
                Cell::from(gutter),
                Cell::from(fit(&stage, 26)),
                Cell::from(fit(&owner, owner_w as usize)),
                Cell::from(format!("✖ {}", g.breached))
                    .style(t.sla(crate::engine::sla::SlaState::Breached)),
                Cell::from(format!("▲ {}", g.at_risk))
                    .style(t.sla(crate::engine::sla::SlaState::Warn)),
                Cell::from(worst),
            ]);
            match shown {
                Some(s) if s == i && app.group_nav.focus => row.style(t.selected()),
                Some(s) if s == i => row.style(t.followed()),
                _ => row,
            }
        })
        .collect();
    let empty = rows.is_empty();
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Length(26),
            Constraint::Length(owner_w),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Min(8),
        ],
    )
    .header(Row::new(["", "STAGE", "OWNER", "BREACHED", "AT RISK", "WORST"]).style(t.title()))
    .block(
        Block::bordered()
            .title(groups_title(app, top, room))
            .title_style(t.title())
            .border_style(if app.group_nav.focus {
                t.title()
            } else {
                t.plain()
            }),
    );
    f.render_widget(table, area);
    if empty && area.height > 3 {
        let msg = if app.loading {
            "loading…"
        } else {
            "no breached or at-risk records"
        };
        let inner = Rect {
            x: area.x + 1,
            y: area.y + 2,
            width: area.width.saturating_sub(2),
            height: 1,
        };
        f.render_widget(ratatui::widgets::Paragraph::new(msg), inner);
    }
}

/// Column widths for the records table `inner` cells wide: id, patient,
/// stage, owner, SLA, due (0: left out), level, reason. Text is cut to
/// these, with an ellipsis; the SLA column is as wide as its widest cell
/// (`✖ +107d (2568h working)`), never cut.
fn widths(inner: u16, sla: u16) -> [u16; 8] {
    let (id, lvl) = (8, 5);
    let sla = sla.max(11);
    // A role's whole name where the table is wide.
    let owner = if inner >= 150 { 24 } else { 12 };
    // The wall-clock due time beside the countdown, where there is room:
    // the list is in due order, which working time alone does not show.
    let due = if inner >= 100 { 15 } else { 0 };
    let spacing = if due > 0 { 7 } else { 6 };
    let rest = inner.saturating_sub(id + owner + sla + due + lvl + spacing);
    let avail = rest.saturating_sub(8);
    let patient = (avail * 45 / 100).clamp(6, 18);
    let stage = avail.saturating_sub(patient).min(26);
    let reason = rest.saturating_sub(patient + stage);
    [id, patient, stage, owner, sla, due, lvl, reason]
}

fn draw_records(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let rows_h = app.height.max(1);
    let visible = app.top..(app.top + rows_h).min(app.page.total);
    let wide = wide_sla(area.width);
    let sla_w = visible
        .clone()
        .filter_map(|abs| abs.checked_sub(app.page.start))
        .filter_map(|i| app.page.rows.get(i))
        .map(|r| sla_cell_as(app, r, t, wide).width() as u16)
        .max()
        .unwrap_or(0);
    let w = widths(area.width.saturating_sub(2), sla_w);
    // The DUE column (index 5) only where it has room.
    let keep = |i: usize| i != 5 || w[5] > 0;
    let mut rows = Vec::new();
    for abs in visible {
        let Some(r) = abs
            .checked_sub(app.page.start)
            .and_then(|i| app.page.rows.get(i))
        else {
            rows.push(Row::new(vec![Cell::from("…")]).style(t.dim()));
            continue;
        };
        let style = super::queue::row_style(app, abs, r, t);
        let level = if r.escalation > 0 {
            format!("L{}", r.escalation)
        } else {
            "-".into()
        };
        let cells = vec![
            Cell::from(super::queue::id_text(app, r)),
            Cell::from(fit(&r.patient, w[1] as usize)),
            Cell::from(fit(&stage_name(app, r), w[2] as usize)),
            Cell::from(fit(&owner_text(app, r), w[3] as usize)),
            Cell::from(sla_cell_as(app, r, t, wide)),
            Cell::from(due_text(app, r)),
            Cell::from(level),
            Cell::from(fit(&reason_text(app, r), w[7] as usize)),
        ];
        let cells: Vec<Cell> = cells
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, c)| c)
            .collect();
        rows.push(Row::new(cells).style(style));
    }
    let heads = [
        " ID", "PATIENT", "STAGE", "OWNER", "SLA", "DUE", "LVL", "REASON",
    ];
    let header = Row::new(
        heads
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, h)| *h),
    )
    .style(t.title());
    let widths: Vec<Constraint> = w
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, x)| Constraint::Length(*x))
        .collect();
    let table = Table::new(rows, widths)
        .header(header)
        .block(
            Block::bordered()
                .title(title(app, area.width))
                .title_style(t.title()),
        )
        .column_spacing(1);
    f.render_widget(table, area);
    if app.page.total == 0 && !app.loading && area.height > 3 {
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1,
        };
        let text = match super::queue::filter_label(app) {
            Some(f) => format!("No breached or at-risk records match {f} here. Esc clears it."),
            None => "No breached or at-risk records here.".to_string(),
        };
        f.render_widget(ratatui::widgets::Paragraph::new(text).style(t.dim()), inner);
    }
}

/// The acknowledged breach reason by its label (`Shipping delay`).
fn reason_text(app: &App, r: &crate::engine::Record) -> String {
    r.breach_reason
        .as_deref()
        .map_or(String::new(), |c| present::reason_label(&app.pipeline, c))
}
