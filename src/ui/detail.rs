//! The detail pane: fields, sub-status, owner, SLA with the wall-clock due
//! time, the full history and the events this user may fire.

use super::queue::{owner_text, sla_cell, stage_name};
use super::{fit, theme::Theme};
use crate::app::App;
use crate::engine::rules::allowed_events;
use crate::engine::sla;
use crate::present::{self, local};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let Some(d) = app.pane_detail() else {
        let id = app.pane.map(|id| format!(" #{id} ")).unwrap_or_default();
        let block = Block::bordered().title(id).title_style(t.title());
        let inner = block.inner(area);
        f.render_widget(block, area);
        f.render_widget(Paragraph::new("reading…").style(t.dim()), inner);
        return;
    };
    let r = &d.record;
    let p = &app.pipeline;
    let w = area.width.saturating_sub(4) as usize;
    let mut lines: Vec<Line> = Vec::new();
    // Keys as wide as the longest field label shown (within reason), so
    // labels such as "Date of birth" are not cut; values wrap.
    let key_w = p
        .fields
        .iter()
        .filter(|f| r.fields.contains_key(&f.id))
        .map(|f| f.label.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(10, 18)
        + 2;
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<key_w$}"), t.dim()),
            Span::raw(v),
        ])
    };
    lines.push(kv("Stage", stage_name(app, r)));
    lines.push(kv(
        "Sub-status",
        match &r.substatus {
            Some(_) => present::substatus_label(p, r),
            None => "-".into(),
        },
    ));
    lines.push(kv("Owner", owner_text(app, r)));
    let v = sla::view(p, r, app.now);
    let mut sla_line = vec![Span::styled(format!("{:<key_w$}", "SLA"), t.dim())];
    sla_line.extend(sla_cell(app, r, t).spans);
    if let Some(due) = v.due_at {
        sla_line.push(Span::raw(format!("  due {}", local(p, due))));
    }
    lines.push(Line::from(sla_line));
    if r.escalation > 0 || r.priority > 0 {
        // Priority 0 is the normal case: named only when raised.
        let priority = match r.priority {
            0 => String::new(),
            1 => " · priority high".to_string(),
            _ => " · priority urgent".to_string(),
        };
        lines.push(kv(
            "Escalation",
            format!("level {}{priority}", r.escalation),
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
            format!(" (needs {})", present::guard_words(&a.requires))
        };
        lines.push(Line::from(present::clean(&format!(
            "  {} → {}{req}",
            a.label,
            present::stage_name(p, &a.to)
        ))));
    }
    lines.push(Line::from(""));
    for fd in &p.fields {
        if let Some(val) = r.fields.get(&fd.id) {
            lines.push(kv(&fit(&fd.label, key_w - 2), present::clean(val)));
        }
    }
    let mut history: Vec<Line> = Vec::new();
    for e in &d.history {
        history.push(Line::from(present::history_line(p, e)));
    }
    let title = format!(" #{} {} ", r.id, fit(&r.patient, w.saturating_sub(10)));
    let block = Block::bordered().title(title).title_style(t.title());
    let inner = block.inner(area);
    f.render_widget(block, area);
    // The record itself on top; the history below it, scrolled so its
    // latest events stay in view.
    // Lines wrap rather than lose their end (a long event label and what
    // it needs); word wrap may take a line more than the cells suggest.
    let rows = |l: &Line| {
        let n = l.width().max(1);
        let w = inner.width.max(1) as usize;
        if n <= w {
            1
        } else {
            n.div_ceil(w.saturating_sub(8).max(1))
        }
    };
    let top_rows: usize = lines.iter().map(rows).sum();
    let top_h = (top_rows as u16 + 1).min(inner.height.saturating_sub(3));
    // What does not fit is counted, never silently dropped.
    if top_rows + 1 > top_h as usize {
        let room = (top_h as usize).saturating_sub(1);
        let (mut used, mut keep) = (0, 0);
        for l in &lines {
            if used + rows(l) > room {
                break;
            }
            used += rows(l);
            keep += 1;
        }
        let hidden = lines.len() - keep;
        lines.truncate(keep);
        lines.push(Line::from(Span::styled(
            format!("+{hidden} more lines (a taller terminal shows them)"),
            t.dim(),
        )));
    }
    let [top, rest] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(inner);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), top);
    // The heading stays whatever the history's length; the lines below it
    // scroll so the latest stay in view.
    let [heading, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(rest);
    f.render_widget(
        Paragraph::new(Line::from(Span::styled("History", t.title()))),
        heading,
    );
    let wrapped: usize = history.iter().map(rows).sum();
    let scroll = wrapped.saturating_sub(rest.height as usize) as u16;
    f.render_widget(
        Paragraph::new(history)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        rest,
    );
}
