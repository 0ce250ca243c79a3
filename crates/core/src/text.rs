//! Neutralising untrusted text before it reaches a terminal: names, notes and
//! fields may hold control characters or escape sequences.

/// Replaces control characters (C0, DEL, C1) and bidi overrides with visible
/// stand-ins, so no raw escape sequence reaches the terminal.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if unsafe_char(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// A value as an error message may quote it: whole when short, else its
/// first 32 characters and its size, so a refused value is never echoed
/// back in full.
pub fn shown(s: &str) -> String {
    const KEEP: usize = 32;
    match s.char_indices().nth(KEEP) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes)", &s[..cut], s.len()),
    }
}

/// [`clean`] line by line: the line breaks of a multi-line text are kept,
/// every other control character neutralised.
pub fn clean_lines(s: &str) -> String {
    s.split('\n').map(clean).collect::<Vec<_>>().join("\n")
}

/// A character that must not reach a terminal raw: a control character
/// (C0, DEL, C1) or a bidi override, embedding, isolate or mark.
pub fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn escapes_and_bidi_are_neutralised() {
        assert_eq!(clean("a\u{1b}[31mb"), "a\u{FFFD}[31mb");
        assert_eq!(clean("x\u{202E}y"), "x\u{FFFD}y");
        assert_eq!(clean("Zoë O'Neil"), "Zoë O'Neil");
    }

    #[test]
    fn long_values_are_shown_in_part() {
        assert_eq!(super::shown("short"), "short");
        let long = "é".repeat(40);
        assert_eq!(
            super::shown(&long),
            format!("{}… (80 bytes)", "é".repeat(32))
        );
    }
}
