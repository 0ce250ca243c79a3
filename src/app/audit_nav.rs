//! The Audit view's panels (the stage table, the medians, the breach
//! reasons, the exits): `switch_pane` picks the one the keys scroll; the
//! audit's arrival, failure and `r` each say so on the status line.

use super::App;
use super::service::Request;
use crate::engine::audit::{AuditReport, ExitCount};
use crate::keys::Action;

/// The panels, in the order `switch_pane` visits them.
pub const PANELS: [&str; 4] = ["stages", "medians", "breach reasons", "exits"];

/// Which panel the keys move in, and each panel's cursor, first row and
/// height.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditNav {
    pub focus: usize,
    pub tops: [usize; 4],
    /// Rows each panel shows; set by the front end from the layout.
    pub rows: [usize; 4],
    /// Each panel's cursor: Enter opens the records behind its row.
    pub cursors: [usize; 4],
    /// In the stage table, the column Enter opens: the stage's records
    /// (0) or those with no owner action (1); `h`/`l` move it.
    pub column: usize,
    /// `r` asked for the audit: its arrival is said on the status line
    /// (one computed on entering the view shows itself).
    pub asked: bool,
    /// The trend page is shown instead of the stage tables (`t`).
    pub trends: bool,
}

/// How many rows panel `i` holds for report `r`.
pub fn panel_len(r: &AuditReport, i: usize) -> usize {
    match i {
        0 => r.stages.len(),
        1 => r.stages.iter().filter(|s| !s.terminal).count(),
        2 => r.breaches_by_reason.len(),
        _ => r.exits_before_active_care.len(),
    }
}

/// The exits as the funnel shows them: in pipeline order.
pub fn exits_in_order(r: &AuditReport) -> Vec<&ExitCount> {
    let mut exits: Vec<&ExitCount> = r.exits_before_active_care.iter().collect();
    exits.sort_by_key(|e| {
        r.stages
            .iter()
            .position(|s| s.stage == e.stage)
            .unwrap_or(usize::MAX)
    });
    exits
}

/// The first row to draw: `top`, but never past the last full screen.
pub fn clamp_top(top: usize, rows: usize, len: usize) -> usize {
    top.min(len.saturating_sub(rows.max(1)))
}

impl App {
    /// A key in the Audit view: moving, panel and drill-down keys; None
    /// for the others (view switches, help, quit…).
    pub(super) fn on_audit_action(&mut self, a: Action) -> Option<Vec<Request>> {
        let i = self.audit_nav.focus;
        let page = self.audit_nav.rows[i].max(1) as i64;
        if a == Action::Trends {
            return Some(self.toggle_trends());
        }
        if self.audit_nav.trends {
            // The trend page has no cursor: `r` computes it again.
            return match a {
                Action::Refresh => Some(self.trend_request(true)),
                _ => None,
            };
        }
        let nav = &mut self.audit_nav;
        let delta = match a {
            Action::OpenDetail => return Some(self.drill_down()),
            Action::PrevStage | Action::NextStage if i == 0 => {
                nav.column = usize::from(a == Action::NextStage);
                let what = if nav.column == 0 {
                    "Enter opens the stage's records"
                } else {
                    "Enter opens the records with no owner action"
                };
                self.set_status(what, false);
                return Some(Vec::new());
            }
            Action::SwitchPane => {
                nav.focus = (i + 1) % PANELS.len();
                let name = PANELS[nav.focus];
                self.set_status(format!("the keys move in {name}"), false);
                return Some(Vec::new());
            }
            Action::Refresh => {
                let out: Vec<Request> = self.audit_request().into_iter().collect();
                self.audit_nav.asked = true;
                let text = if out.is_empty() {
                    "the audit is already being computed"
                } else {
                    "recomputing the audit…"
                };
                self.set_status(text, false);
                return Some(out);
            }
            Action::Down => 1,
            Action::Up => -1,
            Action::PageDown => page,
            Action::PageUp => -page,
            Action::Top => i64::MIN / 2,
            Action::Bottom => i64::MAX / 2,
            _ => return None,
        };
        // Each panel has a cursor; its window follows it.
        let len = self.audit.as_ref().map_or(0, |r| panel_len(r, i));
        let rows = self.audit_nav.rows[i].max(1);
        let nav = &mut self.audit_nav;
        let cur = (nav.cursors[i] as i64 + delta).clamp(0, len.saturating_sub(1) as i64) as usize;
        nav.cursors[i] = cur;
        let top = clamp_top(nav.tops[i], rows, len);
        nav.tops[i] = if cur < top {
            cur
        } else if cur >= top + rows {
            cur + 1 - rows
        } else {
            top
        };
        Some(Vec::new())
    }

    /// `t` in the Audit view: the trend page, computed on first sight.
    fn toggle_trends(&mut self) -> Vec<Request> {
        self.audit_nav.trends = !self.audit_nav.trends;
        if !self.audit_nav.trends {
            self.set_status("the stage tables", false);
            return Vec::new();
        }
        if self.trend.is_some() {
            self.set_status("trends of the last 12 weeks · r computes them again", false);
            return Vec::new();
        }
        self.trend_request(false)
    }

    /// Asks for the trend unless it is on its way.
    fn trend_request(&mut self, again: bool) -> Vec<Request> {
        if self.trend_computing {
            self.set_status("the trends are already being computed", false);
            return Vec::new();
        }
        self.trend_computing = true;
        let what = if again {
            "computing the trends again…"
        } else {
            "computing the trends of the last 12 weeks…"
        };
        self.set_status(what, false);
        vec![Request::Trend]
    }

    pub(super) fn on_trend(&mut self, t: crate::ops::trend::Trend) {
        self.set_status(
            format!(
                "trends of {} weeks, this one included · r computes them again",
                t.buckets.len()
            ),
            false,
        );
        self.trend = Some(Box::new(t));
        self.trend_computing = false;
        self.trend_error = None;
    }

    pub(super) fn on_trend_failed(&mut self, why: String) {
        self.trend_computing = false;
        self.set_status(format!("the trends failed: {why} · r retries"), true);
        self.trend_error = Some(why);
    }

    pub(super) fn on_audit(&mut self, report: AuditReport) {
        if std::mem::take(&mut self.audit_nav.asked) {
            let at = crate::present::local(&self.pipeline, report.as_of);
            self.set_status(
                format!(
                    "audit computed: {} stages, {} events, as of {at}",
                    report.stages.len(),
                    report.events
                ),
                false,
            );
        }
        // Figures read from the log while the stays are rebuilt: the
        // audit over the rebuilt table follows.
        self.audit_computing = report.stays == crate::engine::audit::StaysUse::Rebuilding;
        self.audit = Some(report);
        self.audit_error = None;
    }

    pub(super) fn on_audit_failed(&mut self, why: String) {
        self.audit_computing = false;
        self.audit_nav.asked = false;
        let key = self
            .keymap
            .first_key(crate::keys::Mode::Normal, Action::Refresh)
            .unwrap_or("r")
            .to_string();
        self.set_status(format!("the audit failed: {why} · {key} retries"), true);
        self.audit_error = Some(why);
    }
}

#[cfg(test)]
mod tests {
    use super::clamp_top;

    #[test]
    fn a_panel_never_scrolls_past_its_last_screen() {
        assert_eq!(clamp_top(0, 5, 3), 0);
        assert_eq!(clamp_top(9, 5, 12), 7);
        assert_eq!(clamp_top(2, 5, 12), 2);
        assert_eq!(clamp_top(4, 0, 3), 2);
    }
}
