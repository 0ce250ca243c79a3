//! Count prefixes, as vim, less and tig have them: `5j` moves five rows,
//! `3` PgDn three pages. Digits open views by default (`view_1` = "1"), so
//! a count needs digits no key binds: rebind the views (for instance to
//! F1–F12) and the digits count. Only the moving keys take a count; any
//! other key forgets it.

use super::App;
use super::service::Request;
use super::views::ViewKind;
use crate::keys::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The largest count kept (a held key cannot run away).
const MAX: u32 = 9999;

impl App {
    /// A key bound to nothing: a digit adds to the count, anything else
    /// forgets it.
    pub(super) fn on_count_digit(&mut self, key: &KeyEvent) -> Vec<Request> {
        let digit = match key.code {
            KeyCode::Char(c) if key.modifiers.difference(KeyModifiers::SHIFT).is_empty() => {
                c.to_digit(10)
            }
            _ => None,
        };
        match digit {
            // A leading 0 is no count.
            Some(0) if self.count.is_none() => self.count = None,
            Some(d) => {
                let n = self.count.unwrap_or(0).saturating_mul(10).saturating_add(d);
                self.count = Some(n.min(MAX));
                self.set_status(format!("count {}…", n.min(MAX)), false);
            }
            None => self.count = None,
        }
        Vec::new()
    }

    /// Action `a`, `n` times where it moves (n is 1 without a count).
    pub(super) fn on_counted(&mut self, a: Action, n: u32) -> Vec<Request> {
        let n = i64::from(n.max(1));
        let page = self.height.max(1) as i64;
        // The queue's own rows: one jump, so a page is read once.
        let queue = !(self.detail_open && self.full_view)
            && self.current().kind != ViewKind::Audit
            && !(self.group_nav.focus && self.current().kind == ViewKind::Breaches);
        match a {
            _ if n == 1 => self.on_action(a),
            Action::Down if queue => self.select_by(n),
            Action::Up if queue => self.select_by(-n),
            Action::PageDown if queue => self.select_by(n * page),
            Action::PageUp if queue => self.select_by(-n * page),
            // Elsewhere (the record view, the Audit's panels, the Breaches
            // groups, the pane) the key, n times.
            Action::Down
            | Action::Up
            | Action::PageDown
            | Action::PageUp
            | Action::DetailDown
            | Action::DetailUp => {
                let mut out = Vec::new();
                for _ in 0..n.min(i64::from(MAX)) {
                    out.extend(self.on_action(a));
                }
                out
            }
            // Everything else happens once.
            _ => self.on_action(a),
        }
    }
}
