//! One transition committed, as the console commits, beside the same row
//! writes on a bare connection (also `CQ_BENCH_ONLY=moves`).

use super::{Line, now, p50_p99, time};
use carequeue::domain::Pipeline;
use carequeue::engine::rules::{MoveArgs, allowed_events};
use carequeue::ops::{self, ChangeOpts};
use carequeue::store::Store;
use std::path::Path;
use std::time::{Duration, Instant};

/// Commits up to 2,000 moves; the store is handed back for the sweep.
pub fn one_transition(p: &Pipeline, path: &Path, out: &mut Vec<Line>) -> Store {
    // One transition committed, as the console commits: checkpoints run
    // on the worker's idle ticks, not inside a commit.
    let mut store = Store::open(path).expect("open");
    store.defer_checkpoints().expect("pragma");
    let every: Vec<String> = p.roles.iter().map(|r| r.id.clone()).collect();
    // Added as an admin adds a user (a `user` event by the admin), so the
    // database still verifies; kept from one run to the next.
    if carequeue::store::Db::member(&store, "bench-all")
        .expect("users")
        .is_none()
    {
        let users = store.users().expect("users");
        let admin = users
            .iter()
            .find(|u| ops::is_admin(p, u))
            .expect("an admin among the demo users")
            .name
            .clone();
        let actor = ops::actor(&store, &admin).expect("the admin acts");
        ops::team::add_user(p, &mut store, &actor, "bench-all", &every, None, now())
            .expect("bench-all");
    }
    let all = ops::actor(&store, "bench-all").expect("bench user");
    let ids: Vec<i64> = {
        let mut st = store
            .conn()
            .prepare(
                "SELECT id FROM records WHERE stage IN ('form_submitted','pending_provider','rx_sent')
                 AND sort_due > ?1 ORDER BY id LIMIT 2000",
            )
            .expect("prep");
        // Records within their SLA: a breached one would first need its reason.
        st.query_map([now().timestamp()], |r| r.get(0))
            .expect("q")
            .filter_map(Result::ok)
            .collect()
    };
    let mut commits = Vec::new();
    for id in &ids {
        let Ok(r) = store.record(*id) else { continue };
        let Some(a) = allowed_events(p, &r, &all, now())
            .into_iter()
            .find(|a| a.requires.is_empty())
        else {
            continue;
        };
        let args = MoveArgs::default();
        let (res, d) = time(|| {
            ops::move_record(
                p,
                &mut store,
                &all,
                *id,
                &a.event,
                &args,
                ChangeOpts::default(),
                now(),
            )
        });
        match res {
            Ok(_) => commits.push(d),
            Err(e) if commits.is_empty() => eprintln!("move refused: {e}"),
            Err(_) => {}
        }
        if commits.len() % 50 == 0 {
            store.checkpoint().expect("idle checkpoint");
        }
    }
    let raw_commits: Vec<Duration> = {
        let mut conn = rusqlite::Connection::open(path).expect("open");
        conn.pragma_update(None, "synchronous", "NORMAL")
            .expect("pragma");
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .expect("pragma");
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS bench_floor_events AS SELECT * FROM events WHERE 0",
        )
        .expect("scratch table");
        ids.iter()
            .map(|id| {
                let t = Instant::now();
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).expect("tx");
                // The same row writes, into a scratch table, so the
                // database still verifies afterwards.
                tx.execute("UPDATE records SET version = version WHERE id = ?1", [id]).expect("update");
                tx.execute(
                    "INSERT INTO bench_floor_events (record_id, at, actor, kind, hash) VALUES (?1, 0, 'raw', 'note', x'00')",
                    [id],
                )
                .expect("insert");
                tx.commit().expect("commit");
                let d = t.elapsed();
                if id % 50 == 0 {
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
                d
            })
            .collect()
    };
    out.push(Line {
        work: format!("one transition committed ({} moves)", commits.len()),
        budget: "p50 ≤ 0.2 ms, p99 ≤ 2 ms".into(),
        ours: p50_p99(commits),
        raw: p50_p99(raw_commits),
    });
    store
}
