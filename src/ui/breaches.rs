//! The Breaches view: breached and at-risk records grouped by stage and
//! owner, then the records with escalation level, time over and reason.

use super::queue::{owner_text, sla_cell, stage_name, title};
use super::{fit, theme::Theme};
use crate::app::App;
use crate::domain::duration::Secs;
use crate::engine::clock::from_unix;
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

/// The groups' title, saying how many are cut off when they do not all fit.
fn groups_title(n: usize, area: Rect, filtered: bool) -> String {
    let room = area.height.saturating_sub(3) as usize;
    // The groups count every record: the filter narrows the list below.
    let all = if filtered { " · all records" } else { "" };
    if n > room {
        format!(" By stage and owner · {room} of {n} groups{all} ")
    } else {
        format!(" By stage and owner{all} ")
    }
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
            // Time over in the stage's working time, as the SLA cells count it.
            let over = p
                .stage_ix(&g.stage)
                .and_then(|s| p.stage(s).sla.as_ref())
                .map_or(now - g.oldest_due, |sla| {
                    -p.calendar(sla)
                        .working_seconds(app.now, from_unix(g.oldest_due))
                });
            let worst = if g.oldest_due <= now {
                format!("+{}", Secs(over.max(0)).compact())
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
            .title(groups_title(groups.len(), area, !app.filter.is_empty()))
            .title_style(t.title()),
    );
    f.render_widget(table, area);
}

/// Column widths for the records table `inner` cells wide: id, patient,
/// stage, owner, SLA, level, reason. Text is cut to these, with an ellipsis.
fn widths(inner: u16) -> [u16; 7] {
    let (id, owner, sla, lvl) = (8, 12, 11, 5);
    let rest = inner.saturating_sub(id + owner + sla + lvl + 6);
    let avail = rest.saturating_sub(8);
    let patient = (avail * 45 / 100).clamp(6, 18);
    let stage = avail.saturating_sub(patient).min(26);
    let reason = rest.saturating_sub(patient + stage);
    [id, patient, stage, owner, sla, lvl, reason]
}

fn draw_records(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let w = widths(area.width.saturating_sub(2));
    let rows_h = area.height.saturating_sub(3) as usize;
    let mut rows = Vec::new();
    for abs in app.top..(app.top + rows_h.max(1)).min(app.page.total) {
        let Some(r) = abs
            .checked_sub(app.page.start)
            .and_then(|i| app.page.rows.get(i))
        else {
            continue;
        };
        let style = super::queue::row_style(app, abs, r, t);
        let level = if r.escalation > 0 {
            format!("L{}", r.escalation)
        } else {
            "-".into()
        };
        rows.push(
            Row::new(vec![
                Cell::from(super::queue::id_text(app, r)),
                Cell::from(fit(&r.patient, w[1] as usize)),
                Cell::from(fit(&stage_name(app, r), w[2] as usize)),
                Cell::from(fit(&owner_text(app, r), w[3] as usize)),
                Cell::from(sla_cell(app, r, t)),
                Cell::from(level),
                Cell::from(fit(r.breach_reason.as_deref().unwrap_or(""), w[6] as usize)),
            ])
            .style(style),
        );
    }
    let table = Table::new(rows, w.map(Constraint::Length))
        .header(
            Row::new([" ID", "PATIENT", "STAGE", "OWNER", "SLA", "LVL", "REASON"]).style(t.title()),
        )
        .block(
            Block::bordered()
                .title(title(app, area.width))
                .title_style(t.title()),
        )
        .column_spacing(1);
    f.render_widget(table, area);
}
