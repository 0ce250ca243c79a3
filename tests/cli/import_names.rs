//! Imported patient names with NUL or other control characters are refused,
//! each named by row and column (never by its value), and nothing of the
//! file is written; tabs and line breaks, which CSV carries in quoted
//! cells, are kept.

use crate::common;
use crate::common::Cq;

const NOW: &str = "2026-11-26T15:00:00Z";

#[test]
fn control_characters_in_imported_names_are_refused_by_row_and_column() {
    let cq = Cq::init_default(NOW);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["patient", "phone"]).expect("header");
    let rows = [
        "Good Name",
        "nul\0inside",
        "esc\u{1b}[31mred",
        "bell\u{7}",
        "c1\u{85}next",
        "del\u{7f}",
        "tab\tand\nnewline",
    ];
    for r in rows {
        w.write_record([r, "555"]).expect("row");
    }
    let file = cq.dir.path().join("names.csv");
    std::fs::write(&file, w.into_inner().expect("csv")).expect("write");
    let err = cq.fail_with_report(common::ADMIN, NOW, &["import", "names.csv"]);
    // Data rows start on line 2; the multi-line cell is the last row.
    for (line, code) in [
        (3, "0000"),
        (4, "001B"),
        (5, "0007"),
        (6, "0085"),
        (7, "007F"),
    ] {
        assert!(
            err.contains(&format!(
                "names.csv:{line}:patient: holds a control character (U+{code})"
            )),
            "line {line}: {err}"
        );
    }
    assert!(
        !err.contains("names.csv:2:") && !err.contains("names.csv:8:"),
        "{err}"
    );
    assert!(err.contains("5 problem(s); nothing imported"), "{err}");
    for secret in ["inside", "red", "bell", "next", "del"] {
        assert!(!err.contains(secret), "the name leaked: {err}");
    }
    assert!(cq.list("nobody", NOW, &[]).is_empty(), "nothing imported");

    // Without the bad rows, the file imports, tab and newline kept.
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["patient"]).expect("header");
    w.write_record(["tab\tand\nnewline"]).expect("row");
    std::fs::write(&file, w.into_inner().expect("csv")).expect("write");
    cq.ok(common::ADMIN, NOW, &["import", "names.csv"]);
    assert_eq!(
        cq.list("nobody", NOW, &[])[0]["patient"],
        "tab\tand\nnewline"
    );
}
