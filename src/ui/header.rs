//! The header: pipeline, mode, user, clock and the totals, and to
//! supervisors and admins the webhook targets that keep failing. On a narrow
//! terminal it gives things up in a fixed order, and the totals last: a
//! number is always shown whole.

use super::theme::Theme;
use crate::app::App;
use crate::engine::sla::SlaState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The header's word while the database connection is being retried (a
/// shorter one on a narrow terminal, so the totals keep their place).
const LOST: &str = "✖ connection lost, reconnecting… ";
const LOST_NARROW: &str = "✖ reconnecting… ";
/// The shortest a pipeline name is cut to before it goes altogether.
const NAME_MIN: usize = 8;
/// The shortest a mode label (trust mode, what-if) is cut to.
const MODE_MIN: usize = 12;

/// What the header may give up, in the order it does: each step is taken
/// only when the line does not fit with the steps before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Give {
    Nothing,
    /// `Thu 2026-11-26 10:00:00 EST` becomes `11-26 10:00 EST`.
    LongClock,
    /// The pipeline's name, cut down to [`NAME_MIN`] and then dropped.
    Name,
    /// The mode label cut to [`MODE_MIN`].
    ModeLabel,
    LostWords,
    /// `kim (Supervisor)` becomes `kim`.
    Roles,
    /// `active 380  ▲ 36  ✖ 73` becomes `380 ▲ 36 ✖ 73`.
    TotalsWords,
    /// `11-26 10:00 EST` becomes `10:00`.
    Date,
    /// Nothing but the mode, the connection and the totals.
    User,
}

const STEPS: [Give; 9] = [
    Give::Nothing,
    Give::LongClock,
    Give::Name,
    Give::ModeLabel,
    Give::LostWords,
    Give::Roles,
    Give::TotalsWords,
    Give::Date,
    Give::User,
];

struct Parts {
    name: String,
    mode: Option<String>,
    lost: bool,
    /// Webhook targets that keep failing.
    hooks: Vec<String>,
    user: String,
    roles: String,
    open: i64,
    risk: i64,
    breached: i64,
}

impl Parts {
    /// The header's pieces once `give` and the steps before it have been
    /// given up, for a terminal `width` wide.
    fn spans(&self, app: &App, t: &Theme, give: Give, width: usize) -> Vec<Span<'static>> {
        let p = &app.pipeline;
        let local = app.now.with_timezone(&p.timezone);
        let clock = match give {
            Give::Nothing => local.format("%a %Y-%m-%d %H:%M:%S %Z").to_string(),
            g if g < Give::Date => local.format("%m-%d %H:%M %Z").to_string(),
            _ => local.format("%H:%M").to_string(),
        };
        let mut rest: Vec<(String, Style)> = Vec::new();
        if let Some(m) = &self.mode {
            let m = if give >= Give::ModeLabel {
                super::fit(m, MODE_MIN)
            } else {
                crate::present::clean(m)
            };
            rest.push((format!("[{m}] "), t.sla(SlaState::Warn)));
        }
        if self.lost {
            // Symbol and words, not colour alone: it reads under NO_COLOR.
            let l = if give >= Give::LostWords {
                LOST_NARROW
            } else {
                LOST
            };
            rest.push((l.to_string(), t.sla(SlaState::Breached)));
        }
        if !self.hooks.is_empty() {
            let h = if give >= Give::LostWords {
                "⚠ webhooks │ ".to_string()
            } else {
                format!("⚠ webhooks failing: {} │ ", self.hooks.join(", "))
            };
            rest.push((h, t.sla(SlaState::Breached)));
        }
        if give < Give::User {
            let user = if give >= Give::Roles || self.roles.is_empty() {
                format!("{} │ ", self.user)
            } else {
                format!("{} ({}) │ ", self.user, self.roles)
            };
            rest.push((user, Style::default()));
            rest.push((format!("{clock} │ "), Style::default()));
        }
        let (active, gap) = if give >= Give::TotalsWords {
            (format!("{} ", self.open), " ")
        } else {
            (format!("active {}  ", self.open), "  ")
        };
        rest.push((active, Style::default()));
        rest.push((format!("▲ {}{gap}", self.risk), t.sla(SlaState::Warn)));
        rest.push((format!("✖ {}", self.breached), t.sla(SlaState::Breached)));
        let used: usize = 1 + rest.iter().map(|(s, _)| s.chars().count()).sum::<usize>();
        let mut spans = Vec::new();
        // The name takes what is left, down to NAME_MIN; then it goes.
        let room = width.saturating_sub(used + 3);
        let name = if give < Give::Name {
            Some(crate::present::clean(&self.name))
        } else {
            (room >= NAME_MIN).then(|| super::fit(&self.name, room))
        };
        if let Some(name) = name {
            spans.push(Span::styled(format!(" {name} "), t.title()));
            spans.push(Span::raw("│ "));
        } else {
            spans.push(Span::raw(" "));
        }
        spans.extend(rest.into_iter().map(|(s, st)| Span::styled(s, st)));
        spans
    }
}

fn width_of(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.content.chars().count()).sum()
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let p = &app.pipeline;
    let open: i64 = app
        .counts
        .iter()
        .filter(|c| p.stage_ix(&c.stage).is_some_and(|s| !p.stage(s).terminal))
        .map(|c| c.total)
        .sum();
    let parts = Parts {
        name: p.name.clone(),
        mode: app.mode_label.clone(),
        lost: app.link_lost.is_some(),
        hooks: app.webhook_trouble.clone(),
        user: crate::present::clean(&app.user.name),
        roles: crate::present::role_names(p, &app.user.roles),
        open,
        risk: app.counts.iter().map(|c| c.at_risk).sum(),
        breached: app.counts.iter().map(|c| c.breached).sum(),
    };
    let width = area.width as usize;
    // The first step at which the line fits; the last one if none does
    // (the totals, drawn last, are then what a very narrow header cuts).
    let spans = STEPS
        .iter()
        .map(|g| parts.spans(app, t, *g, width))
        .find(|s| width_of(s) <= width)
        .unwrap_or_else(|| parts.spans(app, t, Give::User, width));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
