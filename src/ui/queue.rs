//! The queue table: the configured columns (id, patient, stage,
//! sub-status, owner, SLA countdown, due, age), sized to what the visible
//! rows hold. Only the visible rows are drawn.

use super::columns::{self, Need};
use super::fit;
use super::theme::{Theme, sla_symbol};
use crate::app::App;
use crate::config::Column;
use crate::engine::Record;
use crate::engine::sla::{self, SlaState};
use crate::present::{self, countdown};
use crate::store::SortKey;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

/// The SLA cell: symbol and countdown, styled by state; time over with
/// the working hours beside it (`+133d (744h working)`).
pub fn sla_cell(app: &App, r: &Record, t: &Theme) -> Line<'static> {
    sla_cell_as(app, r, t, true)
}

/// [`sla_cell`], the working hours over left out unless `wide` (a narrow
/// table keeps the calendar time over: `+133d`).
pub fn sla_cell_as(app: &App, r: &Record, t: &Theme, wide: bool) -> Line<'static> {
    let v = sla::view(&app.pipeline, r, app.now);
    let text = match v.state {
        // A stay that breached and then paused still breached.
        SlaState::Paused if v.seconds_left.is_some_and(|l| l <= 0) => "paused ✖".to_string(),
        SlaState::Paused => "paused".to_string(),
        _ if wide => countdown(&v, app.now),
        _ => present::countdown_brief(&v, app.now),
    };
    Line::from(Span::styled(
        format!("{} {text}", sla_symbol(v.state)),
        t.sla(v.state),
    ))
}

/// Whether a table this wide shows the working hours over beside the
/// calendar time.
pub fn wide_sla(width: u16) -> bool {
    width >= 110
}

pub fn owner_text(app: &App, r: &Record) -> String {
    present::owner_label(&app.pipeline, r)
}

/// The sub-status as the pipeline labels it (its id if unlabelled or unknown).
pub fn substatus_label(app: &App, r: &Record) -> String {
    present::substatus_label(&app.pipeline, r)
}

/// The wall-clock due time in the pipeline's zone; `paused` or `-`
/// without a running clock.
pub fn due_text(app: &App, r: &Record) -> String {
    let v = sla::view(&app.pipeline, r, app.now);
    match (v.state, v.due_at) {
        (SlaState::Paused, _) => "paused".into(),
        (_, Some(due)) => present::wall_due(&app.pipeline, due, app.now),
        _ => "-".into(),
    }
}

/// The id cell: `✓` before a marked record's id, a space before others.
pub fn id_text(app: &App, r: &Record) -> String {
    let mark = if app.marks.contains(r.id) { '✓' } else { ' ' };
    format!("{mark}{}", r.id)
}

/// The selected row, a marked row, or a plain one.
pub fn row_style(app: &App, abs: usize, r: &Record, t: &Theme) -> ratatui::style::Style {
    if abs == app.selected {
        t.selected()
    } else if app.marks.contains(r.id) {
        t.marked()
    } else {
        ratatui::style::Style::default()
    }
}

pub fn stage_name(app: &App, r: &Record) -> String {
    present::stage_name(&app.pipeline, &r.stage)
}

/// The table's title, fitted to `width` cells: the view and position
/// always, then the marks, the filter (shortened if need be), the order and
/// the owner, as room allows; never a part cut in the middle.
pub fn title(app: &App, width: u16) -> String {
    let shown = if app.page.total == 0 {
        0
    } else {
        app.selected + 1
    };
    let room = (width as usize).saturating_sub(4);
    let head = format!("{} · {}/{}", app.current().title, shown, app.page.total);
    let mut parts: Vec<String> = Vec::new();
    // The rows shown are not yet the ones asked for (actions wait): said
    // first, so no width drops it.
    if app.rows_outdated {
        parts.push("reading…".into());
    }
    if !app.marks.is_empty() {
        parts.push(format!("{} marked", app.marks.len()));
    }
    let filter_at = parts.len();
    if let Some(f) = filter_label(app) {
        parts.push(f);
    }
    parts.push(app.sort.title());
    parts.push(format!("owner: {}", app.owner_label()));
    if app.loading && !app.rows_outdated {
        parts.push("loading…".into());
    }
    let len = |parts: &[String]| {
        head.chars().count() + parts.iter().map(|p| p.chars().count() + 3).sum::<usize>()
    };
    // Least needed first: loading, then owner, then the order.
    while len(&parts) > room && parts.len() > filter_at + 1 {
        parts.pop();
    }
    if len(&parts) > room && !app.filter.is_empty() {
        let over = len(&parts) - room;
        let keep = crate::present::clean(&app.filter)
            .chars()
            .count()
            .saturating_sub(over);
        parts[filter_at] = format!(
            "filter \"{}\"",
            super::fit(&crate::present::clean(&app.filter), keep.max(4))
        );
    }
    let mut out = format!(" {head}");
    for p in parts {
        out.push_str(" · ");
        out.push_str(&p);
    }
    out.push(' ');
    out
}

/// `filter "stage:intake gru"`, for titles and messages, when one is set.
pub fn filter_label(app: &App) -> Option<String> {
    if app.filter.is_empty() {
        return None;
    }
    Some(format!(
        "filter \"{}\"",
        super::fit(&crate::present::clean(&app.filter), 40)
    ))
}

/// A column's heading; the one the queue is sorted by carries the order's
/// arrow (`DUE ↑`), as htop and k9s show it.
fn heading(c: Column, sort: crate::store::Sort) -> String {
    let sorted = matches!(
        (c, sort.key),
        (Column::Id, SortKey::Id)
            | (Column::Patient, SortKey::Patient)
            | (Column::Due, SortKey::Due)
            | (Column::Age, SortKey::Age)
    );
    let name = plain_heading(c);
    if sorted {
        format!("{name} {}", if sort.desc { "↓" } else { "↑" })
    } else {
        name.to_string()
    }
}

fn plain_heading(c: Column) -> &'static str {
    match c {
        Column::Id => " ID",
        Column::Patient => "PATIENT",
        Column::Stage => "STAGE",
        Column::Substatus => "SUB-STATUS",
        Column::Owner => "OWNER",
        Column::Sla => "SLA",
        Column::Due => "DUE",
        Column::Age => "AGE",
    }
}

/// One cell's text (the SLA cell's as drawn, without its style).
fn text(app: &App, r: &Record, c: Column, wide: bool) -> String {
    match c {
        Column::Id => id_text(app, r),
        Column::Patient => crate::present::clean(&r.patient),
        Column::Stage => stage_name(app, r),
        Column::Substatus => substatus_label(app, r),
        Column::Owner => owner_text(app, r),
        Column::Sla => sla_cell_as(app, r, &Theme::mono(), wide)
            .spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect(),
        Column::Due => due_text(app, r),
        Column::Age => present::age(r.entered_at, app.now),
    }
}

/// What each configured column needs for the rows on screen (each cell's
/// text made once).
fn needs(app: &App, rows: &[&Record], wide: bool) -> Vec<Need> {
    app.columns
        .iter()
        .map(|&col| {
            let texts: Vec<String> = rows.iter().map(|r| text(app, r, col, wide)).collect();
            let widest = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0);
            let filled = texts.iter().any(|t| !t.trim().is_empty());
            // An empty table still reads as a table.
            let floor = if rows.is_empty() && matches!(col, Column::Patient | Column::Stage) {
                16
            } else {
                0
            };
            Need {
                col,
                want: widest
                    .max(heading(col, app.sort).chars().count())
                    .max(floor) as u16,
                filled: filled || rows.is_empty(),
            }
        })
        .collect()
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let visible = app.height.max(1);
    let on_screen: Vec<&Record> = (app.top..(app.top + visible).min(app.page.total))
        .filter_map(|abs| {
            abs.checked_sub(app.page.start)
                .and_then(|i| app.page.rows.get(i))
        })
        .collect();
    let wide = wide_sla(area.width);
    let cols = columns::layout(area.width.saturating_sub(2), &needs(app, &on_screen, wide));
    let header = Row::new(cols.iter().map(|(c, _)| heading(*c, app.sort))).style(t.title());
    let mut rows = Vec::new();
    for abs in app.top..(app.top + visible).min(app.page.total) {
        let Some(r) = abs
            .checked_sub(app.page.start)
            .and_then(|i| app.page.rows.get(i))
        else {
            rows.push(Row::new(vec![Cell::from("…")]).style(t.dim()));
            continue;
        };
        let style = row_style(app, abs, r, t);
        let cells: Vec<Cell> = cols
            .iter()
            .map(|&(c, w)| match c {
                Column::Sla => Cell::from(sla_cell_as(app, r, t, wide)),
                _ => Cell::from(fit(&text(app, r, c, wide), w as usize)),
            })
            .collect();
        rows.push(Row::new(cells).style(style));
    }
    let w: Vec<u16> = cols.iter().map(|(_, w)| *w).collect();
    let widths: Vec<Constraint> = w.iter().map(|x| Constraint::Length(*x)).collect();
    let table = Table::new(rows, widths)
        .header(header)
        .block(
            Block::bordered()
                .title(title(app, area.width))
                .title_style(t.title()),
        )
        .column_spacing(1);
    f.render_widget(table, area);
    if app.page.total == 0 && !app.loading {
        // A view empty by construction says why, over as many lines as it takes.
        let why = app.current().empty.clone();
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: if why.is_some() { 3 } else { 1 }.min(area.height.saturating_sub(3)),
        };
        let text = match (filter_label(app), why) {
            (Some(f), _) => format!("No records match {f} here. Esc clears it."),
            (None, Some(why)) => format!("No records here. {why}"),
            (None, None) => "No records here. Try `o` (owner filter) or another view.".to_string(),
        };
        f.render_widget(
            ratatui::widgets::Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .style(t.dim()),
            inner,
        );
    }
}
