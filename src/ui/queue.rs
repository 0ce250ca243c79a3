//! The queue table: id, patient, stage, sub-status, owner, SLA countdown,
//! age. Only the visible rows are drawn.

use super::fit;
use super::theme::{Theme, sla_symbol};
use crate::app::App;
use crate::cli::fmt::countdown;
use crate::domain::duration::Secs;
use crate::engine::Record;
use crate::engine::sla::{self, SlaState};
use crate::ops::owner_role;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

/// The SLA cell: symbol and countdown, styled by state.
pub fn sla_cell(app: &App, r: &Record, t: &Theme) -> Line<'static> {
    let v = sla::view(&app.pipeline, r, app.now);
    let text = match v.state {
        SlaState::Paused => "paused".to_string(),
        _ => countdown(v.state, v.seconds_left),
    };
    Line::from(Span::styled(
        format!("{} {text}", sla_symbol(v.state)),
        t.sla(v.state),
    ))
}

pub fn owner_text(app: &App, r: &Record) -> String {
    match &r.assignee {
        Some(a) => a.clone(),
        None => format!("({})", owner_role(&app.pipeline, r).unwrap_or("-")),
    }
}

pub fn stage_name(app: &App, r: &Record) -> String {
    let p = &app.pipeline;
    p.stage_ix(&r.stage)
        .map_or(r.stage.clone(), |s| p.stage(s).name.clone())
}

pub fn title(app: &App) -> String {
    let shown = if app.page.total == 0 {
        0
    } else {
        app.selected + 1
    };
    let loading = if app.loading { " · loading…" } else { "" };
    let marked = if app.marks.is_empty() {
        String::new()
    } else {
        format!(" · {} marked", app.marks.len())
    };
    format!(
        " {} · {}/{} · owner: {}{marked}{loading} ",
        app.current().title,
        shown,
        app.page.total,
        app.owner_label()
    )
}

/// Column widths for a table `inner` cells wide: id (as wide as the
/// longest id on the page, with room for the mark), owner, SLA and age;
/// patient, stage and sub-status share the rest.
fn widths(inner: u16, id: u16) -> [u16; 7] {
    let (owner, sla, age) = (if inner >= 90 { 12 } else { 9 }, 11, 6);
    let rest = inner.saturating_sub(id + owner + sla + age + 6);
    let patient = (rest * 36 / 100).min(24);
    let stage = (rest * 38 / 100).min(26);
    let sub = rest.saturating_sub(patient + stage).min(18);
    [id, patient, stage, sub, owner, sla, age]
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let longest = app.page.rows.iter().map(|r| r.id).max().unwrap_or(0);
    let id_width = (longest.max(9999).to_string().len() + 1) as u16;
    let w = widths(area.width.saturating_sub(2), id_width);
    let header = Row::new([
        " ID",
        "PATIENT",
        "STAGE",
        "SUB-STATUS",
        "OWNER",
        "SLA",
        "AGE",
    ])
    .style(t.title());
    let visible = app.height.max(1);
    let mut rows = Vec::new();
    for abs in app.top..(app.top + visible).min(app.page.total) {
        let Some(r) = abs
            .checked_sub(app.page.start)
            .and_then(|i| app.page.rows.get(i))
        else {
            rows.push(Row::new(vec![Cell::from("…")]).style(t.dim()));
            continue;
        };
        let age = Secs((app.now.timestamp() - r.entered_at).max(0)).compact();
        let marked = app.marks.contains(r.id);
        let style = match (abs == app.selected, marked) {
            (true, _) => t.selected(),
            (false, true) => t.marked(),
            (false, false) => ratatui::style::Style::default(),
        };
        let id = if marked {
            format!("✓{}", r.id)
        } else {
            format!(" {}", r.id)
        };
        rows.push(
            Row::new(vec![
                Cell::from(id),
                Cell::from(fit(&r.patient, w[1] as usize)),
                Cell::from(fit(&stage_name(app, r), w[2] as usize)),
                Cell::from(fit(r.substatus.as_deref().unwrap_or(""), w[3] as usize)),
                Cell::from(fit(&owner_text(app, r), w[4] as usize)),
                Cell::from(sla_cell(app, r, t)),
                Cell::from(age),
            ])
            .style(style),
        );
    }
    let widths = w.map(Constraint::Length);
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(title(app)).title_style(t.title()))
        .column_spacing(1);
    f.render_widget(table, area);
    if app.page.total == 0 && !app.loading {
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1,
        };
        f.render_widget(
            ratatui::widgets::Paragraph::new(
                "No records here. Try `o` (owner filter) or another view.",
            )
            .style(t.dim()),
            inner,
        );
    }
}
