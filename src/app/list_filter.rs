//! What the queue shows, as a store filter: the view's stages (or the
//! one selected), the owner mode, the Breaches view's attention filter,
//! and the typed filter's terms on top.

use super::views::ViewKind;
use super::{App, OwnerMode};
use crate::store::{ListFilter, OwnerFilter, SlaFilter};

impl App {
    /// Stages the table shows now: the selected one, or all of the view's.
    pub fn active_stages(&self) -> Vec<String> {
        let v = self.current();
        let p = &self.pipeline;
        match self.stage_sel.checked_sub(1).and_then(|i| v.stages.get(i)) {
            Some(s) => vec![p.stage(*s).id.clone()],
            None => v.stages.iter().map(|s| p.stage(*s).id.clone()).collect(),
        }
    }

    /// The filter as read: what applies, and the terms left out.
    pub fn terms(&self) -> crate::ops::filter_expr::Terms {
        crate::ops::filter_expr::parse(&self.pipeline, &self.user.name, &self.filter)
    }

    pub fn list_filter(&self) -> ListFilter {
        let mut f = self.view_filter();
        self.terms().apply(&mut f);
        f
    }

    /// The filter the board counts under: the queue's, over all of the
    /// view's stages; None where the kept counts say the same (no owner
    /// mode, no typed filter).
    pub fn board_filter(&self) -> Option<ListFilter> {
        let f = self.list_filter();
        let narrowed = f.owner != OwnerFilter::Any || !self.filter.trim().is_empty();
        let v = self.current();
        (narrowed && v.kind != ViewKind::Audit).then(|| ListFilter {
            stages: Some(
                v.stages
                    .iter()
                    .map(|s| self.pipeline.stage(*s).id.clone())
                    .collect(),
            ),
            notified: Vec::new(),
            ..f
        })
    }

    /// What the view and owner mode select, before the typed filter.
    fn view_filter(&self) -> ListFilter {
        let me = self.user.name.clone();
        ListFilter {
            stages: Some(self.active_stages()),
            owner: match self.owner {
                OwnerMode::All if self.owner_name.is_some() => {
                    OwnerFilter::User(self.owner_name.clone().unwrap_or_default())
                }
                OwnerMode::All => OwnerFilter::Any,
                OwnerMode::Mine => OwnerFilter::User(me),
                OwnerMode::Unassigned => OwnerFilter::Unassigned,
                OwnerMode::MineOrUnassigned => OwnerFilter::UserOrUnassigned(me),
            },
            sla: if self.current().kind == ViewKind::Breaches {
                SlaFilter::Attention
            } else {
                SlaFilter::Any
            },
            sort: self.sort,
            notified: if self.current().kind == ViewKind::MyQueue && self.stage_sel == 0 {
                self.user.roles.clone()
            } else {
                Vec::new()
            },
            ..Default::default()
        }
    }
}
