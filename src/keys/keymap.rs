//! Key bindings as data: the configuration's `[keys.normal]` and
//! `[keys.popup]` over the defaults in `assets/config.toml` (see
//! `config`), so the footer and the help panel are generated from the
//! bindings themselves. Digits are bindings too (`view_1` = "1").

use super::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Popup,
}

#[derive(Debug, Clone)]
pub struct Keymap {
    /// (key text, action), in file order, per mode.
    normal: Vec<(String, Action)>,
    popup: Vec<(String, Action)>,
}

impl Keymap {
    pub fn empty() -> Keymap {
        Keymap {
            normal: Vec::new(),
            popup: Vec::new(),
        }
    }

    /// One mode's bindings (`popup`: pickers and prompts).
    pub fn table(&self, popup: bool) -> &[(String, Action)] {
        if popup { &self.popup } else { &self.normal }
    }

    pub fn set_table(&mut self, popup: bool, bindings: Vec<(String, Action)>) {
        if popup {
            self.popup = bindings;
        } else {
            self.normal = bindings;
        }
    }

    fn of(&self, mode: Mode) -> &[(String, Action)] {
        match mode {
            Mode::Normal => &self.normal,
            Mode::Popup => &self.popup,
        }
    }

    pub fn action(&self, mode: Mode, key: &KeyEvent) -> Option<Action> {
        let text = key_text(key)?;
        self.of(mode)
            .iter()
            .find(|(k, _)| *k == text)
            .map(|(_, a)| *a)
    }

    /// Keys bound to each action, in file order: (action, "j/down").
    pub fn bindings(&self, mode: Mode) -> Vec<(Action, String)> {
        self.bound(mode)
            .into_iter()
            .map(|(a, keys)| (a, keys.join("/")))
            .collect()
    }

    /// Keys bound to each action, in file order: (action, ["j", "down"]).
    pub fn bound(&self, mode: Mode) -> Vec<(Action, Vec<&str>)> {
        let mut order: Vec<Action> = Vec::new();
        let mut keys: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for (k, a) in self.of(mode) {
            let i = match order.iter().position(|x| x == a) {
                Some(i) => i,
                None => {
                    order.push(*a);
                    order.len() - 1
                }
            };
            keys.entry(i).or_default().push(k);
        }
        order
            .into_iter()
            .enumerate()
            .map(|(i, a)| (a, keys.remove(&i).unwrap_or_default()))
            .collect()
    }

    /// The first key bound to `action`, for footer hints.
    pub fn first_key(&self, mode: Mode, action: Action) -> Option<&str> {
        self.of(mode)
            .iter()
            .find(|(_, a)| *a == action)
            .map(|(k, _)| k.as_str())
    }
}

/// A key press as keymap text: "j", "G", "enter", "ctrl-c".
pub fn key_text(key: &KeyEvent) -> Option<String> {
    let base = match key.code {
        KeyCode::Char(' ') => "space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "enter".into(),
        KeyCode::Esc => "esc".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::BackTab => "backtab".into(),
        KeyCode::Up => "up".into(),
        KeyCode::Down => "down".into(),
        KeyCode::Left => "left".into(),
        KeyCode::Right => "right".into(),
        KeyCode::PageUp => "pageup".into(),
        KeyCode::PageDown => "pagedown".into(),
        KeyCode::Home => "home".into(),
        KeyCode::End => "end".into(),
        KeyCode::Backspace => "backspace".into(),
        _ => return None,
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        Some(format!("ctrl-{base}"))
    } else {
        Some(base)
    }
}
