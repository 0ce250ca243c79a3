//! `confirm` on a transition: read as a boolean, false unless written,
//! and anything else refused at its line and column.

use super::{DEFAULT_PIPELINE, check, codes, diag::line_col};

const MINIMAL: &str = include_str!("../../../../tests/fixtures/minimal.toml");

/// The minimal pipeline with `line` added under its first transition's roles.
fn with_line(line: &str) -> String {
    MINIMAL.replacen(
        "roles = [\"staff\"]\n",
        &format!("roles = [\"staff\"]\n{line}\n"),
        1,
    )
}

#[test]
fn confirm_is_false_unless_written_and_true_when_written() {
    let plain = check(MINIMAL).pipeline.expect("minimal pipeline");
    assert!(plain.transitions.iter().all(|t| !t.confirm));
    let text = with_line("confirm = true");
    assert_ne!(text, MINIMAL, "the premise: the line went in");
    let p = check(&text)
        .pipeline
        .expect("a confirmed transition is valid");
    let confirmed: Vec<&str> = p
        .transitions
        .iter()
        .filter(|t| t.confirm)
        .map(|t| t.event.as_str())
        .collect();
    assert_eq!(confirmed, ["start"]);
}

#[test]
fn the_shipped_pipeline_confirms_the_providers_decisions_only() {
    let p = check(DEFAULT_PIPELINE).pipeline.expect("default pipeline");
    let mut confirmed: Vec<&str> = p
        .transitions
        .iter()
        .filter(|t| t.confirm)
        .map(|t| t.event.as_str())
        .collect();
    confirmed.sort_unstable();
    assert_eq!(confirmed, ["approve", "deny", "request_info"]);
}

#[test]
fn a_confirm_that_is_not_a_boolean_is_a_located_error() {
    for bad in ["confirm = \"yes\"", "confirm = 1", "confirm = [true]"] {
        let text = with_line(bad);
        let checked = check(&text);
        assert!(checked.pipeline.is_none(), "{bad}: refused");
        let d = checked
            .diagnostics
            .iter()
            .find(|d| d.code == codes::SYNTAX)
            .unwrap_or_else(|| panic!("{bad}: an E001 diagnostic"));
        let at = text.find(bad).expect("the line");
        let (line, _) = line_col(&text, at);
        let (dline, dcol) = line_col(&text, d.span.start);
        assert_eq!(dline, line, "{bad}: on its own line: {}", d.message);
        assert!(dcol > 1, "{bad}: at the value, not the line start");
        assert!(d.message.contains("boolean"), "{bad}: {}", d.message);
    }
}
