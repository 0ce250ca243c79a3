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
use ratatui::layout::Rect;
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
    for fd in &p.fields {
        if let Some(val) = r.fields.get(&fd.id) {
            lines.push(kv(&fit(&fd.label, 11), fit(val, w.saturating_sub(12))));
        }
    }
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
    lines.push(Line::from(Span::styled("History", t.title())));
    for e in &d.history {
        let what = match (&e.event, &e.from, &e.to) {
            (Some(ev), Some(a), Some(b)) => format!("{ev}: {a} → {b}"),
            (None, from, Some(b)) => format!("{} → {b}", from.as_deref().unwrap_or("")),
            (None, Some(a), None) => format!("{a} →"),
            _ => String::new(),
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
        lines.push(Line::from(s));
    }
    let title = format!(" #{} {} ", r.id, fit(&r.patient, w.saturating_sub(10)));
    // Keep the latest history in view: scroll so the end is visible.
    let inner_h = area.height.saturating_sub(2) as usize;
    let scroll = lines.len().saturating_sub(inner_h) as u16;
    let para = Paragraph::new(lines)
        .block(Block::bordered().title(title).title_style(t.title()))
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    f.render_widget(para, area);
}
