//! Formula-safe CSV, through the real binary: `export` puts a `'` before
//! every cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
//! carriage return) or that starts with `'`; `import` takes exactly one off
//! again, so an export imports back byte for byte, whatever the text.

use crate::common;
use crate::common::Cq;
use carequeue::ops::formula::{escape, risky, unescape};
use proptest::prelude::*;

const NOW: &str = "2026-11-26T15:00:00Z";

fn setup() -> Cq {
    let cq = Cq::init_default(NOW);
    cq.ok(
        "nobody",
        NOW,
        &["user", "add", "sup", "--role", "supervisor"],
    );
    cq
}

/// `patient,phone` rows as a spreadsheet user would save them: every
/// cell escaped as export escapes it.
fn csv_of(rows: &[(String, String)]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["patient", "phone"]).expect("header");
    for (p, f) in rows {
        w.write_record([escape(p).as_ref(), escape(f).as_ref()])
            .expect("row");
    }
    w.into_inner().expect("csv")
}

/// Imports `bytes` into `cq` (as the admin), asserting success.
fn import(cq: &Cq, bytes: &[u8]) {
    let file = cq.dir.path().join("in.csv");
    std::fs::write(&file, bytes).expect("write csv");
    cq.ok(
        common::ADMIN,
        NOW,
        &["import", file.to_str().expect("path")],
    );
}

/// Every cell of a CSV export starting with a risky character carries the
/// `'` prefix, and reads back to the stored value.
fn assert_formula_safe(exported: &str) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(exported.as_bytes());
    for row in r.records() {
        for cell in row.expect("csv row").iter() {
            if let Some(c) = cell.chars().next() {
                assert!(
                    c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r',
                    "a formula reaches the spreadsheet: {cell:?}"
                );
                if c == '\'' {
                    let rest = &cell[1..];
                    assert!(
                        rest.chars().next().is_some_and(risky),
                        "a `'` export did not add: {cell:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn risky_cells_are_prefixed_on_export_and_restored_on_import() {
    let names = [
        "=HYPERLINK(\"http://x\",\"click\")",
        "+1 555 0100",
        "-2+3",
        "@SUM(A1:A9)",
        "\tTabbed",
        "\rCarriage",
        "'already quoted",
        "''=double",
        "O'Neil",
        "'plain quote",
    ];
    let rows: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.to_string(), format!("={n}")))
        .collect();
    let src = setup();
    import(&src, &csv_of(&rows));
    let listed = src.list("sup", NOW, &[]);
    for (name, phone) in &rows {
        let row = listed
            .iter()
            .find(|r| r["patient"] == name.as_str())
            .unwrap_or_else(|| panic!("{name:?} imported without its escape"));
        let rec = src.show("sup", NOW, row["id"].as_i64().expect("id"));
        assert_eq!(rec["fields"]["phone"], phone.as_str());
    }
    let exported = src.ok("sup", NOW, &["export"]);
    assert_formula_safe(&exported);
    assert!(exported.contains("'=HYPERLINK"), "{exported}");
    assert!(exported.contains("\n7,''already quoted,"), "{exported}");
    assert!(exported.contains("\n8,'''=double,"), "{exported}");
    assert!(exported.contains("\n9,O'Neil,"), "{exported}");
    // A hand-written `'` before a harmless character is not taken off.
    let hand = setup();
    import(&hand, b"patient,phone\n'plain,'555\n'=x,''=y\n");
    let rows = hand.list("sup", NOW, &[]);
    assert_eq!(rows[0]["patient"], "'plain");
    assert_eq!(hand.show("sup", NOW, 1)["fields"]["phone"], "'555");
    assert_eq!(rows[1]["patient"], "=x");
    assert_eq!(hand.show("sup", NOW, 2)["fields"]["phone"], "'=y");

    let dst = setup();
    import(&dst, exported.as_bytes());
    assert_eq!(
        dst.ok("sup", NOW, &["export"]),
        exported,
        "export -> import -> export is byte for byte"
    );
}

/// Cell text biased towards the characters that matter.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(vec!["=", "+", "-", "@", "\t", "\r", "'", "''", "\r\n"])
            .prop_map(str::to_string),
        4 => "[a-zA-Z0-9 ,\"\n]{0,6}",
        1 => "\\PC{0,4}",
    ];
    prop::collection::vec(piece, 1..5).prop_map(|v| v.concat())
}

/// A patient name import accepts: not blank, no control character but
/// tabs and line breaks.
fn name() -> impl Strategy<Value = String> {
    text().prop_filter("a name import accepts", |s| {
        !s.trim().is_empty() && !s.chars().any(|c| c.is_control() && !"\t\n\r".contains(c))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The pair itself: unescape(escape(s)) == s for any text, and no
    /// escaped cell starts with a formula character.
    #[test]
    fn escape_then_unescape_is_the_identity(s in text()) {
        let e = escape(&s);
        prop_assert_eq!(unescape(&e), s.as_str());
        if let Some(c) = e.chars().next() {
            prop_assert!(!matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Through the binary: random names and field text imported from an
    /// escaped file are stored exactly; their export is formula-safe and
    /// imports into a fresh database whose export is the same bytes.
    #[test]
    fn random_cells_round_trip_through_export_and_import(
        rows in prop::collection::vec((name(), text()), 1..6)
    ) {
        let src = setup();
        import(&src, &csv_of(&rows));
        let json: serde_json::Value =
            serde_json::from_str(&src.ok("sup", NOW, &["export", "--format", "json"]))
                .expect("json export");
        let recs = json.as_array().expect("array");
        prop_assert_eq!(recs.len(), rows.len());
        for (rec, (p, f)) in recs.iter().zip(&rows) {
            prop_assert_eq!(rec["patient"].as_str(), Some(p.as_str()));
            let stored = rec["fields"]["phone"].as_str().unwrap_or("");
            prop_assert_eq!(stored, f.as_str());
        }
        let exported = src.ok("sup", NOW, &["export"]);
        assert_formula_safe(&exported);
        let dst = setup();
        import(&dst, exported.as_bytes());
        prop_assert_eq!(dst.ok("sup", NOW, &["export"]), exported);
    }
}
