//! Key bindings as data: parsed from `assets/keymap.toml` (embedded), so the
//! footer and the help panel are generated from the bindings themselves.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

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

#[derive(serde::Deserialize)]
struct Raw {
    normal: toml::Table,
    popup: toml::Table,
}

fn section(t: &toml::Table) -> Result<Vec<(String, Action)>, String> {
    let mut out = Vec::new();
    for (name, keys) in t {
        let action: Action = toml::Value::String(name.clone())
            .try_into()
            .map_err(|_| format!("unknown action `{name}`"))?;
        let keys: Vec<String> = keys
            .clone()
            .try_into()
            .map_err(|_| format!("`{name}` must list keys as strings"))?;
        for k in keys {
            out.push((k, action));
        }
    }
    Ok(out)
}

impl Keymap {
    pub fn parse(text: &str) -> Result<Keymap, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| e.message().to_string())?;
        Ok(Keymap {
            normal: section(&raw.normal)?,
            popup: section(&raw.popup)?,
        })
    }

    pub fn default_map() -> Keymap {
        // The embedded file is tested to parse; an empty map keeps the
        // console usable (q via Ctrl-C handling) if it ever did not.
        Keymap::parse(DEFAULT_KEYMAP).unwrap_or(Keymap {
            normal: Vec::new(),
            popup: Vec::new(),
        })
    }

    fn table(&self, mode: Mode) -> &[(String, Action)] {
        match mode {
            Mode::Normal => &self.normal,
            Mode::Popup => &self.popup,
        }
    }

    pub fn action(&self, mode: Mode, key: &KeyEvent) -> Option<Action> {
        let text = key_text(key)?;
        if let Some((_, a)) = self.table(mode).iter().find(|(k, _)| *k == text) {
            return Some(*a);
        }
        if mode == Mode::Normal
            && let Some(d) = text.chars().next().and_then(|c| c.to_digit(10))
            && text.len() == 1
        {
            // 1 to 9, then 0 for the tenth view.
            return Some(Action::View(if d == 0 { 9 } else { d as usize - 1 }));
        }
        None
    }

    /// Keys bound to each action, in file order: (action, "j/down").
    pub fn bindings(&self, mode: Mode) -> Vec<(Action, String)> {
        let mut order: Vec<Action> = Vec::new();
        let mut keys: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for (k, a) in self.table(mode) {
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
            .map(|(i, a)| (a, keys.get(&i).map(|v| v.join("/")).unwrap_or_default()))
            .collect()
    }

    /// The first key bound to `action`, for footer hints.
    pub fn first_key(&self, mode: Mode, action: Action) -> Option<&str> {
        self.table(mode)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_keymap_parses_and_binds_the_spec_keys() {
        let km = Keymap::parse(DEFAULT_KEYMAP).expect("embedded keymap parses");
        let k = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(km.action(Mode::Normal, &k('j')), Some(Action::Down));
        assert_eq!(km.action(Mode::Normal, &k('m')), Some(Action::Move));
        assert_eq!(km.action(Mode::Normal, &k('3')), Some(Action::View(2)));
        let cc = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(km.action(Mode::Normal, &cc), Some(Action::Quit));
        assert_eq!(
            km.action(
                Mode::Popup,
                &KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)
            ),
            Some(Action::Cancel)
        );
    }

    #[test]
    fn unknown_action_is_an_error() {
        assert!(Keymap::parse("[normal]\nfly = [\"f\"]\n[popup]\n").is_err());
    }
}
