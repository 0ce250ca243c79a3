//! The Audit view's trend page (`t`): the last twelve weeks as stacked bars
//! of the records in each phase (a cumulative flow), a breach-rate
//! sparkline per stage, and the cycle time to active care as a control
//! chart (each record's point, the mean and the limits).

use super::fit;
use super::theme::Theme;
use crate::app::App;
use crate::domain::duration::Secs;
use crate::ops::trend::Trend;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};

/// One fill per phase, so the bands read apart without colour too.
const FILLS: [char; 6] = ['█', '▓', '▒', '░', '▚', '▞'];
const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn block<'a>(title: String, t: &Theme) -> Block<'a> {
    Block::bordered().title(title).title_style(t.title())
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let Some(trend) = app.trend.as_deref() else {
        let (msg, style) = match (&app.trend_error, app.trend_computing) {
            (_, true) => (
                "Computing the trends of the last 12 weeks…".to_string(),
                t.plain(),
            ),
            (Some(e), false) => (
                format!(
                    "The trends failed: {}. Press r to try again.",
                    crate::present::clean(e)
                ),
                t.error(),
            ),
            (None, false) => ("No trends yet. Press r to compute them.".into(), t.plain()),
        };
        f.render_widget(
            Paragraph::new(msg)
                .style(style)
                .block(block(" Trends ".into(), t)),
            area,
        );
        return;
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    flow(f, top, app, trend, t);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    breach_rates(f, left, app, trend, t);
    cycle(f, right, trend, t);
}

/// Stacked bars: a column per bucket, a band per phase, scaled to the
/// largest total; under each, the bucket's start (month-day).
fn flow(f: &mut Frame, area: Rect, app: &App, r: &Trend, t: &Theme) {
    let p = &app.pipeline;
    let title = format!(" Records in each phase at each {}'s end ", r.by);
    let b = block(title, t);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let n = r.buckets.len().max(1);
    if inner.height < 4 || inner.width < 10 {
        return;
    }
    // A legend line, the date line, and the bars between.
    let bars_h = inner.height.saturating_sub(2) as usize;
    let col = ((inner.width as usize) / n).clamp(1, 8);
    let max = r
        .buckets
        .iter()
        .map(|x| x.flow.values().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut rows: Vec<String> = vec![String::new(); bars_h];
    for bucket in &r.buckets {
        // Cells of each phase, bottom up, rounded so the column's height
        // is its total's.
        let total: u64 = bucket.flow.values().sum();
        let height = ((total as f64 / max as f64) * bars_h as f64).round() as usize;
        let mut cells: Vec<char> = Vec::with_capacity(height);
        let mut acc = 0u64;
        for (k, ph) in p.phases.iter().enumerate() {
            let v = bucket.flow.get(&ph.id).copied().unwrap_or(0);
            let before = ((acc as f64 / max as f64) * bars_h as f64).round() as usize;
            acc += v;
            let after = ((acc as f64 / max as f64) * bars_h as f64).round() as usize;
            cells.extend(std::iter::repeat_n(FILLS[k % FILLS.len()], after - before));
        }
        cells.truncate(height);
        for (y, row) in rows.iter_mut().enumerate() {
            let level = bars_h - 1 - y;
            let c = cells.get(level).copied().unwrap_or(' ');
            let w = col.saturating_sub(1).max(1);
            row.extend(std::iter::repeat_n(c, w));
            if col > 1 {
                row.push(' ');
            }
        }
    }
    let mut lines: Vec<Line> = rows.into_iter().map(Line::from).collect();
    let dates: String = r
        .buckets
        .iter()
        .map(|b| {
            let d = b.start.get(5..10).unwrap_or("");
            format!("{:<col$}", fit(d, col.saturating_sub(1).max(1)))
        })
        .collect();
    lines.push(Line::from(dates).style(t.dim()));
    // The legend: each phase's fill, name and count now; names shortened
    // until it fits the width, never cut at its end.
    let items: Vec<(char, &str, u64)> = p
        .phases
        .iter()
        .enumerate()
        .map(|(k, ph)| {
            let last = r
                .buckets
                .last()
                .and_then(|b| b.flow.get(&ph.id))
                .copied()
                .unwrap_or(0);
            (FILLS[k % FILLS.len()], ph.name.as_str(), last)
        })
        .collect();
    let legend = |name_w: usize| -> String {
        items
            .iter()
            .map(|(c, name, n)| format!("{c} {} {n}", fit(name, name_w)))
            .collect::<Vec<_>>()
            .join("  ")
    };
    let room = inner.width as usize;
    let longest = items.iter().map(|i| i.1.chars().count()).max().unwrap_or(0);
    let text = (1..=longest.max(1))
        .rev()
        .map(legend)
        .find(|l| l.chars().count() <= room)
        .unwrap_or_else(|| legend(1));
    lines.push(Line::from(text));
    f.render_widget(Paragraph::new(lines), inner);
}

/// Each open stage: its breach rate bucket by bucket as a sparkline (`·`
/// where no stay entered), then the last bucket's rate.
fn breach_rates(f: &mut Frame, area: Rect, app: &App, r: &Trend, t: &Theme) {
    let p = &app.pipeline;
    let b = block(" Breach rate by stage, oldest first ".into(), t);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let width = inner.width as usize;
    let name_w = 16usize.min(width / 3);
    let mut lines: Vec<Line> = Vec::new();
    for st in p.stages.iter().filter(|s| !s.terminal) {
        let rates: Vec<Option<f64>> = r
            .buckets
            .iter()
            .map(|b| {
                b.breach_rate
                    .iter()
                    .find(|x| x.stage == st.id)
                    .map(|x| x.rate)
            })
            .collect();
        if rates.iter().all(Option::is_none) {
            continue;
        }
        let spark: String = rates
            .iter()
            .map(|x| match x {
                None => '·',
                Some(v) => SPARK[((v.clamp(0.0, 1.0)) * 7.0).round() as usize],
            })
            .collect();
        let last = rates
            .iter()
            .rev()
            .find_map(|x| *x)
            .map_or("-".to_string(), |v| format!("{:.0}%", v * 100.0));
        let style = if rates.last().copied().flatten().is_some_and(|v| v >= 0.5) {
            t.error()
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{:<name_w$} ", fit(&st.name, name_w))),
            Span::styled(spark, style),
            Span::raw(format!(" {last:>4}")),
        ]));
    }
    if lines.is_empty() {
        lines.push(Line::from("No stay entered a stage with an SLA."));
    }
    let shown = inner.height as usize;
    if lines.len() > shown && shown > 0 {
        let more = lines.len() - (shown - 1);
        lines.truncate(shown - 1);
        lines.push(Line::from(format!("+{more} more stages")).style(t.dim()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The control chart: each record's cycle time (days) at its entry into
/// active care, the mean and the upper limit as lines.
fn cycle(f: &mut Frame, area: Rect, r: &Trend, t: &Theme) {
    let c = &r.cycle_control;
    let dur = |s: Option<i64>| s.map_or("-".to_string(), |s| Secs(s).compact());
    let (mean, lo, hi) = (
        dur(c.mean_seconds),
        dur(c.lower_seconds),
        dur(c.upper_seconds),
    );
    let n = c.points.len();
    // The longest title that fits: a title is never cut.
    let room = (area.width as usize).saturating_sub(2);
    let title = [
        format!(" Cycle time to active care · mean {mean} · limits {lo}–{hi} · {n} records "),
        format!(" Cycle time to care · mean {mean} · limits {lo}–{hi} "),
        format!(" Cycle time · mean {mean} · ≤ {hi} "),
        " Cycle time ".to_string(),
    ]
    .into_iter()
    .find(|t| t.chars().count() <= room)
    .unwrap_or_default();
    let ch = r.control_chart();
    let ((x0, x1), points, top) = (ch.x, &ch.points, ch.top);
    let level = |v: Option<f64>| v.map(|y| vec![(x0, y), (x1, y)]).unwrap_or_default();
    let (mean, upper) = (level(ch.mean), level(ch.upper));
    let sets = vec![
        Dataset::default()
            .name("records")
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .data(points),
        Dataset::default()
            .name("mean")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.dim())
            .data(&mean),
        Dataset::default()
            .name("limit")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.error())
            .data(&upper),
    ];
    let first = r
        .buckets
        .first()
        .and_then(|b| b.start.get(5..10))
        .unwrap_or("");
    let last = r
        .buckets
        .last()
        .and_then(|b| b.end.get(5..10))
        .unwrap_or("");
    let chart = Chart::new(sets)
        .block(block(title, t))
        .x_axis(
            Axis::default()
                .bounds([x0, x1])
                .labels([first.to_string(), last.to_string()]),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels(["0d".to_string(), format!("{top:.0}d")]),
        );
    f.render_widget(chart, area);
}
