//! Saved views: `:save NAME` keeps the current view's filter, order, owner
//! mode, stage and columns (`:columns`) under a name of the user's; the saved views are listed
//! after the built-in ones and open with `:view NAME` (or their number);
//! `:view delete NAME` removes one.

use super::service::Request;
use super::{App, OwnerMode};
use crate::store::Sort;
use crate::store::views::SavedView;

impl OwnerMode {
    /// The mode as a saved view stores it.
    pub fn id(self) -> &'static str {
        match self {
            OwnerMode::All => "all",
            OwnerMode::MineOrUnassigned => "mine_or_unassigned",
            OwnerMode::Mine => "mine",
            OwnerMode::Unassigned => "unassigned",
        }
    }

    pub fn from_id(s: &str) -> Option<OwnerMode> {
        [
            OwnerMode::All,
            OwnerMode::MineOrUnassigned,
            OwnerMode::Mine,
            OwnerMode::Unassigned,
        ]
        .into_iter()
        .find(|m| m.id() == s)
    }
}

impl App {
    /// How many views are built in (the saved ones follow).
    pub fn builtin_views(&self) -> usize {
        self.views.iter().take_while(|v| v.saved.is_none()).count()
    }

    /// The user's saved views, as read from the database: listed after the
    /// built-in views; the view shown stays shown if it still exists.
    pub(super) fn on_saved_views(&mut self, saved: Vec<SavedView>) -> bool {
        let shown = self.current().title.clone();
        let n = self.builtin_views();
        self.views.truncate(n);
        for v in saved {
            let Some(base) = self.views[..n]
                .iter()
                .find(|b| b.title.eq_ignore_ascii_case(&v.base))
                .cloned()
            else {
                continue;
            };
            self.views.push(super::views::ViewDef {
                title: v.name.clone(),
                saved: Some(Box::new(v)),
                ..base
            });
        }
        match self.views.iter().position(|v| v.title == shown) {
            Some(i) => {
                self.view = i;
                false
            }
            None => {
                self.view = 0;
                true
            }
        }
    }

    /// `:save NAME`: the current view, filter, order, owner mode and stage.
    pub(super) fn command_save(&mut self, name: &str) -> Vec<Request> {
        let name = name.trim();
        if name.is_empty() {
            return self.command_error(":save needs a name, e.g. `:save breached TX`");
        }
        let n = self.builtin_views();
        if self.views[..n]
            .iter()
            .any(|v| v.title.eq_ignore_ascii_case(name))
        {
            return self.command_error(&format!("`{name}` is a built-in view; pick another name"));
        }
        let cur = self.current();
        let base = cur
            .saved
            .as_ref()
            .map_or(cur.title.clone(), |s| s.base.clone());
        let stage = self.stage_sel.checked_sub(1).and_then(|i| {
            cur.stages
                .get(i)
                .map(|s| self.pipeline.stage(*s).id.clone())
        });
        let owner = match &self.owner_name {
            Some(u) => format!("user:{u}"),
            None => self.owner.id().to_string(),
        };
        vec![Request::SaveView(SavedView {
            name: name.to_string(),
            base,
            stage,
            filter: self.filter.clone(),
            sort: self.sort.text(),
            owner,
            columns: self.columns_text(),
        })]
    }

    /// `:view delete NAME`.
    pub(super) fn command_delete_view(&mut self, name: &str) -> Vec<Request> {
        let name = name.trim();
        match self
            .views
            .iter()
            .find(|v| v.title.eq_ignore_ascii_case(name))
        {
            Some(v) if v.saved.is_some() => vec![Request::DeleteView(v.title.clone())],
            Some(_) => self.command_error(&format!("`{name}` is built in; it cannot be deleted")),
            None => self.command_error(&format!("you have no saved view `{name}`")),
        }
    }

    /// Entering a view: a saved one sets its filter, order, owner mode,
    /// stage and columns; leaving one puts them back to the defaults.
    pub(super) fn apply_saved(&mut self, left_saved: bool) {
        let Some(v) = self.current().saved.clone() else {
            if left_saved {
                self.filter.clear();
                self.sort = Sort::default();
                self.owner_name = None;
                self.columns = self.configured_columns.clone();
            }
            return;
        };
        // Columns the configuration no longer allows: the configured ones.
        self.columns = super::settings::parse_columns(&v.columns)
            .unwrap_or_else(|_| self.configured_columns.clone());
        self.filter = v.filter.clone();
        self.sort = Sort::parse(&v.sort).unwrap_or_default();
        self.owner_name = v.owner.strip_prefix("user:").map(str::to_string);
        self.owner = OwnerMode::from_id(&v.owner).unwrap_or(OwnerMode::All);
        self.stage_sel = v
            .stage
            .as_deref()
            .and_then(|st| {
                self.current()
                    .stages
                    .iter()
                    .position(|s| self.pipeline.stage(*s).id == st)
            })
            .map_or(0, |i| i + 1);
    }
}

/// Where the last session of this user on this database left off.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resume {
    pub view: String,
    pub owner: String,
}

impl App {
    /// What to remember when the console closes.
    pub fn resume_point(&self) -> Resume {
        Resume {
            view: self.current().title.clone(),
            owner: self.owner.id().to_string(),
        }
    }

    /// At start: the last session's view, if it is a built-in one (a saved
    /// one opens once the saved views are read).
    pub(super) fn resume_builtin(&mut self) {
        let Some(r) = self.resume.clone() else {
            return;
        };
        let Some(i) = self.views.iter().position(|v| v.title == r.view) else {
            return;
        };
        self.resume = None;
        self.view = i;
        self.owner = OwnerMode::from_id(&r.owner).unwrap_or(self.default_owner());
    }

    /// Opens where the last session left off once its view exists (a saved
    /// view exists once the saved views are read).
    pub(super) fn try_resume(&mut self) -> Vec<Request> {
        let Some(r) = self.resume.clone() else {
            return Vec::new();
        };
        let Some(i) = self.views.iter().position(|v| v.title == r.view) else {
            return Vec::new();
        };
        self.resume = None;
        let mut out = if i == self.view {
            Vec::new()
        } else {
            self.switch_view(i)
        };
        if let Some(mode) = OwnerMode::from_id(&r.owner)
            && mode != self.owner
            && self.current().saved.is_none()
        {
            self.owner = mode;
            out.extend(self.reset_query());
        }
        out
    }
}
