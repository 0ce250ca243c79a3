//! What the queue shows, as a store filter: the view's stages (or the
//! one selected), the owning roles of a view of the user's own records,
//! the owner mode, the Breaches view's attention filter, and the typed
//! filter's terms on top.

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

    /// The filter as read: what applies, and the terms left out; the
    /// audit's terms (`noaction:`, `reason:`, `exited:`) read from the
    /// latest audit, when there is one.
    pub fn terms(&self) -> crate::ops::filter_expr::Terms {
        let mut t = crate::ops::filter_expr::parse(&self.pipeline, &self.user.name, &self.filter);
        if let Some(a) = &self.audit {
            t.resolve(&self.pipeline, &a.drill);
        }
        t
    }

    /// The typed filter needs an audit that is not here yet.
    pub fn filter_awaits_audit(&self) -> bool {
        self.audit.is_none()
            && crate::ops::filter_expr::parse(&self.pipeline, &self.user.name, &self.filter)
                .needs_audit()
    }

    pub fn list_filter(&self) -> ListFilter {
        let mut f = self.view_filter();
        let terms = self.terms();
        terms.apply(&mut f);
        // In a view of the user's own records a `role:` term narrows to
        // those of its roles the user holds; it never widens the view.
        if let Some(mine) = &self.current().owned_by
            && !terms.roles.is_empty()
        {
            let roles: Vec<String> = mine
                .iter()
                .filter(|r| terms.roles.contains(r))
                .cloned()
                .collect();
            self.own_records(&mut f, &roles);
        }
        f
    }

    /// Narrows `f` to records owned by one of `roles`: handed to one, or in
    /// a stage one owns and handed to no other role. No roles, no records.
    fn own_records(&self, f: &mut ListFilter, roles: &[String]) {
        let p = &self.pipeline;
        if roles.is_empty() {
            f.stages = Some(Vec::new());
        }
        f.role_stages = p
            .stages
            .iter()
            .filter(|s| s.owner.is_some_and(|o| roles.contains(&p.role(o).id)))
            .map(|s| s.id.clone())
            .collect();
        f.roles = roles.to_vec();
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
        let mut f = ListFilter {
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
            ..Default::default()
        };
        if let Some(roles) = &self.current().owned_by {
            self.own_records(&mut f, roles);
        }
        f
    }
}
