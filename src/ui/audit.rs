//! The Audit view: the per-stage table with the widest-variance and
//! highest-median marks, a bar chart of median time in stage, breaches per
//! reason and the exits-before-Active-Care funnel. Same numbers as
//! `audit --json` (one `AuditReport`).

use super::fit;
use super::theme::Theme;
use crate::domain::duration::Secs;
use crate::engine::audit::AuditReport;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, Block, Cell, Paragraph, Row, Table};

const HIGHEST: &str = "▲";
const WIDEST: &str = "◆";

fn dur(v: Option<i64>) -> String {
    v.map_or("-".into(), |s| Secs(s).compact())
}

pub fn draw(
    f: &mut Frame,
    area: Rect,
    report: Option<&AuditReport>,
    computing: bool,
    theme: &Theme,
) {
    let Some(r) = report else {
        let msg = if computing {
            "Computing audit…"
        } else {
            "No audit yet."
        };
        f.render_widget(
            Paragraph::new(msg).block(
                Block::bordered()
                    .title(" Audit ")
                    .title_style(theme.title()),
            ),
            area,
        );
        return;
    };
    let rows_h = (r.stages.len() as u16 + 3)
        .min(area.height.saturating_mul(3) / 5)
        .max(4);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(rows_h), Constraint::Min(0)]).areas(area);
    draw_table(f, top, r, computing, theme);
    if bottom.height < 4 {
        return;
    }
    let [chart, side] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(bottom);
    draw_medians(f, chart, r, theme);
    let [reasons, exits] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(side);
    draw_reasons(f, reasons, r, theme);
    draw_exits(f, exits, r, theme);
}

fn draw_table(f: &mut Frame, area: Rect, r: &AuditReport, computing: bool, t: &Theme) {
    let rows: Vec<Row> = r
        .stages
        .iter()
        .map(|s| {
            let mark = format!(
                "{}{}",
                if s.highest_median { HIGHEST } else { " " },
                if s.widest_variance { WIDEST } else { " " }
            );
            let marked = s.highest_median || s.widest_variance;
            let style = if marked {
                t.error()
            } else if s.terminal {
                t.dim()
            } else {
                Style::default()
            };
            let dash = |n: u64| {
                if s.terminal {
                    "-".into()
                } else {
                    n.to_string()
                }
            };
            Row::new(vec![
                Cell::from(mark),
                Cell::from(fit(&s.name, 24)),
                Cell::from(s.entered.to_string()),
                Cell::from(s.current.to_string()),
                Cell::from(dur(s.median_seconds)),
                Cell::from(dur(s.p90_seconds)),
                Cell::from(dur(s.stddev_seconds)),
                Cell::from(dur(s.iqr_seconds)),
                Cell::from(s.re_entries.to_string()),
                Cell::from(dash(s.breaches)),
                Cell::from(dash(s.no_owner_action)),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Length(2),
        Constraint::Length(24),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Min(8),
    ];
    let title = format!(
        " Stage audit{} — {HIGHEST} highest median  {WIDEST} widest variance ",
        if computing { " (refreshing…)" } else { "" }
    );
    let table = Table::new(rows, widths)
        .header(
            Row::new([
                "", "STAGE", "ENTERED", "NOW", "MEDIAN", "P90", "STDDEV", "IQR", "RE-IN",
                "BREACHED", "NO OWNER",
            ])
            .style(t.title()),
        )
        .block(Block::bordered().title(title).title_style(t.title()))
        .column_spacing(1);
    f.render_widget(table, area);
}

fn bar_label(s: &str, width: usize) -> Line<'static> {
    Line::from(fit(s, width))
}

fn draw_medians(f: &mut Frame, area: Rect, r: &AuditReport, t: &Theme) {
    let label_w = 16usize.min(area.width.saturating_sub(12) as usize).max(4);
    let bars: Vec<Bar> = r
        .stages
        .iter()
        .filter(|s| !s.terminal)
        .map(|s| {
            let v = s.median_seconds.unwrap_or(0).max(0) as u64;
            let mut bar = Bar::default()
                .value(v)
                .text_value(dur(s.median_seconds))
                .label(bar_label(&s.name, label_w));
            if s.highest_median {
                bar = bar.style(t.error());
            }
            bar
        })
        .collect();
    let chart = BarChart::default()
        .direction(Direction::Horizontal)
        .data(ratatui::widgets::BarGroup::default().bars(&bars))
        .bar_width(1)
        .bar_gap(0)
        .value_style(Style::default().add_modifier(Modifier::BOLD))
        .block(
            Block::bordered()
                .title(" Median time in stage ")
                .title_style(t.title()),
        );
    f.render_widget(chart, area);
}

fn draw_reasons(f: &mut Frame, area: Rect, r: &AuditReport, t: &Theme) {
    let total: u64 = r.breaches_by_reason.iter().map(|x| x.count).sum();
    let label_w = 18usize.min(area.width.saturating_sub(10) as usize).max(4);
    let items: Vec<(&str, u64)> = r
        .breaches_by_reason
        .iter()
        .map(|x| (x.reason.as_str(), x.count))
        .collect();
    let block = Block::bordered()
        .title(format!(" Breaches by reason ({total}) "))
        .title_style(t.title());
    let style = t.sla(crate::engine::sla::SlaState::Breached);
    let bars = count_bars(&items, label_w);
    let chart = count_chart(&bars, style, block);
    f.render_widget(chart, area);
}

/// One horizontal bar per (label, count).
fn count_bars(items: &[(&str, u64)], label_w: usize) -> Vec<Bar<'static>> {
    items
        .iter()
        .map(|(label, n)| {
            Bar::default()
                .value(*n)
                .text_value(n.to_string())
                .label(bar_label(label, label_w))
        })
        .collect()
}

/// A horizontal bar chart of counts in `block`.
fn count_chart<'a>(
    bars: &'a [Bar<'a>],
    style: ratatui::style::Style,
    block: Block<'a>,
) -> BarChart<'a> {
    BarChart::default()
        .direction(Direction::Horizontal)
        .data(ratatui::widgets::BarGroup::default().bars(bars))
        .bar_width(1)
        .bar_gap(0)
        .bar_style(style)
        .block(block)
}

fn draw_exits(f: &mut Frame, area: Rect, r: &AuditReport, t: &Theme) {
    let block = Block::bordered()
        .title(" Exits before Active Care ")
        .title_style(t.title());
    if r.active_care_phase.is_none() {
        f.render_widget(
            Paragraph::new("No phase is marked active_care.").block(block),
            area,
        );
        return;
    }
    if r.exits_before_active_care.is_empty() {
        f.render_widget(Paragraph::new("None.").block(block), area);
        return;
    }
    let label_w = 18usize.min(area.width.saturating_sub(10) as usize).max(4);
    // A funnel: the stages records left from, in pipeline order.
    let mut exits = r.exits_before_active_care.clone();
    exits.sort_by_key(|e| {
        r.stages
            .iter()
            .position(|s| s.stage == e.stage)
            .unwrap_or(usize::MAX)
    });
    let items: Vec<(&str, u64)> = exits.iter().map(|e| (e.name.as_str(), e.count)).collect();
    let bars = count_bars(&items, label_w);
    let chart = count_chart(&bars, t.sla(crate::engine::sla::SlaState::Warn), block);
    f.render_widget(chart, area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(report: Option<&AuditReport>, computing: bool) -> String {
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
        term.draw(|f| draw(f, f.area(), report, computing, &Theme::mono()))
            .expect("draw");
        term.backend().to_string()
    }

    #[test]
    fn computing_placeholder() {
        assert!(screen(None, true).contains("Computing audit…"));
    }

    #[test]
    fn draws_marks_charts_and_funnel() {
        let p = crate::domain::check(crate::domain::DEFAULT_PIPELINE)
            .pipeline
            .expect("default pipeline");
        let mut a = crate::engine::audit::Auditor::new(&p, Default::default(), 100_000);
        let ev = |id, at, kind, from, to, reason| crate::engine::audit::AuditEvent {
            record_id: id,
            at,
            actor: "amy",
            kind,
            from,
            to,
            reason,
            data: None,
        };
        a.push(&ev(1, 0, "create", None, Some("form_submitted"), None));
        a.push(&ev(
            1,
            600,
            "transition",
            Some("form_submitted"),
            Some("withdrawn"),
            Some("duplicate"),
        ));
        a.push(&ev(2, 0, "create", None, Some("form_submitted"), None));
        a.push(&ev(
            2,
            60,
            "transition",
            Some("form_submitted"),
            Some("intake_review"),
            None,
        ));
        let r = a.finish();
        let s = screen(Some(&r), false);
        assert!(s.contains("Stage audit"), "{s}");
        assert!(s.contains("Median time in stage"), "{s}");
        assert!(s.contains("Breaches by reason"), "{s}");
        assert!(s.contains("Exits before Active Care"), "{s}");
        assert!(s.contains(HIGHEST), "{s}");
    }
}
