//! Issue 25's audit rows (`CQ_BENCH_ONLY=audit`, also part of the full
//! run), on the kept database, each beside a floor from the same run: the
//! stays table rebuilt from the log (floor: read every event), the full
//! audit and a 30-day audit over stays (floor: read every stay), the audit
//! from the log as a what-if pipeline gets it, and the console's memory
//! with the Audit view open.

use super::{Line, memory, ms, now, time};
use carequeue::domain::Pipeline;
use carequeue::engine::audit::{AuditRange, StaysUse};
use carequeue::store::Store;
use carequeue::store::board::Board;
use std::path::Path;
use std::time::Duration;

fn ratio(ours: Duration, floor: Duration) -> String {
    format!(
        "{} (×{:.1} the floor)",
        ms(ours),
        ours.as_secs_f64() / floor.as_secs_f64().max(1e-9)
    )
}

pub fn run(p: &Pipeline, path: &Path, sup: &str, out: &mut Vec<Line>) {
    let mut store = Store::open(path).expect("open");
    let (_, rebuild) = time(|| store.rebuild_stays().expect("rebuild the stays"));
    let stays: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM stays", [], |r| r.get(0))
        .expect("count");
    let read_events = time(|| {
        let conn = rusqlite::Connection::open(path).expect("open");
        let mut st = conn
            .prepare("SELECT record_id, at, actor, kind, from_stage, to_stage, reason FROM events ORDER BY id")
            .expect("prepare");
        let mut rows = st.query([]).expect("query");
        let mut n = 0u64;
        while let Ok(Some(r)) = rows.next() {
            n += r.get::<_, Option<i64>>(1).ok().flatten().map_or(0, |_| 1);
        }
        n
    })
    .1;
    out.push(Line {
        work: format!("stays rebuilt from the whole log ({stays} stays)"),
        budget: "-".into(),
        ours: ratio(rebuild, read_events),
        raw: format!("read every event in log order {}", ms(read_events)),
    });

    let read_stays = time(|| {
        let conn = rusqlite::Connection::open(path).expect("open");
        let mut st = conn
            .prepare(
                "SELECT record_id, visit, stage, entered_at, left_at, working, paused, \
                 paused_since, owner_acted, assigned, ack, exit_kind, exit_to, events \
                 FROM stays ORDER BY record_id, visit",
            )
            .expect("prepare");
        let mut rows = st.query([]).expect("query");
        let mut sum = 0i64;
        while let Ok(Some(r)) = rows.next() {
            sum = sum.wrapping_add(r.get::<_, i64>(3).unwrap_or(0));
        }
        sum
    })
    .1;
    let audit_store = Store::open(path).expect("open");
    let (full, took) =
        time(|| Board::audit(&audit_store, p, AuditRange::ALL, now()).expect("audit"));
    assert_eq!(full.stays, StaysUse::Stays, "the audit reads the stays");
    out.push(Line {
        work: format!("full audit over stays ({} records)", full.records),
        budget: "≤ 300 ms".into(),
        ours: ratio(took, read_stays),
        raw: format!("read every stay {}", ms(read_stays)),
    });
    let month = AuditRange {
        since: Some(now().timestamp() - 30 * 86_400),
        until: None,
    };
    let (_, took) = time(|| Board::audit(&audit_store, p, month, now()).expect("audit"));
    out.push(Line {
        work: "audit of the last 30 days over stays".into(),
        budget: "≤ 50 ms".into(),
        ours: ratio(took, read_stays),
        raw: format!("read every stay {}", ms(read_stays)),
    });
    let (_, took) = time(|| {
        carequeue::store::sqlite::audit_scan::audit(audit_store.conn(), p, AuditRange::ALL, now())
            .expect("audit")
    });
    out.push(Line {
        work: "full audit from the log (what-if pipeline, or stale)".into(),
        budget: "-".into(),
        ours: ratio(took, read_events),
        raw: format!("read every event in log order {}", ms(read_events)),
    });
    let base = memory::console_rss(path, sup, b"", Duration::from_secs(4));
    let with_audit = memory::console_rss(path, sup, b"9", Duration::from_secs(15));
    if let (Some(base), Some(kb)) = (base, with_audit) {
        out.push(Line {
            work: "resident memory (console, Audit view open, peak)".into(),
            budget: "≤ 60 MB".into(),
            ours: format!(
                "{:.1} MB (×{:.1} the floor)",
                kb as f64 / 1024.0,
                kb as f64 / (base as f64).max(1.0)
            ),
            raw: format!("the console without it {:.1} MB", base as f64 / 1024.0),
        });
    }
}
