//! The Breaches view: breached and at-risk records grouped by stage and
//! owner, then the records with escalation level, time over and reason.

use super::queue::{owner_text, sla_cell, stage_name, title};
use super::{fit, theme::Theme};
use crate::app::App;
use crate::domain::duration::Secs;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Cell, Row, Table};

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let group_h = (app.groups.len() as u16 + 3).min(area.height / 3).max(4);
    let [groups, records] =
        Layout::vertical([Constraint::Length(group_h), Constraint::Min(3)]).areas(area);
    draw_groups(f, groups, app, t);
    draw_records(f, records, app, t);
}

fn draw_groups(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let p = &app.pipeline;
    let now = app.now.timestamp();
    let mut groups = app.groups.clone();
    // Pipeline order, then the worst first.
    groups.sort_by_key(|g| {
        (
            p.stage_ix(&g.stage).map_or(usize::MAX, |s| s.0),
            g.oldest_due,
        )
    });
    let rows: Vec<Row> = groups
        .iter()
        .map(|g| {
            let stage = p
                .stage_ix(&g.stage)
                .map_or(g.stage.clone(), |s| p.stage(s).name.clone());
            let worst = if g.oldest_due <= now {
                format!("+{}", Secs(now - g.oldest_due).compact())
            } else {
                "-".into()
            };
            Row::new(vec![
                Cell::from(fit(&stage, 26)),
                Cell::from(fit(g.owner.as_deref().unwrap_or("(unassigned)"), 14)),
                Cell::from(format!("✖ {}", g.breached))
                    .style(t.sla(crate::engine::sla::SlaState::Breached)),
                Cell::from(format!("▲ {}", g.at_risk))
                    .style(t.sla(crate::engine::sla::SlaState::Warn)),
                Cell::from(worst),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(26),
            Constraint::Length(14),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Min(8),
        ],
    )
    .header(Row::new(["STAGE", "OWNER", "BREACHED", "AT RISK", "WORST"]).style(t.title()))
    .block(
        Block::bordered()
            .title(" By stage and owner ")
            .title_style(t.title()),
    );
    f.render_widget(table, area);
}

fn draw_records(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let rows_h = area.height.saturating_sub(3) as usize;
    let mut rows = Vec::new();
    for abs in app.top..(app.top + rows_h.max(1)).min(app.page.total) {
        let Some(r) = abs
            .checked_sub(app.page.start)
            .and_then(|i| app.page.rows.get(i))
        else {
            continue;
        };
        let style = if abs == app.selected {
            t.selected()
        } else {
            ratatui::style::Style::default()
        };
        let level = if r.escalation > 0 {
            format!("L{}", r.escalation)
        } else {
            "-".into()
        };
        rows.push(
            Row::new(vec![
                Cell::from(r.id.to_string()),
                Cell::from(fit(&r.patient, 18)),
                Cell::from(fit(&stage_name(app, r), 20)),
                Cell::from(fit(&owner_text(app, r), 12)),
                Cell::from(sla_cell(app, r, t)),
                Cell::from(level),
                Cell::from(fit(r.breach_reason.as_deref().unwrap_or(""), 18)),
            ])
            .style(style),
        );
    }
    let widths = [
        Constraint::Length(6),
        Constraint::Length(18),
        Constraint::Length(20),
        Constraint::Length(12),
        Constraint::Length(11),
        Constraint::Length(5),
        Constraint::Min(8),
    ];
    let table = Table::new(rows, widths)
        .header(
            Row::new(["ID", "PATIENT", "STAGE", "OWNER", "SLA", "LVL", "REASON"]).style(t.title()),
        )
        .block(Block::bordered().title(title(app)).title_style(t.title()))
        .column_spacing(1);
    f.render_widget(table, area);
}
