//! Validating a configuration file, every problem with its place: read with
//! spans, checked setting by setting over the defaults, reported as
//! `FILE:LINE:COL: error[C0xx]: message` like `pipeline.toml`'s.

use super::{Column, Config, ThemeName};
use crate::domain::Diagnostic;
use crate::keys::Action;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub const SYNTAX: &str = "C001";
pub const UNKNOWN_SETTING: &str = "C002";
pub const WRONG_TYPE: &str = "C003";
pub const UNKNOWN_ACTION: &str = "C004";
pub const UNKNOWN_KEY: &str = "C005";
pub const BOUND_TWICE: &str = "C006";
pub const UNKNOWN_THEME: &str = "C007";
pub const BAD_COLUMNS: &str = "C008";
pub const BAD_ALIAS: &str = "C009";

/// Every code, for the README and `config check --help`.
pub const CODES: [(&str, &str); 9] = [
    (SYNTAX, "the file is not valid TOML"),
    (
        UNKNOWN_SETTING,
        "a setting or table carequeue does not know",
    ),
    (WRONG_TYPE, "a setting of the wrong type"),
    (
        UNKNOWN_ACTION,
        "an action name that is not one of the console's",
    ),
    (UNKNOWN_KEY, "a key name that is not a key"),
    (BOUND_TWICE, "one key bound to two actions in one mode"),
    (UNKNOWN_THEME, "a theme that is not one of the four"),
    (BAD_COLUMNS, "an unknown, repeated or misplaced column"),
    (
        BAD_ALIAS,
        "an alias that shadows a command or is not one word",
    ),
];

/// The named keys a binding may use (besides single characters).
pub const NAMED_KEYS: [&str; 14] = [
    "enter",
    "esc",
    "tab",
    "backtab",
    "up",
    "down",
    "left",
    "right",
    "pageup",
    "pagedown",
    "home",
    "end",
    "space",
    "backspace",
];

/// Whether `k` names a key as the keymap writes them.
pub fn is_key(k: &str) -> bool {
    let base = k.strip_prefix("ctrl-").unwrap_or(k);
    let mut chars = base.chars();
    let one =
        matches!((chars.next(), chars.next()), (Some(c), None) if !c.is_control() && c != ' ');
    one || NAMED_KEYS.contains(&base)
}

struct Checker {
    diags: Vec<Diagnostic>,
}

impl Checker {
    fn err(&mut self, code: &'static str, span: Range<usize>, msg: String) {
        self.diags.push(Diagnostic::error(code, span, msg));
    }

    fn string<'a>(&mut self, v: &'a Spanned<DeValue<'a>>, what: &str) -> Option<&'a str> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            _ => {
                self.err(WRONG_TYPE, v.span(), format!("{what} must be a string"));
                None
            }
        }
    }

    fn strings<'a>(
        &mut self,
        v: &'a Spanned<DeValue<'a>>,
        what: &str,
    ) -> Option<Vec<(&'a str, Range<usize>)>> {
        let DeValue::Array(items) = v.get_ref() else {
            self.err(
                WRONG_TYPE,
                v.span(),
                format!("{what} must be a list of strings"),
            );
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            out.push((self.string(item, &format!("each of {what}"))?, item.span()));
        }
        Some(out)
    }

    fn table<'a>(&mut self, v: &'a Spanned<DeValue<'a>>, what: &str) -> Option<&'a DeTable<'a>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.err(WRONG_TYPE, v.span(), format!("`{what}` must be a table"));
                None
            }
        }
    }
}

/// Reads `text` over the defaults: the configuration it describes (with
/// every faulty setting left at its default) and what is wrong with it.
pub fn check(text: &str, mut cfg: Config) -> (Config, Vec<Diagnostic>) {
    let mut c = Checker { diags: Vec::new() };
    let doc = match DeTable::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            c.err(
                SYNTAX,
                span,
                format!("not valid TOML (a syntax error): {}", e.message()),
            );
            return (cfg, c.diags);
        }
    };
    for (k, v) in doc.get_ref() {
        match k.get_ref().as_ref() {
            "theme" => {
                if let Some(s) = c.string(v, "`theme`") {
                    match ThemeName::parse(s) {
                        Some(t) => cfg.theme = t,
                        None => c.err(
                            UNKNOWN_THEME,
                            v.span(),
                            format!(
                                "unknown theme `{}` (themes: {})",
                                crate::present::shown(s),
                                ThemeName::ALL.map(ThemeName::id).join(", ")
                            ),
                        ),
                    }
                }
            }
            "mouse" => match v.get_ref() {
                DeValue::Boolean(b) => cfg.mouse = *b,
                _ => c.err(WRONG_TYPE, v.span(), "`mouse` must be true or false".into()),
            },
            "columns" => {
                if let Some(cols) = columns(&mut c, v) {
                    cfg.columns = cols;
                }
            }
            "aliases" => {
                if let Some(t) = c.table(v, "aliases") {
                    aliases(&mut c, t, &mut cfg);
                }
            }
            "keys" => {
                if let Some(t) = c.table(v, "keys") {
                    keys(&mut c, t, &mut cfg);
                }
            }
            other => c.err(
                UNKNOWN_SETTING,
                k.span(),
                format!(
                    "unknown setting `{}` (settings: theme, mouse, columns, aliases, keys)",
                    crate::present::shown(other)
                ),
            ),
        }
    }
    (cfg, c.diags)
}

fn columns(c: &mut Checker, v: &Spanned<DeValue>) -> Option<Vec<Column>> {
    let list = c.strings(v, "`columns`")?;
    let mut out: Vec<Column> = Vec::new();
    let mut ok = true;
    for (name, span) in list {
        match Column::parse(name) {
            None => {
                c.err(
                    BAD_COLUMNS,
                    span,
                    format!(
                        "unknown column `{}` (columns: {})",
                        crate::present::shown(name),
                        Column::ALL.map(Column::id).join(", ")
                    ),
                );
                ok = false;
            }
            Some(col) if out.contains(&col) => {
                c.err(
                    BAD_COLUMNS,
                    span,
                    format!("column `{name}` is listed twice"),
                );
                ok = false;
            }
            Some(col) => out.push(col),
        }
    }
    if ok && out.first() != Some(&Column::Id) {
        c.err(
            BAD_COLUMNS,
            v.span(),
            "`columns` must start with \"id\" (the mark and the record's number)".into(),
        );
        ok = false;
    }
    ok.then_some(out)
}

fn aliases(c: &mut Checker, t: &DeTable, cfg: &mut Config) {
    for (k, v) in t {
        let name = k.get_ref().as_ref();
        let Some(expr) = c.string(v, &format!("alias `{}`", crate::present::shown(name))) else {
            continue;
        };
        let one_word = !name.is_empty()
            && name
                .chars()
                .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-');
        if !one_word {
            c.err(
                BAD_ALIAS,
                k.span(),
                format!(
                    "alias `{}` must be one word (letters, digits, `_`, `-`)",
                    crate::present::shown(name)
                ),
            );
        } else if name.parse::<crate::keys::Command>().is_ok() {
            c.err(
                BAD_ALIAS,
                k.span(),
                format!("alias `{name}` would shadow the command `:{name}`"),
            );
        } else {
            cfg.aliases.insert(name.to_string(), expr.to_string());
        }
    }
}

fn keys(c: &mut Checker, t: &DeTable, cfg: &mut Config) {
    for (k, v) in t {
        let mode = k.get_ref().as_ref();
        let popup = match mode {
            "normal" => false,
            "popup" => true,
            other => {
                c.err(
                    UNKNOWN_SETTING,
                    k.span(),
                    format!(
                        "unknown key mode `{}` (modes: normal, popup)",
                        crate::present::shown(other)
                    ),
                );
                continue;
            }
        };
        let Some(actions) = c.table(v, &format!("keys.{mode}")) else {
            continue;
        };
        // The user's bindings, then the defaults of every action not named.
        let mut mine: Vec<(String, Action, Range<usize>)> = Vec::new();
        let mut named: Vec<Action> = Vec::new();
        for (ak, av) in actions {
            let aname = ak.get_ref().as_ref();
            let Some(action) = Action::from_name(aname) else {
                c.err(
                    UNKNOWN_ACTION,
                    ak.span(),
                    format!(
                        "unknown action `{}` in [keys.{mode}] (`carequeue config defaults` lists them)",
                        crate::present::shown(aname)
                    ),
                );
                continue;
            };
            let Some(list) = c.strings(av, &format!("`{aname}`")) else {
                continue;
            };
            named.push(action);
            for (key, span) in list {
                if !is_key(key) {
                    c.err(
                        UNKNOWN_KEY,
                        span,
                        format!(
                            "`{}` is not a key (a character, a named key such as `enter`, or `ctrl-` and one)",
                            crate::present::shown(key)
                        ),
                    );
                    continue;
                }
                mine.push((key.to_string(), action, span));
            }
        }
        // Every action in the defaults' order (then any new one), each
        // with the user's keys if named, else its default keys.
        let defaults = cfg.keymap.table(popup).to_vec();
        let mut order: Vec<Action> = Vec::new();
        for a in defaults
            .iter()
            .map(|(_, a)| *a)
            .chain(named.iter().copied())
        {
            if !order.contains(&a) {
                order.push(a);
            }
        }
        let mut merged: Vec<(String, Action)> = Vec::new();
        for a in order {
            let keys: Vec<String> = if named.contains(&a) {
                mine.iter()
                    .filter(|(_, x, _)| *x == a)
                    .map(|(k, _, _)| k.clone())
                    .collect()
            } else {
                defaults
                    .iter()
                    .filter(|(_, x)| *x == a)
                    .map(|(k, _)| k.clone())
                    .collect()
            };
            for k in keys {
                if !merged.contains(&(k.clone(), a)) {
                    merged.push((k, a));
                }
            }
        }
        let mut clash = false;
        for (key, action, span) in &mine {
            if let Some((_, other)) = merged.iter().find(|(k, a)| k == key && a != action) {
                c.err(
                    BOUND_TWICE,
                    span.clone(),
                    format!(
                        "`{key}` is bound to both `{}` and `{}` in [keys.{mode}]",
                        action.name(),
                        other.name()
                    ),
                );
                clash = true;
            }
        }
        if !clash {
            cfg.keymap.set_table(popup, merged);
        }
    }
}
