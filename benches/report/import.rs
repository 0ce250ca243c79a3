//! Import of a large CSV, beside a bare INSERT of the same rows.

use super::{now, time};
use carequeue::domain::Pipeline;
use carequeue::ops;
use carequeue::store::Store;
use std::path::PathBuf;
use std::time::Duration;

/// Imports an `n`-row CSV into a fresh database; returns our time and the
/// raw floor (the same rows through one prepared INSERT, indexes after).
pub fn import_rows(p: &Pipeline, n: usize) -> (Duration, Duration) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let csv_path = dir.join(format!("bench-import-{n}.csv"));
    {
        let mut w = csv::Writer::from_path(&csv_path).expect("csv");
        w.write_record(["patient", "dob", "state", "program", "phone", "days_supply"])
            .expect("header");
        for i in 0..n {
            let dob = format!("19{:02}-{:02}-{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28);
            let state = ["CA", "NY", "TX", "FL"][i % 4];
            let program = ["weight", "hair", "sleep", "dermatology"][i % 4];
            w.write_record([
                &format!("Patient {i}"),
                &dob,
                state,
                program,
                &format!("555-{:04}", i % 10_000),
                "30",
            ])
            .expect("row");
        }
        w.flush().expect("flush");
    }
    let db = dir.join(format!("bench-import-{n}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut store = Store::create(&db).expect("create");
    store
        .upsert_user("importer", &["ops".to_string()], 0)
        .expect("user");
    let who = ops::actor(&store, "importer").expect("importer");
    let size = std::fs::metadata(&csv_path).map(|m| m.len()).unwrap_or(0);
    let file = std::fs::File::open(&csv_path).expect("open csv");
    let (res, ours) = time(|| ops::import_csv(p, &mut store, &who, "bench.csv", file, size, now()));
    assert_eq!(res.ok(), Some(n), "import succeeds");
    drop(store);

    let raw_db = dir.join(format!("bench-import-raw-{n}.db"));
    let _ = std::fs::remove_file(&raw_db);
    let raw = time(|| {
        let mut conn = rusqlite::Connection::open(&raw_db).expect("open");
        conn.execute_batch(
            "CREATE TABLE r (id INTEGER PRIMARY KEY, patient TEXT, stage TEXT, fields TEXT, sort_due INTEGER);",
        )
        .expect("schema");
        let tx = conn.transaction().expect("tx");
        {
            let mut rdr = csv::Reader::from_path(&csv_path).expect("csv");
            let mut st = tx.prepare("INSERT INTO r (patient, stage, fields, sort_due) VALUES (?1, 'new', ?2, ?3)").expect("prep");
            for (i, row) in rdr.records().enumerate() {
                let row = row.expect("row");
                let fields = format!("{{\"dob\":\"{}\",\"state\":\"{}\"}}", &row[1], &row[2]);
                st.execute(rusqlite::params![&row[0], fields, i as i64]).expect("insert");
            }
        }
        tx.execute_batch("CREATE INDEX r_stage ON r(stage, sort_due, id);").expect("index");
        tx.commit().expect("commit");
    })
    .1;
    let _ = std::fs::remove_file(&raw_db);
    (ours, raw)
}
