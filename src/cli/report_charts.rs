//! The report's charts as SVG, drawn by plotters' SVG backend: stacked
//! phase bars, breach-rate lines, the cycle-time control chart.

use crate::domain::Pipeline;
use crate::ops::trend::Trend;
use anyhow::Result;
use plotters::prelude::*;

/// A fill per phase, and a line per stage: readable printed in grey too.
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn svg_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing a chart: {e:?}")
}

/// Stacked bars: a bar per bucket, a band per phase.
pub(super) fn flow_svg(p: &Pipeline, t: &Trend) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(svg_err)?;
        let n = t.buckets.len();
        let max = t
            .buckets
            .iter()
            .map(|b| b.flow.values().sum::<u64>())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..n as f64, 0f64..max as f64 * 1.05)
            .map_err(svg_err)?;
        let labels: Vec<String> = t
            .buckets
            .iter()
            .map(|b| b.start.get(5..10).unwrap_or("").to_string())
            .collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(13))
            .x_label_formatter(&|x| labels.get(*x as usize).cloned().unwrap_or_default())
            .y_desc("records")
            .draw()
            .map_err(svg_err)?;
        for (k, ph) in p.phases.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let bars = t.buckets.iter().enumerate().map(|(i, b)| {
                let below: u64 = p.phases[..k]
                    .iter()
                    .map(|x| b.flow.get(&x.id).copied().unwrap_or(0))
                    .sum();
                let v = b.flow.get(&ph.id).copied().unwrap_or(0);
                Rectangle::new(
                    [
                        (i as f64 + 0.1, below as f64),
                        (i as f64 + 0.9, (below + v) as f64),
                    ],
                    color.filled(),
                )
            });
            chart
                .draw_series(bars)
                .map_err(svg_err)?
                .label(ph.name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(svg_err)?;
        root.present().map_err(svg_err)?;
    }
    Ok(svg)
}

/// A line per stage (the six with the most breaches in the range).
pub(super) fn breach_svg(p: &Pipeline, t: &Trend) -> Result<String> {
    let mut totals: Vec<(String, u64)> = p
        .stages
        .iter()
        .filter(|s| !s.terminal)
        .map(|s| {
            let n = t
                .buckets
                .iter()
                .flat_map(|b| b.breach_rate.iter().filter(|x| x.stage == s.id))
                .map(|x| x.breaches)
                .sum();
            (s.id.clone(), n)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    totals.sort_by_key(|t| std::cmp::Reverse(t.1));
    totals.truncate(6);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(svg_err)?;
        let n = t.buckets.len();
        let labels: Vec<String> = t
            .buckets
            .iter()
            .map(|b| b.start.get(5..10).unwrap_or("").to_string())
            .collect();
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..(n.max(2) - 1) as f64, 0f64..100f64)
            .map_err(svg_err)?;
        chart
            .configure_mesh()
            .x_labels(n.min(13))
            .x_label_formatter(&|x| labels.get(x.round() as usize).cloned().unwrap_or_default())
            .y_desc("% breached")
            .draw()
            .map_err(svg_err)?;
        for (k, (stage, _)) in totals.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let points: Vec<(f64, f64)> = t
                .buckets
                .iter()
                .enumerate()
                .filter_map(|(i, b)| {
                    b.breach_rate
                        .iter()
                        .find(|x| &x.stage == stage)
                        .map(|x| (i as f64, x.rate * 100.0))
                })
                .collect();
            let name = crate::present::stage_name(p, stage);
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(svg_err)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|pt| Circle::new(pt, 3, color.filled())),
                )
                .map_err(svg_err)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(svg_err)?;
        root.present().map_err(svg_err)?;
    }
    Ok(svg)
}

/// The control chart: points (days) by date of entry into active care,
/// with the mean and the limits.
pub(super) fn cycle_svg(t: &Trend) -> Result<String> {
    let ch = t.control_chart();
    let ((x0, x1), points, top) = (ch.x, &ch.points, ch.top);
    let day = 86_400.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(svg_err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(x0..x1.max(x0 + 1.0), 0f64..top)
            .map_err(svg_err)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|x| {
                chrono::DateTime::from_timestamp((*x * day) as i64, 0)
                    .map(|d| d.format("%m-%d").to_string())
                    .unwrap_or_default()
            })
            .y_desc("days")
            .draw()
            .map_err(svg_err)?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|pt| Circle::new(*pt, 3, PALETTE[0].filled())),
            )
            .map_err(svg_err)?
            .label("records")
            .legend(|(x, y)| Circle::new((x + 5, y), 3, PALETTE[0].filled()));
        for (name, v, color) in [
            ("mean", ch.mean, BLACK),
            ("upper limit", ch.upper, PALETTE[3]),
            ("lower limit", ch.lower, PALETTE[3]),
        ] {
            if let Some(y) = v {
                chart
                    .draw_series(LineSeries::new(
                        vec![(x0, y), (x1, y)],
                        color.stroke_width(1),
                    ))
                    .map_err(svg_err)?
                    .label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], color));
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(svg_err)?;
        root.present().map_err(svg_err)?;
    }
    Ok(svg)
}
