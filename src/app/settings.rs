//! The user's configuration in the console: keys, aliases, columns, mouse.

use super::App;
use super::service::Request;
use crate::config::{Column, Config};

impl App {
    pub fn configure(&mut self, c: &Config) {
        self.keymap = c.keymap.clone();
        self.aliases = c.aliases.clone();
        self.columns = c.columns.clone();
        self.configured_columns = c.columns.clone();
        self.mouse = c.mouse;
    }

    /// `:NAME` for an alias: its filter, applied.
    pub(super) fn run_alias(&mut self, name: &str) -> Option<Vec<Request>> {
        let expr = self.aliases.get(name)?.clone();
        self.filter = expr;
        self.report_filter();
        Some(self.reset_query())
    }

    /// The queue's columns, as configured.
    pub fn shows(&self, c: Column) -> bool {
        self.columns.contains(&c)
    }

    /// `:columns id,patient,sla` (commas or spaces), or `default`.
    pub(super) fn command_columns(&mut self, arg: &str) -> Vec<Request> {
        let arg = arg.trim();
        if arg.is_empty() || arg == "default" {
            self.columns = self.configured_columns.clone();
        } else {
            match parse_columns(arg) {
                Ok(cols) => self.columns = cols,
                Err(e) => return self.command_error(&e),
            }
        }
        let ids: Vec<&str> = self.columns.iter().map(|c| c.id()).collect();
        self.set_status(format!("columns: {}", ids.join(", ")), false);
        Vec::new()
    }

    /// The columns a saved view stores: empty when they are the configured ones.
    pub(super) fn columns_text(&self) -> String {
        if self.columns == self.configured_columns {
            return String::new();
        }
        let ids: Vec<&str> = self.columns.iter().map(|c| c.id()).collect();
        ids.join(",")
    }
}

/// Column ids, separated by commas or spaces: each known, none twice.
pub fn parse_columns(text: &str) -> Result<Vec<Column>, String> {
    let mut out = Vec::new();
    for id in text.split([',', ' ']).filter(|s| !s.is_empty()) {
        let Some(c) = Column::parse(id) else {
            let known: Vec<&str> = Column::ALL.iter().map(|c| c.id()).collect();
            return Err(format!(
                "no column `{}`: the columns are {}",
                crate::present::shown(id),
                known.join(", ")
            ));
        };
        if out.contains(&c) {
            return Err(format!("column `{id}` is named twice"));
        }
        out.push(c);
    }
    if out.is_empty() {
        return Err("name at least one column".into());
    }
    Ok(out)
}
