//! The user's configuration in the console: keys, aliases, columns, mouse.

use super::App;
use super::service::Request;
use crate::config::{Column, Config};

impl App {
    pub fn configure(&mut self, c: &Config) {
        self.keymap = c.keymap.clone();
        self.aliases = c.aliases.clone();
        self.columns = c.columns.clone();
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
}
