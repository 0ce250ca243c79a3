//! The Breaches view's groups (stage × owner): worst first, with a cursor
//! of their own. `switch_pane` moves the keys between the groups and the
//! records; the groups follow the selected stage and the selected record;
//! Enter on a group shows its records.

use super::App;
use super::service::Request;
use super::views::ViewKind;
use crate::domain::Pipeline;
use crate::engine::clock::from_unix;
use crate::store::BreachGroup;
use chrono::{DateTime, Utc};

/// Where the keys go in the Breaches view, and the groups' cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupNav {
    /// The keys move the groups' cursor (else the records').
    pub focus: bool,
    /// The group under the cursor, and the first one shown.
    pub sel: usize,
    pub top: usize,
    /// Groups the panel can show; set by the front end from the layout.
    pub rows: usize,
}

/// How far past due the group's worst record is, in the working time its
/// stage's SLA counts (as the SLA cells do); None when none is breached.
pub fn time_over(p: &Pipeline, g: &BreachGroup, now: DateTime<Utc>) -> Option<i64> {
    if g.breached == 0 || g.oldest_due > now.timestamp() {
        return None;
    }
    let over = p
        .stage_ix(&g.stage)
        .and_then(|s| p.stage(s).sla.as_ref())
        .map_or(now.timestamp() - g.oldest_due, |sla| {
            -p.calendar(sla)
                .working_seconds(now, from_unix(g.oldest_due))
        });
    Some(over.max(0))
}

/// Worst first: the longest time over, then the most breached, then the
/// most at risk; groups with nothing breached after, soonest due first.
pub fn sort_worst_first(p: &Pipeline, groups: &mut [BreachGroup], now: DateTime<Utc>) {
    let stage_at = |g: &BreachGroup| p.stage_ix(&g.stage).map_or(usize::MAX, |s| s.0);
    groups.sort_by_cached_key(|g| {
        let over = time_over(p, g, now);
        (
            over.is_none(),
            std::cmp::Reverse(over.unwrap_or(0)),
            std::cmp::Reverse(g.breached),
            std::cmp::Reverse(g.at_risk),
            g.oldest_due,
            stage_at(g),
            g.owner.clone(),
        )
    });
}

/// The first group to show so that `sel` is on screen, moving as little
/// as possible from `top`.
pub fn window(sel: usize, top: usize, rows: usize, n: usize) -> usize {
    let rows = rows.max(1);
    let top = if sel < top {
        sel
    } else if sel >= top + rows {
        sel + 1 - rows
    } else {
        top
    };
    top.min(n.saturating_sub(rows))
}

impl App {
    /// The group the selected record belongs to.
    pub fn record_group(&self) -> Option<usize> {
        let r = self.selected_record()?;
        self.groups
            .iter()
            .position(|g| g.stage == r.stage && g.owner == r.assignee)
    }

    /// The group to highlight: the cursor's while the keys are on the
    /// groups, else the selected record's.
    pub fn shown_group(&self) -> Option<usize> {
        if self.group_nav.focus {
            (self.group_nav.sel < self.groups.len()).then_some(self.group_nav.sel)
        } else {
            self.record_group()
        }
    }

    /// New groups from the worker: sorted, the cursor kept on its group.
    pub(super) fn on_groups(&mut self, mut groups: Vec<BreachGroup>) {
        let was = self
            .groups
            .get(self.group_nav.sel)
            .map(|g| (g.stage.clone(), g.owner.clone()));
        sort_worst_first(&self.pipeline, &mut groups, self.now);
        self.groups = groups;
        let n = self.groups.len();
        self.group_nav.sel = was
            .and_then(|(s, o)| {
                self.groups
                    .iter()
                    .position(|g| g.stage == s && g.owner == o)
            })
            .unwrap_or(self.group_nav.sel)
            .min(n.saturating_sub(1));
        self.follow_group();
    }

    /// Keeps the highlighted group on screen.
    pub(super) fn follow_group(&mut self) {
        let nav = &mut self.group_nav;
        let sel = if nav.focus {
            Some(nav.sel)
        } else {
            self.groups.iter().position(|g| {
                self.page
                    .rows
                    .get(self.selected.wrapping_sub(self.page.start))
                    .is_some_and(|r| g.stage == r.stage && g.owner == r.assignee)
            })
        };
        if let Some(sel) = sel {
            nav.top = window(sel, nav.top, nav.rows, self.groups.len());
        }
    }

    /// A stage chosen on the board: the groups' cursor goes to its worst.
    pub(super) fn groups_follow_stage(&mut self) {
        let stages = self.active_stages();
        if stages.len() != 1 {
            return;
        }
        if let Some(i) = self.groups.iter().position(|g| g.stage == stages[0]) {
            self.group_nav.sel = i;
            let nav = &mut self.group_nav;
            // The stage's first group at the top, where the eye goes.
            nav.top = window(i, i, nav.rows, self.groups.len());
        }
    }

    /// `switch_pane`: the keys go to the groups, or back to the records.
    pub(super) fn switch_pane(&mut self) -> Vec<Request> {
        if self.current().kind != ViewKind::Breaches {
            self.set_status("only the Breaches view has a second pane", true);
            return Vec::new();
        }
        if self.groups.is_empty() && !self.group_nav.focus {
            self.set_status("no breached or at-risk groups", false);
            return Vec::new();
        }
        self.group_nav.focus = !self.group_nav.focus;
        if self.group_nav.focus {
            if let Some(i) = self.record_group() {
                self.group_nav.sel = i;
            }
            self.set_status(
                "keys move through the groups · enter shows a group's records",
                false,
            );
        } else {
            self.set_status("keys move through the records", false);
        }
        self.follow_group();
        Vec::new()
    }

    /// The groups' cursor moved by `delta` (clamped).
    pub(super) fn group_by(&mut self, delta: i64) -> Vec<Request> {
        let n = self.groups.len();
        if n == 0 {
            return Vec::new();
        }
        let sel = (self.group_nav.sel as i64 + delta).clamp(0, n as i64 - 1) as usize;
        self.group_nav.sel = sel;
        self.follow_group();
        Vec::new()
    }

    /// Enter on a group: the list shows that stage and owner, and the keys
    /// go back to the records.
    pub(super) fn open_group(&mut self, i: usize) -> Vec<Request> {
        let Some(g) = self.groups.get(i).cloned() else {
            return Vec::new();
        };
        let Some(pos) = self
            .current()
            .stages
            .iter()
            .position(|s| self.pipeline.stage(*s).id == g.stage)
        else {
            self.set_status(format!("stage {} is not in this view", g.stage), true);
            return Vec::new();
        };
        self.push_jump();
        self.group_nav.sel = i;
        self.group_nav.focus = false;
        self.stage_sel = pos + 1;
        self.owner = super::OwnerMode::All;
        self.owner_name = None;
        self.filter = match &g.owner {
            Some(u) => format!("owner:{u}"),
            None => "owner:none".into(),
        };
        let owner = crate::present::group_owner_label(&self.pipeline, &g.stage, g.owner.as_deref());
        self.set_status(
            format!(
                "{} · {owner}: {} breached, {} at risk",
                crate::present::stage_name(&self.pipeline, &g.stage),
                g.breached,
                g.at_risk
            ),
            false,
        );
        self.reset_query()
    }
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn the_window_moves_only_as_far_as_the_cursor_needs() {
        assert_eq!(window(0, 0, 5, 20), 0);
        assert_eq!(window(4, 0, 5, 20), 0);
        assert_eq!(window(5, 0, 5, 20), 1);
        assert_eq!(window(2, 4, 5, 20), 2);
        assert_eq!(window(19, 0, 5, 20), 15);
        // Never past the last full screen, even when asked.
        assert_eq!(window(3, 18, 5, 20), 3);
        assert_eq!(window(17, 18, 5, 20), 15);
        assert_eq!(window(0, 3, 5, 2), 0);
    }
}
