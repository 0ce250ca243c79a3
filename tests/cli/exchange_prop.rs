//! `ops::import_csv` never panics, whatever the bytes; every problem it
//! reports has the `FILE:ROW:COLUMN: message` shape, names a real line,
//! never echoes a cell's value; and an import is all rows or none.

use carequeue::domain::{self, DEFAULT_PIPELINE, Pipeline};

use carequeue::ops::{ImportError, import_csv};
use carequeue::store::Store;
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use std::sync::OnceLock;

const FILE: &str = "in.csv";
/// Every data cell the generator makes carries this marker somewhere; a
/// problem line must never contain it.
const PHI: &str = "PHI~";

fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| {
        domain::check(DEFAULT_PIPELINE)
            .pipeline
            .expect("the default pipeline is valid")
    })
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T15:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

fn count(store: &Store, table: &str) -> i64 {
    store
        .conn()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

/// Splits a problem line into (file, row, column, message) by its shape.
fn parse_line(line: &str) -> Option<(&str, u64, &str, &str)> {
    let (file, rest) = line.split_once(':')?;
    let (row, rest) = rest.split_once(':')?;
    let (column, message) = rest.split_once(": ")?;
    let row = row.parse().ok()?;
    Some((file, row, column, message))
}

fn run(input: &[u8], marked: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::create(&dir.path().join("p.db")).expect("db");
    store
        .upsert_user("sup", &["supervisor".to_string()], 0)
        .expect("user");
    store
        .upsert_user("ann", &["ops".to_string()], 0)
        .expect("user");
    let actor = carequeue::ops::actor(&store, "sup").expect("known");
    let (r0, e0) = (count(&store, "records"), count(&store, "events"));
    let lines = 1 + input
        .iter()
        .filter(|b| **b == b'\n' || **b == b'\r')
        .count() as u64;
    match import_csv(pipeline(), &mut store, &actor, FILE, input, 0, now()) {
        Ok(n) => {
            assert_eq!(count(&store, "records"), r0 + n as i64);
            assert!(count(&store, "events") >= e0 + n as i64);
        }
        Err(ImportError::Problems { file, problems, .. }) => {
            assert_eq!(file, FILE);
            assert!(!problems.is_empty(), "a refusal names at least one problem");
            let mut last_row = 0;
            for p in &problems {
                let line = p.to_string();
                assert!(
                    !line.contains('\n') && !line.contains('\r'),
                    "one line: {line:?}"
                );
                let (f, row, column, message) =
                    parse_line(&line).unwrap_or_else(|| panic!("not FILE:ROW:COLUMN: {line:?}"));
                assert_eq!(f, FILE);
                assert_eq!(row, p.row);
                assert_eq!(column, p.column, "{line:?}");
                assert!(!column.is_empty() && !column.contains(':'), "{line:?}");
                assert!(!column.chars().any(char::is_control), "{line:?}");
                assert!(!message.trim().is_empty(), "{line:?}");
                assert!(
                    row >= 1 && row <= lines,
                    "row {row} of {lines} lines: {line:?}"
                );
                assert!(row >= last_row, "problems in row order: {line:?}");
                last_row = row;
                if marked {
                    assert!(!line.contains(PHI), "a cell's value leaked: {line:?}");
                }
            }
            assert_eq!(count(&store, "records"), r0, "all or none");
            assert_eq!(count(&store, "events"), e0, "all or none");
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("patient".to_string()),
        6 => prop::sample::select(vec![
            "id", "dob", "state", "program", "phone", "fill_date", "days_supply",
            "reengagement_attempts", "stage", "owner", "entered_at", "substatus",
        ])
        .prop_map(str::to_string),
        1 => "[a-z:_ \t\"]{0,6}",
        1 => Just("a,b".to_string()),
    ]
}

/// A data cell: plausible values, each tagged with the PHI marker when it
/// is free text, and hostile bytes.
fn cell() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => "[A-Za-z ,\"\n]{0,8}".prop_map(|s| format!("{PHI}{s}").into_bytes()),
        2 => prop::sample::select(vec![
            "", "1990-01-02", "1990-13-45", "CA", "ZZ", "weight", "12", "-3", "x1",
            "intake_review", "lost", "needs_more_info", "nope", "ann", "sup", "ghost",
            "awaiting_patient", "missing_id", "prior_auth", "2026-11-20T10:00:00Z",
            "2030-01-01", "7", "0", "99999999999999999999",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..6).prop_map(|mut b| {
            b.splice(0..0, PHI.bytes());
            b
        }),
    ]
}

/// Writes cells as CSV: quoted (escaping quotes) or raw, at random.
fn csv_bytes(header: &[String], rows: &[Vec<(Vec<u8>, bool)>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(header.join(",").as_bytes());
    out.push(b'\n');
    for row in rows {
        for (i, (c, quote)) in row.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if *quote {
                out.push(b'"');
                for b in c {
                    if *b == b'"' {
                        out.push(b'"');
                    }
                    out.push(*b);
                }
                out.push(b'"');
            } else {
                out.extend_from_slice(c);
            }
        }
        out.push(b'\n');
    }
    out
}

fn csvish() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(header_name(), 1..8).prop_flat_map(|header| {
        let width = header.len();
        let rows = prop::collection::vec(
            prop::collection::vec(
                (cell(), prop::bool::weighted(0.8)),
                width.saturating_sub(1)..=width + 1,
            ),
            0..12,
        );
        (Just(header), rows).prop_map(|(h, rows)| csv_bytes(&h, &rows))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..300)) {
        run(&input, false);
    }

    #[test]
    fn csv_like_input_reports_problems_by_place(input in csvish()) {
        run(&input, true);
    }

    #[test]
    fn mutated_valid_files_report_problems_by_place(
        rows in 1usize..20,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
    ) {
        let mut s = String::from("patient,dob,state,days_supply,stage,owner,substatus,entered_at\n");
        for i in 0..rows {
            s.push_str(&format!("{PHI}{i},1990-01-02,CA,30,intake_review,ann,missing_id,2026-11-20\n"));
        }
        let mut bytes = s.into_bytes();
        // Edits land after the header so that the data, not the header, breaks.
        let start = bytes.iter().position(|b| *b == b'\n').map_or(0, |p| p + 1);
        for (ix, b) in edits {
            let at = start + ix.index(bytes.len() - start);
            bytes[at] = b;
        }
        run(&bytes, false);
    }
}
