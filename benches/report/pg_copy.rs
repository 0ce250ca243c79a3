//! The migrate row's floor: the same records and events read from the
//! SQLite file by a bare rusqlite connection and sent by a bare client
//! with `COPY … FROM STDIN` (text format) into tables of the same shape,
//! created in the same transaction (their indexes too; no foreign keys, no
//! triggers, no verify), committed, then dropped.

use super::pg_bare::DB;
use super::pg_server::Server;
use rusqlite::types::ValueRef;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

const RECORDS: &str = "id, patient, stage, substatus, assignee, owner_role, entered_at, due_at, \
    warn_at, paused_since, paused_left, sort_due, escalation, priority, breach_reason, fields, \
    created_at, updated_at, version, timer_at, notify_role";
const EVENTS: &str =
    "id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, op_id, hash";

fn field(out: &mut Vec<u8>, v: ValueRef, bytes: bool) {
    match v {
        ValueRef::Null => out.extend_from_slice(b"\\N"),
        ValueRef::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        ValueRef::Real(f) => out.extend_from_slice(f.to_string().as_bytes()),
        ValueRef::Text(t) if bytes => {
            out.extend_from_slice(b"\\\\x");
            out.extend_from_slice(t);
        }
        ValueRef::Text(t) => {
            for &b in t {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
        ValueRef::Blob(b) => {
            out.extend_from_slice(b"\\\\x");
            for x in b {
                out.extend_from_slice(format!("{x:02x}").as_bytes());
            }
        }
    }
}

/// Copies records and events into a scratch schema; the time from BEGIN
/// to COMMIT and the rows copied.
pub fn bare_copy(srv: &Server, sqlite: &Path) -> (Duration, u64) {
    let conn =
        rusqlite::Connection::open_with_flags(sqlite, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the SQLite copy read-only");
    let mut c = srv.admin(DB);
    let t = Instant::now();
    let mut tx = c.transaction().expect("BEGIN");
    tx.batch_execute(
        "CREATE SCHEMA floor;
         CREATE TABLE floor.records (LIKE carequeue.records INCLUDING ALL);
         CREATE TABLE floor.events (LIKE carequeue.events INCLUDING ALL);",
    )
    .expect("scratch tables");
    let mut rows = 0u64;
    for (table, cols) in [("records", RECORDS), ("events", EVENTS)] {
        let n = cols.split(',').count();
        let mut w = tx
            .copy_in(&format!("COPY floor.{table} ({cols}) FROM STDIN"))
            .expect("COPY");
        let mut st = conn
            .prepare(&format!("SELECT {cols} FROM {table} ORDER BY id"))
            .expect("read the SQLite table");
        let mut it = st.query([]).expect("query");
        let mut buf = Vec::with_capacity(1 << 20);
        while let Some(r) = it.next().expect("a SQLite row") {
            for i in 0..n {
                if i > 0 {
                    buf.push(b'\t');
                }
                let v = r.get_ref(i).expect("a column");
                field(&mut buf, v, table == "events" && i == n - 1);
            }
            buf.push(b'\n');
            rows += 1;
            if buf.len() >= 1 << 20 {
                w.write_all(&buf).expect("COPY data");
                buf.clear();
            }
        }
        w.write_all(&buf).expect("COPY data");
        w.finish().expect("COPY ends");
    }
    tx.commit().expect("COMMIT");
    let took = t.elapsed();
    c.batch_execute("DROP SCHEMA floor CASCADE")
        .expect("drop the scratch tables");
    (took, rows)
}
