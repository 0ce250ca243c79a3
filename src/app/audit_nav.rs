//! The Audit view's panels (the stage table, the medians, the breach
//! reasons, the exits): `switch_pane` picks the one the keys scroll; the
//! audit's arrival, failure and `r` each say so on the status line.

use super::App;
use super::service::Request;
use crate::engine::audit::AuditReport;
use crate::keys::Action;

/// The panels, in the order `switch_pane` visits them.
pub const PANELS: [&str; 4] = ["stages", "medians", "breach reasons", "exits"];

/// Which panel the keys scroll, and each panel's first row and height.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditNav {
    pub focus: usize,
    pub tops: [usize; 4],
    /// Rows each panel shows; set by the front end from the layout.
    pub rows: [usize; 4],
    /// The stage table's cursor: Enter opens that stage's records.
    pub cursor: usize,
    /// `r` asked for the audit: its arrival is said on the status line
    /// (one computed on entering the view shows itself).
    pub asked: bool,
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

/// The first row to draw: `top`, but never past the last full screen.
pub fn clamp_top(top: usize, rows: usize, len: usize) -> usize {
    top.min(len.saturating_sub(rows.max(1)))
}

impl App {
    /// A key in the Audit view: scrolling and panel keys; None for the
    /// others (view switches, help, quit…).
    pub(super) fn on_audit_action(&mut self, a: Action) -> Option<Vec<Request>> {
        let nav = &mut self.audit_nav;
        let i = nav.focus;
        let page = nav.rows[i].max(1) as i64;
        if i == 0 && a == Action::OpenDetail {
            return Some(self.open_audit_stage());
        }
        let delta = match a {
            Action::SwitchPane => {
                nav.focus = (i + 1) % PANELS.len();
                let name = PANELS[nav.focus];
                self.set_status(format!("the keys scroll {name}"), false);
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
        let len = self.audit.as_ref().map_or(0, |r| panel_len(r, i));
        if i == 0 {
            // The stage table has a cursor; its window follows it.
            let rows = self.audit_nav.rows[0].max(1);
            let cur = (self.audit_nav.cursor as i64 + delta).clamp(0, len.saturating_sub(1) as i64)
                as usize;
            let nav = &mut self.audit_nav;
            nav.cursor = cur;
            let top = clamp_top(nav.tops[0], rows, len);
            nav.tops[0] = if cur < top {
                cur
            } else if cur >= top + rows {
                cur + 1 - rows
            } else {
                top
            };
            return Some(Vec::new());
        }
        let rows = self.audit_nav.rows[i];
        let top = clamp_top(self.audit_nav.tops[i], rows, len) as i64;
        let max = len.saturating_sub(rows.max(1)) as i64;
        self.audit_nav.tops[i] = (top + delta).clamp(0, max) as usize;
        Some(Vec::new())
    }

    /// Enter on the stage table: the records in that stage now, in the
    /// view that shows the stage (`<` comes back to the Audit).
    fn open_audit_stage(&mut self) -> Vec<Request> {
        let Some(stage) = self
            .audit
            .as_ref()
            .and_then(|r| r.stages.get(self.audit_nav.cursor))
            .map(|s| (s.stage.clone(), s.name.clone()))
        else {
            return Vec::new();
        };
        let p = self.pipeline.clone();
        let Some(ix) = p.stage_ix(&stage.0) else {
            self.set_status(format!("{} is no longer a stage", stage.1), true);
            return Vec::new();
        };
        let Some(v) = self.views.iter().position(|v| {
            matches!(v.kind, super::views::ViewKind::Phase(_)) && v.stages.contains(&ix)
        }) else {
            self.set_status(format!("no view shows {}", stage.1), true);
            return Vec::new();
        };
        self.push_jump();
        let mut out = self.switch_view(v);
        self.stage_sel = self.views[v]
            .stages
            .iter()
            .position(|s| *s == ix)
            .map_or(0, |k| k + 1);
        self.owner = super::OwnerMode::All;
        self.owner_name = None;
        self.filter.clear();
        let back = self
            .keymap
            .first_key(crate::keys::Mode::Normal, Action::Back)
            .unwrap_or("<");
        self.set_status(
            format!(
                "{}: the records in it now ({back} goes back to the Audit)",
                stage.1
            ),
            false,
        );
        out.extend(self.reset_query());
        out
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
        self.audit = Some(report);
        self.audit_error = None;
        self.audit_computing = false;
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
