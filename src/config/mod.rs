//! The user's console configuration: keys, aliases, columns, theme and
//! mouse, read from `$XDG_CONFIG_HOME/carequeue/config.toml` (or
//! `--config FILE`) over the defaults in `assets/config.toml`, and
//! validated like `pipeline.toml` (see `check`).

pub mod check;

use crate::domain::{Diagnostic, Located};
use crate::keys::Keymap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The full default configuration, as `carequeue config defaults` prints it.
pub const DEFAULTS: &str = include_str!("../../assets/config.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeName {
    Default,
    HighContrast,
    Colorblind,
    Mono,
}

impl ThemeName {
    pub const ALL: [ThemeName; 4] = [
        ThemeName::Default,
        ThemeName::HighContrast,
        ThemeName::Colorblind,
        ThemeName::Mono,
    ];

    pub fn id(self) -> &'static str {
        match self {
            ThemeName::Default => "default",
            ThemeName::HighContrast => "high-contrast",
            ThemeName::Colorblind => "colorblind",
            ThemeName::Mono => "mono",
        }
    }

    pub fn parse(s: &str) -> Option<ThemeName> {
        ThemeName::ALL.into_iter().find(|t| t.id() == s)
    }
}

/// A column of the queue table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Id,
    Patient,
    Stage,
    Substatus,
    Owner,
    Sla,
    Due,
    Age,
}

impl Column {
    pub const ALL: [Column; 8] = [
        Column::Id,
        Column::Patient,
        Column::Stage,
        Column::Substatus,
        Column::Owner,
        Column::Sla,
        Column::Due,
        Column::Age,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::Patient => "patient",
            Column::Stage => "stage",
            Column::Substatus => "substatus",
            Column::Owner => "owner",
            Column::Sla => "sla",
            Column::Due => "due",
            Column::Age => "age",
        }
    }

    pub fn parse(s: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.id() == s)
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub keymap: Keymap,
    /// `:NAME` runs `:filter EXPR`.
    pub aliases: BTreeMap<String, String>,
    pub columns: Vec<Column>,
    pub theme: ThemeName,
    pub mouse: bool,
}

impl Config {
    fn empty() -> Config {
        Config {
            keymap: Keymap::empty(),
            aliases: BTreeMap::new(),
            columns: Column::ALL.to_vec(),
            theme: ThemeName::Default,
            mouse: false,
        }
    }
}

/// The defaults (the embedded file is tested to have no problem).
pub fn defaults() -> Config {
    check::check(DEFAULTS, Config::empty()).0
}

/// `text` read over the defaults, and its problems.
pub fn read(text: &str) -> (Config, Vec<Diagnostic>) {
    check::check(text, defaults())
}

/// Where the configuration is looked for when no `--config` is given.
pub fn default_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("carequeue").join("config.toml"))
}

/// Loads `path` over the defaults. A missing file at the default place is
/// the defaults; a missing `--config` file, and any problem in a file, is
/// an error listing every problem with its place.
pub fn load(path: &Path, given: bool) -> Result<Config, Vec<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !given => return Ok(defaults()),
        Err(e) => {
            return Err(vec![format!(
                "cannot read the configuration {}: {e}",
                crate::present::clean(&path.display().to_string())
            )]);
        }
    };
    let (cfg, diags) = read(&text);
    if diags.is_empty() {
        return Ok(cfg);
    }
    let file = path.display().to_string();
    Err(diags
        .iter()
        .map(|d| Located::new(&file, &text, d).to_string())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_have_no_problem_and_bind_every_view_key() {
        let (_, diags) = check::check(DEFAULTS, Config::empty());
        assert!(diags.is_empty(), "{diags:?}");
        let d = defaults();
        assert_eq!(d.columns, Column::ALL);
        assert_eq!(
            d.keymap
                .table(false)
                .iter()
                .filter(|(_, a)| matches!(a, crate::keys::Action::View(_)))
                .count(),
            crate::keys::VIEW_KEYS
        );
    }
}

#[cfg(test)]
mod keymap_tests {
    use crate::keys::{Action, Mode};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[test]
    fn the_default_keymap_binds_the_documented_keys() {
        let km = super::defaults().keymap;
        let k = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(km.action(Mode::Normal, &k('j')), Some(Action::Down));
        assert_eq!(km.action(Mode::Normal, &k('m')), Some(Action::Move));
        assert_eq!(km.action(Mode::Normal, &k('3')), Some(Action::View(2)));
        assert_eq!(km.action(Mode::Normal, &k('0')), Some(Action::View(9)));
        let cc = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(km.action(Mode::Normal, &cc), Some(Action::Quit));
        assert_eq!(
            km.action(
                Mode::Popup,
                &KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)
            ),
            Some(Action::Cancel)
        );
        let cu = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!(km.action(Mode::Popup, &cu), Some(Action::ClearLine));
    }
}
