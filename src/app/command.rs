//! The `:` command line: `:go ID`, `:view NAME`, `:stage ID`, `:owner
//! NAME|me|none|all`, `:sort KEY [asc|desc]`, `:filter EXPR`, `:mark EXPR`,
//! `:q`, with Tab completion and the session's history on the up and down
//! keys.

use super::popup::{Popup, Purpose};
use super::service::Request;
use super::{App, OwnerMode};
use crate::keys::Command;

/// Longest run of characters every one of `words` starts with.
fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut n = first.chars().count();
    for w in &words[1..] {
        n = n.min(
            first
                .chars()
                .zip(w.chars())
                .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
                .count(),
        );
    }
    first.chars().take(n).collect()
}

impl App {
    pub(super) fn open_command(&mut self) -> Vec<Request> {
        self.history_at = self.history.len();
        self.popup = Some(Popup::input(Purpose::Command, ":", ""));
        Vec::new()
    }

    /// What the command line could complete `text` to, and the candidates.
    pub fn complete(&self, text: &str) -> (String, Vec<String>) {
        let (head, arg) = match text.split_once(' ') {
            Some((h, a)) => (h, Some(a)),
            None => (text, None),
        };
        let Some(arg) = arg else {
            let words: Vec<String> = Command::ALL
                .iter()
                .map(|c| c.as_str().to_string())
                .chain(self.aliases.keys().cloned())
                .filter(|c| c.starts_with(head))
                .collect();
            let done = match words.as_slice() {
                [one] => format!("{one} "),
                _ => common_prefix(&words),
            };
            return (if done.is_empty() { text.into() } else { done }, words);
        };
        let options: Vec<String> = match head {
            "view" => self.views.iter().map(|v| v.title.clone()).collect(),
            "stage" => self
                .pipeline
                .stages
                .iter()
                .filter(|s| !s.terminal)
                .map(|s| s.id.clone())
                .collect(),
            "sort" => crate::store::SortKey::ALL
                .iter()
                .flat_map(|k| [format!("{} asc", k.id()), format!("{} desc", k.id())])
                .collect(),
            "columns" => crate::config::Column::ALL
                .iter()
                .map(|c| c.id().to_string())
                .chain(["default".to_string()])
                .collect(),
            "owner" => ["me", "none", "all"]
                .iter()
                .map(|s| s.to_string())
                .chain(self.team.iter().map(|u| u.name.clone()))
                .collect(),
            _ => Vec::new(),
        };
        let lower = arg.to_lowercase();
        let words: Vec<String> = options
            .into_iter()
            .filter(|o| o.to_lowercase().starts_with(&lower))
            .collect();
        let done = match words.as_slice() {
            [one] => one.clone(),
            _ => common_prefix(&words),
        };
        if done.chars().count() > arg.chars().count() {
            (format!("{head} {done}"), words)
        } else {
            (text.into(), words)
        }
    }

    /// Up and down in the command line: the session's earlier commands.
    pub(super) fn history_step(&mut self, back: bool) -> Option<String> {
        if back {
            self.history_at = self.history_at.checked_sub(1)?;
        } else {
            self.history_at = (self.history_at + 1).min(self.history.len());
        }
        Some(
            self.history
                .get(self.history_at)
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// Runs one command line.
    pub(super) fn run_command(&mut self, line: String) -> Vec<Request> {
        let line = line.trim().trim_start_matches(':').trim().to_string();
        if line.is_empty() {
            return Vec::new();
        }
        if self.history.last() != Some(&line) {
            self.history.push(line.clone());
        }
        let (cmd, arg) = match line.split_once(' ') {
            Some((c, a)) => (c, a.trim()),
            None => (line.as_str(), ""),
        };
        let Ok(command) = cmd.parse::<Command>() else {
            if self.aliases.contains_key(cmd) {
                return self.run_alias(cmd).unwrap_or_default();
            }
            let known: Vec<&str> = Command::ALL.iter().map(|c| c.as_str()).collect();
            return self.command_error(&format!(
                "unknown command `:{cmd}` (commands: {})",
                known.join(", ")
            ));
        };
        match command {
            Command::Quit => {
                self.quit = true;
                Vec::new()
            }
            Command::Go => match arg.trim_start_matches('#').parse::<i64>() {
                Ok(id) => {
                    // Until the record is found and its rows read, the
                    // rows on screen are not the ones asked for: an action
                    // key typed right after `:go` must not act on them.
                    self.rows_outdated = true;
                    self.locating = true;
                    vec![Request::Locate(id)]
                }
                Err(_) => self.command_error(":go needs a record id, e.g. `:go 265`"),
            },
            Command::View => match arg.split_once(' ') {
                Some(("delete", name)) => self.command_delete_view(name),
                _ => self.command_view(arg),
            },
            Command::Save => self.command_save(arg),
            Command::Columns => self.command_columns(arg),
            Command::Stage => self.command_stage(arg),
            Command::Owner => self.command_owner(arg),
            Command::Filter => {
                self.filter = arg.to_string();
                self.report_filter();
                self.reset_query()
            }
            Command::Sort => match crate::store::Sort::parse(arg) {
                Ok(sort) => {
                    self.sort = sort;
                    self.set_status(format!("sorted {}", sort.title()), false);
                    self.reset_query()
                }
                Err(e) => self.command_error(&format!(":sort {e}")),
            },
            Command::Mark => {
                let mut terms =
                    crate::ops::filter_expr::parse(&self.pipeline, &self.user.name, arg);
                if let Some(e) = terms.errors.first() {
                    return self.command_error(&format!(":mark {e}"));
                }
                match &self.audit {
                    Some(a) => terms.resolve(&self.pipeline, &a.drill),
                    None if terms.needs_audit() => {
                        let mut out = self.command_error(
                            ":mark with noaction:, reason: or exited: needs the audit: computing it, try again when it is in",
                        );
                        out.extend(self.audit_request());
                        return out;
                    }
                    None => {}
                }
                let mut f = self.list_filter();
                terms.apply(&mut f);
                f.limit = Some(super::marks::MAX_MARKS);
                vec![Request::MarkAll(f)]
            }
        }
    }

    pub(super) fn command_error(&mut self, text: &str) -> Vec<Request> {
        self.set_status(text, true);
        Vec::new()
    }

    fn command_view(&mut self, arg: &str) -> Vec<Request> {
        let lower = arg.to_lowercase();
        let by_number = arg
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .filter(|i| *i < self.views.len());
        let found = by_number.or_else(|| {
            self.views
                .iter()
                .position(|v| v.title.to_lowercase() == lower)
                .or_else(|| {
                    self.views
                        .iter()
                        .position(|v| v.title.to_lowercase().starts_with(&lower))
                })
        });
        match found {
            Some(i) if !arg.is_empty() => self.switch_view(i),
            _ => self.command_error(&format!("no view `{arg}`")),
        }
    }

    fn command_stage(&mut self, arg: &str) -> Vec<Request> {
        let p = self.pipeline.clone();
        let lower = arg.to_lowercase();
        let Some(ix) = p.stage_ix(arg).or_else(|| {
            p.stage_ids()
                .find(|(_, s)| s.name.to_lowercase() == lower)
                .map(|(ix, _)| ix)
        }) else {
            return self.command_error(&format!("no stage `{arg}`"));
        };
        // This view's stage if it has it, else the phase view that does.
        let mut out = Vec::new();
        if !self.current().stages.contains(&ix)
            && let Some(v) = self.views.iter().position(|v| v.stages.contains(&ix))
        {
            out.extend(self.switch_view(v));
        }
        match self.current().stages.iter().position(|s| *s == ix) {
            Some(i) => {
                self.stage_sel = i + 1;
                out.extend(self.reset_query());
                out
            }
            None => self.command_error(&format!("no view shows stage `{arg}`")),
        }
    }

    fn command_owner(&mut self, arg: &str) -> Vec<Request> {
        self.owner_name = None;
        self.owner = match arg {
            "me" | "mine" => OwnerMode::Mine,
            "none" | "unassigned" => OwnerMode::Unassigned,
            "all" | "" => OwnerMode::All,
            name => {
                if !self.team.iter().any(|u| u.name == name) {
                    return self.command_error(&format!("no user `{name}`"));
                }
                self.owner_name = Some(name.to_string());
                OwnerMode::All
            }
        };
        self.set_status(format!("owner filter: {}", self.owner_label()), false);
        self.reset_query()
    }

    /// The owner filter as shown: a named owner, or the mode.
    pub fn owner_label(&self) -> String {
        match &self.owner_name {
            Some(n) => n.clone(),
            None => self.owner.label().to_string(),
        }
    }

    /// A record located by `:go`: shown in the view that has its stage,
    /// filtered to it, with its detail open.
    pub(super) fn on_located(&mut self, r: Option<Box<crate::engine::Record>>) -> Vec<Request> {
        self.locating = false;
        let Some(r) = r else {
            // Nothing moved: the rows on screen are the ones asked for.
            self.rows_outdated = false;
            return self.command_error("no such record");
        };
        let Some(ix) = self.pipeline.stage_ix(&r.stage) else {
            self.rows_outdated = false;
            return self.command_error(&format!("record {} is in an unknown stage", r.id));
        };
        self.push_jump();
        let mut out = Vec::new();
        if let Some(v) = self.views.iter().position(|v| v.stages.contains(&ix)) {
            out.extend(self.switch_view(v));
        }
        self.owner = OwnerMode::All;
        self.owner_name = None;
        self.filter = r.id.to_string();
        self.detail_open = true;
        self.pane = Some(r.id);
        self.pane_top = 0;
        self.set_status(
            format!("record {}: filter `{}` (esc clears)", r.id, r.id),
            false,
        );
        out.extend(self.reset_query());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn the_common_prefix_of_candidates() {
        let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            common_prefix(&w(&["intake_review", "intake_complete"])),
            "intake_"
        );
        assert_eq!(common_prefix(&w(&["go"])), "go");
        assert_eq!(common_prefix(&w(&[])), "");
    }
}
