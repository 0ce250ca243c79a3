//! E064 / E065: no control character (and no bidi override) in the
//! pipeline's ids and names. They are printed by `show`, `pipeline`,
//! `audit`, `check`, every table and the console, so a stage named
//! `"\u001b]0;pwned\u0007"` is refused here rather than neutralised on every
//! screen. Every string and key of the file is read with its span: the
//! ones that are names or labels (`name`, `label`, `disposition`, the
//! descriptions in `[reasons]`) get E065, every other one (ids and the
//! references to them, reason codes, choices) E064.

use super::codes as c;
use super::diag::Diagnostic;
use crate::text::unsafe_char;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Keys whose strings are for people rather than references.
const NAME_KEYS: [&str; 3] = ["name", "label", "disposition"];

/// Checks every key and string of `source` (already known to parse).
pub fn check(source: &str, diags: &mut Vec<Diagnostic>) {
    let Ok(doc) = DeTable::parse(source) else {
        return;
    };
    table(doc.get_ref(), None, diags);
}

fn table(t: &DeTable, parent: Option<&str>, diags: &mut Vec<Diagnostic>) {
    for (k, v) in t {
        let key = k.get_ref().as_ref();
        if let Some(ch) = key.chars().find(|c| unsafe_char(*c)) {
            diags.push(Diagnostic::error(
                c::CONTROL_IN_ID,
                k.span(),
                format!("a key holds {}; ids hold none", what(ch)),
            ));
        }
        // The descriptions of `[reasons]` are labels; its keys are codes.
        let is_name = NAME_KEYS.contains(&key) || parent == Some("reasons");
        value(v, key, is_name, diags);
    }
}

fn value(v: &Spanned<DeValue>, key: &str, is_name: bool, diags: &mut Vec<Diagnostic>) {
    match v.get_ref() {
        DeValue::String(s) => {
            if let Some(ch) = s.chars().find(|c| unsafe_char(*c)) {
                let (code, kind) = if is_name {
                    (c::CONTROL_IN_NAME, "names and labels")
                } else {
                    (c::CONTROL_IN_ID, "ids")
                };
                diags.push(Diagnostic::error(
                    code,
                    v.span(),
                    format!("`{key}` holds {}; {kind} hold none", what(ch)),
                ));
            }
        }
        DeValue::Array(items) => {
            for item in items {
                value(item, key, is_name, diags);
            }
        }
        DeValue::Table(t) => table(t, Some(key), diags),
        _ => {}
    }
}

fn what(ch: char) -> String {
    if ch.is_control() {
        format!("a control character (U+{:04X})", ch as u32)
    } else {
        format!("a bidi control (U+{:04X})", ch as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(src: &str) -> Vec<&'static str> {
        let mut d = Vec::new();
        check(src, &mut d);
        d.into_iter().map(|d| d.code).collect()
    }

    #[test]
    fn ids_and_names_are_told_apart() {
        assert_eq!(
            codes("name = \"ok\"\n[[stages]]\nid = \"a\\u001b\"\n"),
            ["E064"]
        );
        assert_eq!(
            codes("[[stages]]\nid = \"a\"\nname = \"b\\u0007\"\n"),
            ["E065"]
        );
        assert_eq!(codes("[reasons]\n\"x\\u202e\" = \"Fine\"\n"), ["E064"]);
        assert_eq!(codes("[reasons]\nx = \"bad\\t label\"\n"), ["E065"]);
        assert_eq!(
            codes("[[transitions]]\nfrom = [\"a\", \"b\\u0085\"]\n"),
            ["E064"]
        );
        assert!(codes("name = \"Zoë's pipeline 🩺\"\n").is_empty());
    }
}
