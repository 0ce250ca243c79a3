//! Formula-safe CSV cells (OWASP, "CSV injection"): a spreadsheet runs a
//! cell that starts with `=`, `+`, `-` or `@` (and some also after a tab or
//! carriage return) as a formula. Export puts a `'` before such a cell, and
//! before a cell that already starts with `'`; import takes exactly one
//! leading `'` off when one of those characters follows it. So an export
//! imports back byte for byte, and a hand-written `'note` stays as it is.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula, and
/// the escape itself.
pub fn risky(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r' | '\'')
}

/// A cell as export writes it.
pub fn escape(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(c) if risky(c) => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A cell as import reads it: the inverse of [`escape`].
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.chars().next().is_some_and(risky) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risky_cells_are_prefixed_and_read_back() {
        for s in [
            "=1+1", "+1", "-3", "@SUM(A1)", "\tx", "\rx", "'quoted", "''", "'",
        ] {
            let e = escape(s);
            assert!(e.starts_with('\''), "{s:?}");
            assert_eq!(unescape(&e), s);
        }
        for s in ["", "plain", "a=b", "'plain", "12"] {
            assert_eq!(unescape(&escape(s)), s);
        }
        assert_eq!(escape("plain"), "plain");
        assert_eq!(unescape("'plain"), "'plain", "a hand-written quote stays");
        assert_eq!(unescape("'=x"), "=x");
        assert_eq!(unescape("''=x"), "'=x", "exactly one is taken off");
    }
}
