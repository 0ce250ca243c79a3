//! The Audit view's stage table: working and wall-time medians side by
//! side, the marks for the stage slowest and the widest spread for its own
//! SLA, and the columns that give way first on a narrow terminal.

use super::audit::{AuditScreen, HIGHEST, WIDEST, dur, title};
use super::fit;
use super::theme::Theme;
use crate::engine::audit::StaysUse;
use crate::engine::audit::{AuditReport, StageAudit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, Cell, Row, Table};

/// The table's columns: heading, width, and the order they give way in
/// when the terminal is narrow (0: never).
const COLUMNS: [(&str, u16, u8); 12] = [
    ("", 2, 0),
    ("STAGE", 24, 0),
    ("ENTERED", 7, 0),
    ("NOW", 5, 5),
    ("MEDIAN", 7, 0),
    ("WALL", 7, 0),
    ("P90", 7, 3),
    ("STDDEV", 7, 4),
    ("IQR", 7, 1),
    ("RE-IN", 5, 2),
    ("BREACHED", 8, 0),
    ("NO OWNER", 8, 0),
];

/// The NO OWNER column, which `h`/`l` put the cursor on.
const NO_OWNER: usize = 11;

/// Which columns fit `inner` cells, and the stage column's width.
fn table_columns(inner: u16) -> (Vec<usize>, u16) {
    let mut keep: Vec<usize> = (0..COLUMNS.len()).collect();
    let need = |keep: &[usize], stage: u16| {
        keep.iter()
            .map(|&i| if i == 1 { stage } else { COLUMNS[i].1 })
            .sum::<u16>()
            + keep.len() as u16
            - 1
    };
    for drop in 1..=5u8 {
        if need(&keep, 16) <= inner {
            break;
        }
        keep.retain(|&i| COLUMNS[i].2 != drop);
    }
    let stage = (inner.saturating_sub(need(&keep, 0))).clamp(12, 26);
    (keep, stage)
}

fn stage_cells(s: &StageAudit, stage_w: u16) -> [String; 12] {
    let mark = format!(
        "{}{}",
        if s.highest_median { HIGHEST } else { " " },
        if s.widest_variance { WIDEST } else { " " }
    );
    let dash = |n: u64| {
        if s.terminal {
            "-".into()
        } else {
            n.to_string()
        }
    };
    [
        mark,
        fit(&s.name, stage_w as usize),
        s.entered.to_string(),
        s.current.to_string(),
        dur(s.median_seconds),
        dur(s.median_wall_seconds),
        dur(s.p90_seconds),
        dur(s.stddev_seconds),
        dur(s.iqr_seconds),
        s.re_entries.to_string(),
        dash(s.breaches),
        dash(s.no_owner_action),
    ]
}

pub(super) fn draw(
    f: &mut Frame,
    area: Rect,
    r: &AuditReport,
    v: &AuditScreen,
    (top, rows, focused): (usize, usize, bool),
    t: &Theme,
) {
    let (keep, stage_w) = table_columns(area.width.saturating_sub(2));
    let body: Vec<Row> = r
        .stages
        .iter()
        .enumerate()
        .skip(top)
        .take(rows)
        .map(|(i, s)| {
            // The cursor where the keys are: the row (Enter opens the
            // stage's records) or its NO OWNER cell (those with no owner
            // action).
            let on_row = focused && i == v.nav.cursors[0];
            let style = if on_row && v.nav.column == 0 {
                t.selected()
            } else if s.highest_median || s.widest_variance {
                t.error()
            } else if s.terminal {
                t.dim()
            } else {
                Style::default()
            };
            let cells = stage_cells(s, stage_w);
            Row::new(keep.iter().map(|&c| {
                let cell = Cell::from(cells[c].clone());
                if on_row && v.nav.column == 1 && c == NO_OWNER {
                    cell.style(t.selected())
                } else {
                    cell
                }
            }))
            .style(style)
        })
        .collect();
    let widths: Vec<Constraint> = keep
        .iter()
        .map(|&i| Constraint::Length(if i == 1 { stage_w } else { COLUMNS[i].1 }))
        .collect();
    let state = match (v.computing, v.error, r.stays) {
        (true, _, StaysUse::Rebuilding) => " (rebuilding stays after a pipeline change…)",
        (true, _, _) => " (refreshing…)",
        (false, Some(_), _) => " (the last refresh failed: r retries)",
        _ => "",
    };
    let name = format!(
        "Stage audit{state} — {HIGHEST} slowest  {WIDEST} widest spread, each for its SLA|Stage audit{state} — {HIGHEST} slowest  {WIDEST} widest spread"
    );
    let table = Table::new(body, widths)
        .header(Row::new(keep.iter().map(|&i| COLUMNS[i].0)).style(t.title()))
        .block(
            Block::bordered()
                .title(title(
                    &name,
                    focused,
                    (top, rows, r.stages.len()),
                    area.width,
                ))
                .title_style(t.title()),
        )
        .column_spacing(1);
    f.render_widget(table, area);
}
