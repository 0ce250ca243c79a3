//! The Audit view: the per-stage table (working and wall time, the marks
//! for the slowest stage and the widest spread against their own SLA), the
//! median time in stage as a share of each stage's SLA, breaches per
//! reason and the exits before the active-care phase. Every panel scrolls
//! and says what it leaves out. Same numbers as `audit --json`.

use super::fit;
use super::theme::Theme;
use crate::app::App;
use crate::app::audit_nav::{AuditNav, clamp_top, exits_in_order, panel_len};
use crate::domain::Pipeline;
use crate::domain::duration::Secs;
use crate::engine::audit::{AuditReport, StageAudit};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub(super) const HIGHEST: &str = "▲";
pub(super) const WIDEST: &str = "◆";

pub(super) fn dur(v: Option<i64>) -> String {
    v.map_or("-".into(), |s| Secs(s).compact())
}

/// What the view draws from: the report (or why there is none) and where
/// each panel is scrolled.
pub struct AuditScreen<'a> {
    pub pipeline: &'a Pipeline,
    pub report: Option<&'a AuditReport>,
    pub computing: bool,
    pub error: Option<&'a str>,
    pub nav: &'a AuditNav,
}

impl<'a> AuditScreen<'a> {
    pub fn of(app: &'a App) -> AuditScreen<'a> {
        AuditScreen {
            pipeline: &app.pipeline,
            report: app.audit.as_ref(),
            computing: app.audit_computing,
            error: app.audit_error.as_deref(),
            nav: &app.audit_nav,
        }
    }
}

/// The four panels' areas: the stage table over the medians, beside the
/// reasons over the exits.
fn areas(area: Rect, r: &AuditReport) -> [Rect; 4] {
    let rows_h = (r.stages.len() as u16 + 3)
        .min(area.height.saturating_mul(3) / 5)
        .max(4);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(rows_h), Constraint::Min(0)]).areas(area);
    let [chart, side] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(bottom);
    let [reasons, exits] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(side);
    [top, chart, reasons, exits]
}

/// Rows each panel shows in `area` (the table has a heading row too).
pub fn rows(area: Rect, r: &AuditReport) -> [usize; 4] {
    let a = areas(area, r);
    let inner = |x: Rect, extra: u16| x.height.saturating_sub(2 + extra) as usize;
    [
        inner(a[0], 1),
        inner(a[1], 0),
        inner(a[2], 0),
        inner(a[3], 0),
    ]
}

/// A panel's title: `▸` when the keys scroll it, and which rows it shows
/// of how many when it cannot show them all.
/// It fits `width` (the panel's): the range goes first, then the long
/// name gives way to the short one (after a `|` in `name`), which is cut
/// last; "+N more" stays.
pub(super) fn title(
    name: &str,
    focused: bool,
    (top, rows, len): (usize, usize, usize),
    width: u16,
) -> String {
    let (long, short) = name.split_once('|').unwrap_or((name, name));
    let lead = if focused { " ▸ " } else { " " };
    let (mut range, mut more) = (String::new(), String::new());
    if len > rows {
        let last = (top + rows).min(len);
        range = format!(" · {}–{last} of {len}", top + 1);
        if last < len {
            more = format!(" · +{} more", len - last);
        }
    }
    let room = (width as usize).saturating_sub(2);
    let size = |parts: &[&str]| parts.iter().map(|p| p.chars().count()).sum::<usize>() + 1;
    for name in [long, short] {
        for range in [range.as_str(), ""] {
            if size(&[lead, name, range, &more]) <= room {
                return format!("{lead}{name}{range}{more} ");
            }
        }
    }
    let keep = room.saturating_sub(size(&[lead, &more]));
    format!("{lead}{}{more} ", fit(short, keep))
}

pub fn draw(f: &mut Frame, area: Rect, v: &AuditScreen, theme: &Theme) {
    let Some(r) = v.report else {
        let (msg, style) = match (v.error, v.computing) {
            (_, true) => ("Computing audit…".to_string(), theme.plain()),
            (Some(e), false) => (
                format!(
                    "The audit failed: {}. Press r to try again.",
                    crate::present::clean(e)
                ),
                theme.error(),
            ),
            (None, false) => ("No audit yet. Press r to compute it.".into(), theme.plain()),
        };
        f.render_widget(
            Paragraph::new(msg).style(style).block(
                Block::bordered()
                    .title(" Audit ")
                    .title_style(theme.title()),
            ),
            area,
        );
        return;
    };
    let a = areas(area, r);
    let shown = rows(area, r);
    let place = |i: usize| {
        let top = clamp_top(v.nav.tops[i], shown[i], panel_len(r, i));
        (top, shown[i], v.nav.focus == i)
    };
    super::audit_table::draw(f, a[0], r, v, place(0), theme);
    if a[1].height < 3 {
        return;
    }
    // The focused panel's cursor: Enter opens the records behind its row.
    let cursor = |i: usize| (v.nav.focus == i).then_some(v.nav.cursors[i]);
    draw_medians(f, a[1], r, place(1), cursor(1), theme);
    draw_reasons(f, a[2], r, place(2), cursor(2), theme);
    let phase = r
        .active_care_phase
        .as_ref()
        .and_then(|id| v.pipeline.phases.iter().find(|p| &p.id == id))
        .map(|p| p.name.clone());
    draw_exits(f, a[3], r, phase.as_deref(), (place(3), cursor(3)), theme);
}

/// One bar `width` cells long for `share` of `scale` (clipped with `»`).
fn bar(share: f64, scale: f64, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let cells = (share / scale * width as f64).round() as usize;
    if cells > width {
        let mut s = "█".repeat(width - 1);
        s.push('»');
        s
    } else {
        format!("{:<width$}", "█".repeat(cells))
    }
}

/// The median time in stage as a share of the stage's own SLA, so a
/// 50-day stage with a 90-day SLA does not flatten every other bar; a
/// stage without an SLA shows its time and no bar.
fn draw_medians(
    f: &mut Frame,
    area: Rect,
    r: &AuditReport,
    (top, rows, focused): (usize, usize, bool),
    cursor: Option<usize>,
    t: &Theme,
) {
    let stages: Vec<&StageAudit> = r.stages.iter().filter(|s| !s.terminal).collect();
    let inner = area.width.saturating_sub(2) as usize;
    let label_w = 16usize.min(inner / 3);
    // Where the panel is narrow, the table's WALL column keeps wall time.
    let roomy = inner >= 60;
    let value_w = if roomy { 24 } else { 11 }.min(inner.saturating_sub(label_w + 4));
    let bar_w = inner.saturating_sub(label_w + value_w + 2);
    // 100% of the SLA at least; beyond twice it, bars are clipped.
    let scale = stages
        .iter()
        .filter_map(|s| s.median_of_sla)
        .fold(1.0f64, f64::max)
        .min(2.0);
    let lines: Vec<Line> = stages
        .iter()
        .enumerate()
        .skip(top)
        .take(rows)
        .map(|(i, s)| {
            let wall = match (s.median_seconds, s.median_wall_seconds) {
                (Some(w), Some(x)) if x > w && roomy => format!(" wall {}", dur(Some(x))),
                _ => String::new(),
            };
            let (b, value) = match s.median_of_sla {
                Some(share) => (
                    bar(share, scale, bar_w),
                    format!("{} {:.0}%{wall}", dur(s.median_seconds), share * 100.0),
                ),
                None if s.median_seconds.is_none() => (" ".repeat(bar_w), "-".into()),
                None => (
                    " ".repeat(bar_w),
                    format!("{} no SLA{wall}", dur(s.median_seconds)),
                ),
            };
            let style = if s.highest_median {
                t.error()
            } else {
                t.plain()
            };
            let line = Line::from(vec![
                Span::raw(format!("{:<label_w$} ", fit(&s.name, label_w))),
                Span::styled(b, style),
                Span::raw(format!(" {}", fit(&value, value_w))),
            ]);
            if cursor == Some(i) {
                line.style(t.selected())
            } else {
                line
            }
        })
        .collect();
    let name = format!(
        "Median time in stage vs its SLA (a full bar is {:.0}%)|Median vs SLA",
        scale * 100.0
    );
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(title(&name, focused, (top, rows, stages.len()), area.width))
                .title_style(t.title()),
        ),
        area,
    );
}

/// Labelled counts with bars scaled to the largest (of all, not only the
/// rows shown), `top` and `rows` of them.
fn count_lines(
    items: &[(String, u64)],
    width: usize,
    (top, rows, cursor): (usize, usize, Option<usize>),
    (style, selected): (Style, Style),
) -> Vec<Line<'static>> {
    let label_w = 28usize.min(width / 2);
    let max = items.iter().map(|x| x.1).max().unwrap_or(0).max(1);
    let count_w = max.to_string().len();
    let bar_w = width.saturating_sub(label_w + count_w + 2);
    items
        .iter()
        .enumerate()
        .skip(top)
        .take(rows)
        .map(|(i, (label, n))| {
            let cells = ((*n as f64 / max as f64) * bar_w as f64).round() as usize;
            let line = Line::from(vec![
                Span::raw(format!("{:<label_w$} {n:>count_w$} ", fit(label, label_w))),
                Span::styled("█".repeat(cells.max(usize::from(*n > 0))), style),
            ]);
            if cursor == Some(i) {
                line.style(selected)
            } else {
                line
            }
        })
        .collect()
}

fn draw_reasons(
    f: &mut Frame,
    area: Rect,
    r: &AuditReport,
    (top, rows, focused): (usize, usize, bool),
    cursor: Option<usize>,
    t: &Theme,
) {
    let total: u64 = r.breaches_by_reason.iter().map(|x| x.count).sum();
    let items: Vec<(String, u64)> = r
        .breaches_by_reason
        .iter()
        .map(|x| (x.label.clone().unwrap_or_else(|| x.reason.clone()), x.count))
        .collect();
    let style = t.sla(crate::engine::sla::SlaState::Breached);
    let lines = count_lines(
        &items,
        area.width.saturating_sub(2) as usize,
        (top, rows, cursor),
        (style, t.selected()),
    );
    let noun = if total == 1 { "breach" } else { "breaches" };
    let name = format!("{total} {noun} by reason|{total} {noun}");
    let block = Block::bordered()
        .title(title(&name, focused, (top, rows, items.len()), area.width))
        .title_style(t.title());
    let lines = if items.is_empty() {
        vec![Line::from("No breaches.")]
    } else {
        lines
    };
    f.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_exits(
    f: &mut Frame,
    area: Rect,
    r: &AuditReport,
    phase: Option<&str>,
    ((top, rows, focused), cursor): ((usize, usize, bool), Option<usize>),
    t: &Theme,
) {
    let name = format!("Exits before {}", phase.unwrap_or("active care"));
    let len = r.exits_before_active_care.len();
    let block = Block::bordered()
        .title(title(&name, focused, (top, rows, len), area.width))
        .title_style(t.title());
    if r.active_care_phase.is_none() {
        f.render_widget(
            Paragraph::new("No phase is marked active_care.").block(block),
            area,
        );
        return;
    }
    if len == 0 {
        f.render_widget(Paragraph::new("None.").block(block), area);
        return;
    }
    // A funnel: the stages records left from, in pipeline order.
    let items: Vec<(String, u64)> = exits_in_order(r)
        .iter()
        .map(|e| (e.name.clone(), e.count))
        .collect();
    let style = t.sla(crate::engine::sla::SlaState::Warn);
    let lines = count_lines(
        &items,
        area.width.saturating_sub(2) as usize,
        (top, rows, cursor),
        (style, t.selected()),
    );
    f.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(report: Option<&AuditReport>, computing: bool) -> String {
        let p = crate::domain::check(crate::domain::DEFAULT_PIPELINE)
            .pipeline
            .expect("default pipeline");
        let nav = AuditNav::default();
        let v = AuditScreen {
            pipeline: &p,
            report,
            computing,
            error: None,
            nav: &nav,
        };
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
        term.draw(|f| draw(f, f.area(), &v, &Theme::mono()))
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
        let ev = |id, at, kind: &str, from, to, reason| crate::engine::audit::AuditEvent {
            record_id: id,
            at,
            actor: "amy",
            kind: kind.parse().expect("a kind"),
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
        let mut r = a.finish();
        let s = screen(Some(&r), false);
        assert!(!s.contains("rebuilding"), "{s}");
        // Figures read from the log while the stays are rebuilt say so
        // until the audit over the rebuilt table replaces them.
        r.stays = crate::engine::audit::StaysUse::Rebuilding;
        let rebuilding = screen(Some(&r), true);
        assert!(
            rebuilding.contains("Stage audit (rebuilding stays after a pipeline change…)"),
            "{rebuilding}"
        );
        r.stays = crate::engine::audit::StaysUse::Stays;
        assert!(screen(Some(&r), true).contains("Stage audit (refreshing…)"));
        assert!(s.contains("Stage audit"), "{s}");
        assert!(s.contains("Median time in stage"), "{s}");
        assert!(s.contains("1 breach by reason"), "{s}");
        assert!(s.contains("Exits before Active Care"), "{s}");
        assert!(s.contains("WALL"), "{s}");
        assert!(s.contains(HIGHEST), "{s}");
    }
}
