//! A record as one scrollable document, for the detail pane and the full
//! record view: the record's facts, its intake fields, the events this user
//! may fire and its whole history (latest first). Lines are wrapped here,
//! to the width drawn, so scrolling counts the rows a person sees; a window
//! onto them says what lies above and below, and never ends on a heading
//! whose content it cuts.

use super::queue::{owner_text, sla_cell, stage_name};
use super::{fit, theme::Theme};
use crate::app::App;
use crate::app::service::Detail;
use crate::engine::rules::allowed_events;
use crate::engine::sla;
use crate::present::{self, local};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// One row of the document as drawn: a heading, or a row of content.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: Line<'static>,
    pub heading: bool,
}

/// The record's document wrapped to `width` columns.
pub fn rows(app: &App, d: &Detail, width: usize, t: &Theme) -> Vec<Row> {
    let mut out = Vec::new();
    for (line, heading) in lines(app, d, width, t) {
        for line in wrap(&line, width.max(1)) {
            out.push(Row { line, heading });
        }
    }
    out
}

/// The document's lines before wrapping: (line, is a heading).
fn lines(app: &App, d: &Detail, width: usize, t: &Theme) -> Vec<(Line<'static>, bool)> {
    let r = &d.record;
    let p = &app.pipeline;
    let mut out: Vec<(Line<'static>, bool)> = Vec::new();
    // The stay's next early warning (the pipeline's `warn_at`, `repeat`).
    let next_warning = crate::engine::warnings::next(p, r);
    // Keys as wide as the longest field label shown (within reason), so
    // labels such as "Date of birth" are not cut; values wrap.
    let key_w = p
        .fields
        .iter()
        .filter(|f| r.fields.contains_key(&f.id))
        .map(|f| f.label.chars().count())
        .chain(next_warning.as_ref().map(|_| "Next warning".len()))
        .max()
        .unwrap_or(0)
        .clamp(10, 18.min(width / 3).max(10))
        + 2;
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{:<key_w$}", fit(k, key_w - 2)), t.dim()),
            Span::raw(v),
        ])
    };
    let body = |out: &mut Vec<(Line<'static>, bool)>, l: Line<'static>| out.push((l, false));
    body(&mut out, kv("Stage", stage_name(app, r)));
    body(
        &mut out,
        kv(
            "Sub-status",
            match &r.substatus {
                Some(_) => present::substatus_label(p, r),
                None => "-".into(),
            },
        ),
    );
    body(&mut out, kv("Owner", owner_text(app, r)));
    let v = sla::view(p, r, app.now);
    let mut sla_line = vec![Span::styled(format!("{:<key_w$}", "SLA"), t.dim())];
    sla_line.extend(sla_cell(app, r, t).spans);
    if let Some(due) = v.due_at {
        sla_line.push(Span::raw(format!("  due {}", local(p, due))));
    }
    body(&mut out, Line::from(sla_line));
    if let Some(w) = &next_warning {
        body(
            &mut out,
            kv(
                "Next warning",
                format!("{}, {}", present::warning_words(&w.label), local(p, w.at)),
            ),
        );
    }
    if r.escalation > 0 || r.priority > 0 {
        // Priority 0 is the normal case: named only when raised.
        let priority = match r.priority {
            0 => String::new(),
            1 => " · priority high".to_string(),
            _ => " · priority urgent".to_string(),
        };
        body(
            &mut out,
            kv("Escalation", format!("level {}{priority}", r.escalation)),
        );
    }
    if let Some(b) = &r.breach_reason {
        body(&mut out, kv("Breach", format!("acknowledged: {b}")));
    }
    body(&mut out, kv("Entered", local(p, r.entered_at)));

    let fields: Vec<_> = p
        .fields
        .iter()
        .filter_map(|fd| r.fields.get(&fd.id).map(|v| (fd, v)))
        .collect();
    if !fields.is_empty() {
        body(&mut out, Line::from(""));
        out.push((heading("Fields", fields.len(), "", t), true));
        for (fd, val) in fields {
            body(&mut out, kv(&fd.label, present::clean(val)));
        }
    }

    body(&mut out, Line::from(""));
    let allowed = allowed_events(p, r, &app.user, app.now);
    out.push((heading("Allowed events", allowed.len(), "", t), true));
    if allowed.is_empty() {
        body(
            &mut out,
            Line::from(Span::styled("  none for you", t.dim())),
        );
    }
    for a in &allowed {
        let req = if a.requires.is_empty() {
            String::new()
        } else {
            format!(" (needs {})", present::guard_words(&a.requires))
        };
        body(
            &mut out,
            Line::from(present::clean(&format!(
                "  {} → {}{req}",
                a.label,
                present::stage_name(p, &a.to)
            ))),
        );
    }

    body(&mut out, Line::from(""));
    out.push((
        heading("History", d.history.len(), ", latest first", t),
        true,
    ));
    if d.history.is_empty() {
        body(&mut out, Line::from(Span::styled("  none", t.dim())));
    }
    for e in d.history.iter().rev() {
        body(&mut out, Line::from(present::history_line(p, e)));
    }
    out
}

/// `History · 5 events, latest first`: a heading says how much is under it.
fn heading(title: &str, n: usize, order: &str, t: &Theme) -> Line<'static> {
    let unit = match (title, n) {
        ("Fields", 1) => "field",
        ("Fields", _) => "fields",
        (_, 1) => "event",
        _ => "events",
    };
    Line::from(vec![
        Span::styled(title.to_string(), t.title()),
        Span::styled(format!(" · {n} {unit}{order}"), t.dim()),
    ])
}

/// Wraps a styled line to `width` columns, at a space where one is near
/// the end of the row; continuation rows are indented by two.
pub fn wrap(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    let cells: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    if cells.len() <= width {
        return vec![line.clone()];
    }
    let indent = if width > 8 { 2 } else { 0 };
    let mut rows = Vec::new();
    let mut rest: &[(char, Style)] = &cells;
    let mut first = true;
    while !rest.is_empty() {
        let room = if first { width } else { width - indent };
        let take = if rest.len() <= room {
            rest.len()
        } else {
            // Break after the last space in the row's second half.
            rest[..room]
                .iter()
                .rposition(|(c, _)| *c == ' ')
                .filter(|&i| i + 1 > room / 2)
                .map_or(room, |i| i + 1)
        };
        let mut row: Vec<(char, Style)> = Vec::new();
        if !first {
            row.extend(std::iter::repeat_n((' ', Style::default()), indent));
        }
        row.extend_from_slice(&rest[..take]);
        while row.last().is_some_and(|(c, _)| *c == ' ') && row.len() > indent {
            row.pop();
        }
        rows.push(spans_of(&row));
        rest = &rest[take..];
        first = false;
    }
    rows
}

fn spans_of(cells: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = cells.first().map(|c| c.1).unwrap_or_default();
    for &(c, s) in cells {
        if s != style && !text.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut text), style));
        }
        style = s;
        text.push(c);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

/// What a window of `height` rows from `top` shows of `total` rows: the
/// first row drawn, how many, and the rows left above and below. A marker
/// row takes the place of content at each cut end, and a heading is never
/// the last row shown when its content is cut below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first: usize,
    pub shown: usize,
    pub above: usize,
    pub below: usize,
}

/// The largest `top` worth scrolling to for `total` rows in `height`.
pub fn max_top(total: usize, height: usize) -> usize {
    if total <= height {
        return 0;
    }
    // At the end only the top marker is drawn.
    total.saturating_sub(height.saturating_sub(1).max(1))
}

pub fn window(rows: &[Row], top: usize, height: usize) -> Window {
    let total = rows.len();
    if total <= height || height < 3 {
        let shown = total.min(height);
        return Window {
            first: 0,
            shown,
            above: 0,
            below: total - shown,
        };
    }
    let top = top.min(max_top(total, height));
    let marker_top = usize::from(top > 0);
    let room = height - marker_top;
    // Content from `top`; if it does not reach the end, a row goes to the
    // bottom marker.
    let mut shown = if top + room >= total {
        total - top
    } else {
        room - 1
    };
    // A heading as the last row, with its content cut, goes below too.
    while shown > 1 && top + shown < total && rows[top + shown - 1].heading {
        shown -= 1;
    }
    Window {
        first: top,
        shown,
        above: top,
        below: total - top - shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(kinds: &[bool]) -> Vec<Row> {
        kinds
            .iter()
            .map(|&heading| Row {
                line: Line::from("x"),
                heading,
            })
            .collect()
    }

    #[test]
    fn a_window_accounts_for_every_row() {
        let rows = doc(&[false; 30]);
        for height in 3..35 {
            for top in 0..40 {
                let w = window(&rows, top, height);
                assert_eq!(w.above + w.shown + w.below, 30, "h {height} top {top}");
                let markers = usize::from(w.above > 0) + usize::from(w.below > 0);
                assert!(w.shown + markers <= height, "h {height} top {top}: {w:?}");
                assert!(w.shown > 0);
            }
        }
        // Scrolled to the end, the last row is shown.
        let w = window(&rows, max_top(30, 10), 10);
        assert_eq!((w.below, w.first + w.shown), (0, 30));
    }

    #[test]
    fn a_heading_is_never_the_last_row_above_a_cut() {
        // Row 8 is a heading: a window of 10 rows from the top shows 9
        // content rows (0..9) and a marker; row 8 would end it.
        let mut kinds = vec![false; 20];
        kinds[8] = true;
        let rows = doc(&kinds);
        let w = window(&rows, 0, 10);
        assert_eq!((w.shown, w.below), (8, 12), "{w:?}");
        assert!(!rows[w.first + w.shown - 1].heading);
    }

    #[test]
    fn wrapping_keeps_every_character_and_breaks_at_spaces() {
        let line = Line::from("Begin clinical review → In Review (needs a breach reason)");
        let rows = wrap(&line, 20);
        assert!(rows.iter().all(|r| r.width() <= 20), "{rows:?}");
        let text: String = rows
            .iter()
            .map(|r| r.to_string().trim().to_string())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(text, line.to_string());
    }
}
