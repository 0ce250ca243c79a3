//! Enter in the Audit view opens the records behind the row under the
//! cursor: a stage's records now (stage table, medians), those with no
//! owner action (the stage table's NO OWNER column), those with a breach
//! explained by a reason, those that left a stage before Active Care. The
//! last three are the filter terms `noaction:yes`, `reason:CODE` and
//! `exited:STAGE`, whose records come from the audit that counted them.
//! `<` comes back to the Audit.

use super::App;
use super::audit_nav::exits_in_order;
use super::service::Request;
use super::views::{ViewDef, ViewKind};
use crate::domain::StageIx;
use crate::keys::Action;

/// What a drill-down opens.
enum Target {
    /// A stage's records now; with `noaction`, only those whose owner has
    /// not acted.
    Stage { id: String, noaction: bool },
    /// Records anywhere, by a filter the audit answers.
    Anywhere { filter: String, what: String },
    /// Nothing to open, and why.
    Gone(String),
}

impl App {
    /// Enter in the Audit view.
    pub(super) fn drill_down(&mut self) -> Vec<Request> {
        let Some(target) = self.drill_target() else {
            return Vec::new();
        };
        match target {
            Target::Stage { id, noaction } => self.open_stage(&id, noaction),
            Target::Anywhere { filter, what } => self.open_anywhere(filter, what),
            Target::Gone(why) => {
                self.set_status(why, true);
                Vec::new()
            }
        }
    }

    fn drill_target(&self) -> Option<Target> {
        let r = self.audit.as_ref()?;
        let nav = &self.audit_nav;
        let row = nav.cursors[nav.focus];
        Some(match nav.focus {
            0 => Target::Stage {
                id: r.stages.get(row)?.stage.clone(),
                noaction: nav.column == 1,
            },
            1 => Target::Stage {
                id: r
                    .stages
                    .iter()
                    .filter(|s| !s.terminal)
                    .nth(row)?
                    .stage
                    .clone(),
                noaction: false,
            },
            2 => {
                let x = r.breaches_by_reason.get(row)?;
                if x.label.is_none() {
                    // A code the pipeline no longer has: no filter names it.
                    return Some(Target::Gone(format!(
                        "the reason `{}` is no longer in the pipeline: its records cannot be listed",
                        x.reason
                    )));
                }
                let label = x.label.clone().unwrap_or_else(|| x.reason.clone());
                Target::Anywhere {
                    filter: format!("reason:{}", x.reason),
                    what: format!("breached, reason: {label}"),
                }
            }
            _ => {
                let x = *exits_in_order(r).get(row)?;
                if self.pipeline.stage_ix(&x.stage).is_none() {
                    return Some(Target::Gone(format!(
                        "{} is no longer a stage: the records that left it cannot be listed",
                        x.name
                    )));
                }
                Target::Anywhere {
                    filter: format!("exited:{}", x.stage),
                    what: format!("left {} before {}", x.name, self.active_care_name()),
                }
            }
        })
    }

    fn active_care_name(&self) -> String {
        self.pipeline
            .phases
            .iter()
            .find(|ph| ph.active_care)
            .map_or("active care".into(), |ph| ph.name.clone())
    }

    fn back_key(&self) -> String {
        self.keymap
            .first_key(crate::keys::Mode::Normal, Action::Back)
            .unwrap_or("<")
            .to_string()
    }

    /// The records in stage `id` now (with `noaction`, those whose owner
    /// has not acted), in the phase view that shows it.
    fn open_stage(&mut self, id: &str, noaction: bool) -> Vec<Request> {
        let p = self.pipeline.clone();
        let Some(ix) = p.stage_ix(id) else {
            self.set_status(format!("{id} is no longer a stage"), true);
            return Vec::new();
        };
        let name = p.stage(ix).name.clone();
        let Some(v) = self
            .views
            .iter()
            .position(|v| matches!(v.kind, ViewKind::Phase(_)) && v.stages.contains(&ix))
        else {
            self.set_status(format!("no view shows {name}"), true);
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
        self.filter = if noaction {
            "noaction:yes".into()
        } else {
            String::new()
        };
        let what = if noaction {
            "the records in it now with no owner action"
        } else {
            "the records in it now"
        };
        let back = self.back_key();
        self.set_status(
            format!("{name}: {what} ({back} goes back to the Audit)"),
            false,
        );
        out.extend(self.reset_query());
        out
    }

    /// Records wherever they are now, by `filter`, in the Found view
    /// (every stage).
    fn open_anywhere(&mut self, filter: String, what: String) -> Vec<Request> {
        let v = self.found_view();
        self.push_jump();
        let mut out = self.switch_view(v);
        self.owner = super::OwnerMode::All;
        self.owner_name = None;
        self.filter = filter;
        let back = self.back_key();
        self.set_status(
            format!("{what}: every such record, in any stage now ({back} goes back to the Audit)"),
            false,
        );
        out.extend(self.reset_query());
        out
    }

    /// The view of every stage, made on the first drill-down that needs it.
    fn found_view(&mut self) -> usize {
        if let Some(v) = self.views.iter().position(|v| v.kind == ViewKind::Found) {
            return v;
        }
        let all: Vec<StageIx> = self.pipeline.stage_ids().map(|(i, _)| i).collect();
        self.views.push(ViewDef {
            kind: ViewKind::Found,
            title: "Found".into(),
            stages: all,
            owned_by: None,
            empty: Some("No record now is among those the audit counted.".into()),
            saved: None,
        });
        self.views.len() - 1
    }
}
