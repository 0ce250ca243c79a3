//! The console's views, derived from the pipeline and the acting user's
//! roles: one per phase, My Queue, Decisions, Breaches, Audit.

use crate::domain::{Pipeline, StageIx};
use crate::engine::User;
use crate::ops::supervises;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    Phase(usize),
    MyQueue,
    Decisions,
    Breaches,
    Audit,
}

#[derive(Debug, Clone)]
pub struct ViewDef {
    /// A saved view has the kind of the built-in view it narrows.
    pub kind: ViewKind,
    pub title: String,
    /// Stages shown in the stage strip and queried by the table.
    pub stages: Vec<StageIx>,
    /// The user's saved view this is, if it is one.
    pub saved: Option<Box<crate::store::views::SavedView>>,
}

/// Stages where the owner chooses between outcomes that hand the record to
/// different roles: the clinical decision points, found from the graph.
pub fn decision_stages(p: &Pipeline) -> Vec<StageIx> {
    let mut out: Vec<StageIx> = Vec::new();
    for (ix, s) in p.stage_ids() {
        if s.terminal {
            continue;
        }
        let mut owners: Vec<_> = p
            .transitions_from(ix)
            .filter(|(_, t)| !t.from_any && !p.stage(t.to).terminal)
            .map(|(_, t)| p.stage(t.to).owner)
            .collect();
        owners.sort();
        owners.dedup();
        if owners.len() >= 2 {
            out.push(ix);
        }
    }
    // The queue that feeds a decision point belongs with it (e.g. "pending").
    let points = out.clone();
    for (ix, s) in p.stage_ids() {
        let feeds = p
            .transitions_from(ix)
            .any(|(_, t)| !t.from_any && points.contains(&t.to) && p.stage(t.to).owner == s.owner);
        if feeds && !out.contains(&ix) {
            out.push(ix);
        }
    }
    out.sort();
    out
}

fn owned_by(p: &Pipeline, u: &User, stages: &[StageIx]) -> Vec<StageIx> {
    if supervises(p, u) {
        return stages.to_vec();
    }
    stages
        .iter()
        .copied()
        .filter(|s| p.stage(*s).owner.is_some_and(|o| u.has_role(&p.role(o).id)))
        .collect()
}

pub fn build(p: &Pipeline, u: &User) -> Vec<ViewDef> {
    let mut views: Vec<ViewDef> = p
        .phases
        .iter()
        .enumerate()
        .map(|(i, ph)| ViewDef {
            kind: ViewKind::Phase(i),
            title: ph.name.clone(),
            stages: ph.stages.clone(),
            saved: None,
        })
        .collect();
    let open: Vec<StageIx> = p
        .stage_ids()
        .filter(|(_, s)| !s.terminal)
        .map(|(i, _)| i)
        .collect();
    let mine = owned_by(p, u, &open);
    views.push(ViewDef {
        kind: ViewKind::MyQueue,
        title: "My Queue".into(),
        stages: if mine.is_empty() { open.clone() } else { mine },
        saved: None,
    });
    let decisions = decision_stages(p);
    let my_decisions = owned_by(p, u, &decisions);
    views.push(ViewDef {
        kind: ViewKind::Decisions,
        title: "Decisions".into(),
        stages: if my_decisions.is_empty() {
            decisions
        } else {
            my_decisions
        },
        saved: None,
    });
    views.push(ViewDef {
        kind: ViewKind::Breaches,
        title: "Breaches".into(),
        stages: open,
        saved: None,
    });
    views.push(ViewDef {
        kind: ViewKind::Audit,
        title: "Audit".into(),
        stages: Vec::new(),
        saved: None,
    });
    views
}

/// The view a user sees first: the `start_view` of their first role that
/// names one; else supervisors the breaches, decision makers their
/// decisions, everyone else their own queue.
pub fn first_view(p: &Pipeline, u: &User, views: &[ViewDef]) -> usize {
    let named = p
        .roles
        .iter()
        .filter(|r| u.has_role(&r.id))
        .find_map(|r| r.start_view.as_deref());
    let kind = |name: &str| match name {
        "my_queue" => Some(ViewKind::MyQueue),
        "decisions" => Some(ViewKind::Decisions),
        "breaches" => Some(ViewKind::Breaches),
        "audit" => Some(ViewKind::Audit),
        phase => p
            .phases
            .iter()
            .position(|ph| ph.id == phase)
            .map(ViewKind::Phase),
    };
    if let Some(i) = named
        .and_then(kind)
        .and_then(|k| views.iter().position(|v| v.kind == k))
    {
        return i;
    }
    let want = if supervises(p, u) {
        ViewKind::Breaches
    } else if !owned_by(p, u, &decision_stages(p)).is_empty() {
        ViewKind::Decisions
    } else {
        ViewKind::MyQueue
    };
    views.iter().position(|v| v.kind == want).unwrap_or(0)
}
