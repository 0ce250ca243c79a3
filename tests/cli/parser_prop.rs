//! The pipeline parser and checker (`carequeue::domain::check`) never panic,
//! whatever the text, and every diagnostic carries a span inside the source,
//! so `carequeue check` can always name a `FILE:LINE:COL`.
//!
//! Inputs: arbitrary Unicode text, TOML-looking text built from the schema's
//! own keys, and line-level mutations (delete, duplicate, alter, swap,
//! truncate) of the shipped `pipeline.toml`.

use carequeue::domain::{self, DEFAULT_PIPELINE, Located, Severity, diag::line_col};
use proptest::prelude::*;

/// Runs the checker and asserts what must hold for every input.
fn check_ok(source: &str) {
    let checked = domain::check(source);
    for d in &checked.diagnostics {
        assert!(
            d.span.start <= d.span.end,
            "span {:?} runs backwards: [{}] {}",
            d.span,
            d.code,
            d.message
        );
        assert!(
            d.span.end <= source.len(),
            "span {:?} ends past the source ({} bytes): [{}] {}",
            d.span,
            source.len(),
            d.code,
            d.message
        );
        assert!(
            source.is_char_boundary(d.span.start),
            "span {:?} starts inside a character: [{}] {}",
            d.span,
            d.code,
            d.message
        );
        let (line, col) = line_col(source, d.span.start);
        let lines = source.split('\n').count();
        assert!(
            line >= 1 && line <= lines && col >= 1,
            "{line}:{col} outside the source"
        );
        // The printed form is one line naming file, line and column.
        let shown = Located::new("p.toml", source, d).to_string();
        assert!(
            shown.starts_with(&format!("p.toml:{line}:{col}: ")),
            "{shown}"
        );
        assert!(
            !d.code.is_empty() && !d.message.trim().is_empty(),
            "{shown}"
        );
    }
    let errors = checked
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    assert_eq!(errors, checked.has_errors());
    assert_eq!(
        checked.pipeline.is_none(),
        errors,
        "a pipeline is returned exactly when there is no error"
    );
}

/// One edit of the shipped pipeline, applied line by line.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    /// Replace the line's value (after `=`) with one of [`VALUES`].
    Value(usize, usize),
    /// Replace a word of the line with one of [`WORDS`].
    Word(usize, usize, usize),
    /// Cut the line at this byte fraction (0..=100 %).
    Truncate(usize, u8),
    Insert(usize, String),
}

const VALUES: &[&str] = &[
    "\"\"",
    "\"0m\"",
    "\"-4h\"",
    "\"4x\"",
    "\"99999999999999999999d\"",
    "\"75%\"",
    "\"200%\"",
    "\"0%\"",
    "[]",
    "[\"*\"]",
    "[\"nowhere\"]",
    "{}",
    "true",
    "-1",
    "0",
    "9223372036854775807",
    "1.5",
    "\"é\u{202E}x\"",
    "\"ops\"",
    "\"lost\"",
    "\"today\"",
    "{ max = \"1h\", warn = \"2h\" }",
    "{ max = \"1h\", warn = \"30m\", calendar = \"nope\" }",
    "[{ after = \"0m\", notify = \"ghost\" }]",
    "[{ id = \"x\", label = \"X\", pauses = true }]",
    "{ field = \"nope\", offset = \"1d\" }",
    "\"09:00-08:00\"",
    "[\"25:00-26:00\"]",
    "[\"sun\"]",
    "[\"2026-02-30\"]",
    "\"Mars/Olympus\"",
];

const WORDS: &[&str] = &[
    "",
    "=",
    "[[",
    "]]",
    "\"",
    "'",
    "#",
    "stages",
    "transitions",
    "timers",
    "roles",
    "from",
    "to",
    "entry",
    "terminal",
    "\u{0}",
    "\u{1b}[31m",
    "🩺",
];

fn apply(source: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len();
        match e {
            Edit::Delete(i) => {
                lines.remove(i % n);
            }
            Edit::Duplicate(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::Swap(a, b) => lines.swap(a % n, b % n),
            Edit::Value(i, v) => {
                let l = &mut lines[i % n];
                if let Some(eq) = l.find('=') {
                    l.truncate(eq + 1);
                    l.push(' ');
                    l.push_str(VALUES[v % VALUES.len()]);
                }
            }
            Edit::Word(i, w, r) => {
                let l = &lines[i % n];
                let words: Vec<&str> = l.split(' ').collect();
                let k = w % words.len();
                let mut out: Vec<&str> = words.clone();
                out[k] = WORDS[r % WORDS.len()];
                lines[i % n] = out.join(" ");
            }
            Edit::Truncate(i, pct) => {
                let l = &mut lines[i % n];
                let mut cut = l.len() * (*pct as usize).min(100) / 100;
                while !l.is_char_boundary(cut) {
                    cut -= 1;
                }
                l.truncate(cut);
            }
            Edit::Insert(i, text) => lines.insert(i % (n + 1), text.clone()),
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Value(a, b)),
        (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(a, b, c)| Edit::Word(a, b, c)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Edit::Truncate(a, b)),
        (any::<usize>(), toml_line()).prop_map(|(a, s)| Edit::Insert(a, s)),
    ]
}

/// A line that looks like the pipeline schema, often but not always valid.
fn toml_line() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "id",
        "name",
        "phase",
        "owner",
        "terminal",
        "sla",
        "from",
        "to",
        "event",
        "roles",
        "requires",
        "reasons",
        "entry",
        "timezone",
        "stage",
        "after",
        "at",
        "max",
        "counter",
        "sets",
        "supervises",
        "active_care",
        "days",
        "hours",
        "holidays",
        "type",
        "choices",
        "disposition",
        "escalations",
        "substatuses",
        "initial_substatus",
        "breach_reasons",
        "label",
        "calendar",
        "reason",
        "required",
    ]);
    let tables = prop::sample::select(vec![
        "[[stages]]",
        "[[transitions]]",
        "[[roles]]",
        "[[phases]]",
        "[[timers]]",
        "[[fields]]",
        "[[calendars]]",
        "[reasons]",
        "[stages]",
        "[[reasons]]",
    ]);
    prop_oneof![
        tables.prop_map(str::to_string),
        (keys, prop::sample::select(VALUES.to_vec())).prop_map(|(k, v)| format!("{k} = {v}")),
        "[a-z_\\[\\]=\"#{}, .0-9-]{0,40}",
    ]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

#[test]
fn shipped_pipeline_is_clean() {
    let checked = domain::check(DEFAULT_PIPELINE);
    assert!(checked.pipeline.is_some(), "{:?}", checked.diagnostics);
    check_ok(DEFAULT_PIPELINE);
}

#[test]
fn edge_inputs_do_not_panic() {
    let big_key = format!("{} = 1\n", "k".repeat(100_000));
    let deep = format!("x = {}1{}\n", "[".repeat(2_000), "]".repeat(2_000));
    let deep_tables = format!("x = {}1{}\n", "{ a = ".repeat(500), " }".repeat(500));
    for s in [
        "",
        "\n",
        "\u{feff}",
        "\u{0}",
        "=",
        "[[",
        "[[stages]]",
        "[[stages]]\n[[stages]]\n",
        "entry = \"\"",
        "name = \"x\"\nentry = \"a\"\n",
        "\r\n\r\n\r",
        "é = \"🩺\u{202E}\"",
        big_key.as_str(),
        deep.as_str(),
        deep_tables.as_str(),
    ] {
        check_ok(s);
    }
    // The shipped file cut at every line end and in the middle of every line.
    let mut cut = 0;
    while cut < DEFAULT_PIPELINE.len() {
        check_ok(&DEFAULT_PIPELINE[..cut]);
        let next = DEFAULT_PIPELINE[cut..]
            .find('\n')
            .map_or(DEFAULT_PIPELINE.len(), |i| cut + i + 1);
        let mid = cut + (next - cut) / 2;
        if DEFAULT_PIPELINE.is_char_boundary(mid) {
            check_ok(&DEFAULT_PIPELINE[..mid]);
        }
        cut = next;
    }
}

#[test]
fn each_single_line_deleted_or_duplicated() {
    let n = DEFAULT_PIPELINE.lines().count();
    let mut failing = 0;
    for i in 0..n {
        for e in [Edit::Delete(i), Edit::Duplicate(i)] {
            let s = apply(DEFAULT_PIPELINE, &[e]);
            check_ok(&s);
            failing += usize::from(domain::check(&s).has_errors());
        }
    }
    // Not vacuous: many of these edits break the pipeline and are reported.
    assert!(
        failing > n / 4,
        "only {failing} of {} edits were reported",
        2 * n
    );
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_text_never_panics(s in any::<String>()) {
        check_ok(&s);
    }

    #[test]
    fn random_toml_like_text_never_panics(lines in prop::collection::vec(toml_line(), 0..40)) {
        check_ok(&lines.join("\n"));
    }

    #[test]
    fn mutated_shipped_pipeline_never_panics(edits in prop::collection::vec(edit(), 1..8)) {
        check_ok(&apply(DEFAULT_PIPELINE, &edits));
    }

    #[test]
    fn shipped_pipeline_with_inserted_garbage_never_panics(
        at in any::<usize>(),
        garbage in any::<String>(),
    ) {
        let mut cut = at % (DEFAULT_PIPELINE.len() + 1);
        while !DEFAULT_PIPELINE.is_char_boundary(cut) {
            cut -= 1;
        }
        let s = format!("{}{garbage}{}", &DEFAULT_PIPELINE[..cut], &DEFAULT_PIPELINE[cut..]);
        check_ok(&s);
    }
}
