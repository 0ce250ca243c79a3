//! The detail pane: fields, sub-status, owner, SLA with the wall-clock due
//! time, the full history and the events this user may fire.

use super::queue::{owner_text, sla_cell, stage_name};
use super::{fit, theme::Theme};
use crate::app::App;
use crate::cli::fmt::local;
use crate::engine::rules::allowed_events;
use crate::engine::sla;
use crate::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let Some(d) = &app.detail else { return };
    let r = &d.record;
    let p = &app.pipeline;
    let w = area.width.saturating_sub(4) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<12}"), t.dim()),
            Span::raw(v),
        ])
    };
    lines.push(kv("Stage", format!("{} ({})", stage_name(app, r), r.stage)));
    lines.push(kv(
        "Sub-status",
        r.substatus.clone().unwrap_or_else(|| "-".into()),
    ));
    lines.push(kv("Owner", owner_text(app, r)));
    let v = sla::view(p, r, app.now);
    let mut sla_line = vec![Span::styled(format!("{:<12}", "SLA"), t.dim())];
    sla_line.extend(sla_cell(app, r, t).spans);
    if let Some(due) = v.due_at {
        sla_line.push(Span::raw(format!("  due {}", local(p, due))));
    }
    lines.push(Line::from(sla_line));
    if r.escalation > 0 || r.priority > 0 {
        lines.push(kv(
            "Escalation",
            format!("level {} · priority {}", r.escalation, r.priority),
        ));
    }
    if let Some(b) = &r.breach_reason {
        lines.push(kv("Breach", format!("acknowledged: {b}")));
    }
    lines.push(kv("Entered", local(p, r.entered_at)));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Allowed events", t.title())));
    let allowed = allowed_events(p, r, &app.user, app.now);
    if allowed.is_empty() {
        lines.push(Line::from(Span::styled("  none for you", t.dim())));
    }
    for a in &allowed {
        let req = if a.requires.is_empty() {
            String::new()
        } else {
            format!(" [{}]", a.requires.join(", "))
        };
        lines.push(Line::from(format!("  {} → {}{req}", a.event, a.to)));
    }
    lines.push(Line::from(""));
    for fd in &p.fields {
        if let Some(val) = r.fields.get(&fd.id) {
            lines.push(kv(&fit(&fd.label, 11), fit(val, w.saturating_sub(12))));
        }
    }
    let mut history: Vec<Line> = vec![Line::from(Span::styled("History", t.title()))];
    for e in &d.history {
        let arrow = match (&e.from, &e.to) {
            (Some(a), Some(b)) => format!("{a} → {b}"),
            (None, Some(b)) => format!("→ {b}"),
            (Some(a), None) => format!("{a} →"),
            (None, None) => String::new(),
        };
        let what = match &e.event {
            Some(ev) => format!("{ev}: {arrow}"),
            None => arrow,
        };
        let mut s = format!(
            "{}  {} {} {}",
            local(p, e.at),
            clean(&e.actor),
            e.kind,
            what.trim()
        );
        if let Some(x) = &e.reason {
            s.push_str(&format!(" [{x}]"));
        }
        if let Some(n) = &e.note {
            s.push_str(&format!(" \"{}\"", clean(n)));
        }
        history.push(Line::from(s));
    }
    let title = format!(" #{} {} ", r.id, fit(&r.patient, w.saturating_sub(10)));
    let block = Block::bordered().title(title).title_style(t.title());
    let inner = block.inner(area);
    f.render_widget(block, area);
    // The record itself on top; the history below it, scrolled so its
    // latest events stay in view.
    let top_h = (lines.len() as u16 + 1).min(inner.height.saturating_sub(3));
    let [top, rest] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(inner);
    f.render_widget(Paragraph::new(lines), top);
    let wrapped: usize = history
        .iter()
        .map(|l| l.width().max(1).div_ceil(rest.width.max(1) as usize))
        .sum();
    let scroll = wrapped.saturating_sub(rest.height as usize) as u16;
    f.render_widget(
        Paragraph::new(history)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        rest,
    );
}
