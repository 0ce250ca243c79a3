//! The pipeline parser and checker never panic, and every diagnostic points
//! inside the source (so `carequeue check` can name a line and column).
#![no_main]

use carequeue::domain::{self, diag::line_col};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `carequeue check` reads the file as UTF-8 first; only text reaches the parser.
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let checked = domain::check(source);
    for d in &checked.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= source.len(),
            "span {:?} outside a source of {} bytes",
            d.span,
            source.len()
        );
        let (line, col) = line_col(source, d.span.start);
        assert!(line >= 1 && col >= 1);
    }
    if checked.has_errors() {
        assert!(checked.pipeline.is_none());
    }
});
