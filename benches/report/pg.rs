//! The PostgreSQL part of the report (`CQ_BENCH_ONLY=pg`, and the end of
//! the full run): a throwaway server ([`super::pg_server`]), the bench's
//! demo database copied to it with the project's own `carequeue migrate`,
//! then carequeue's store beside a bare client ([`super::pg_rows`]).
//!
//! The SQLite file is copied first (the run changes it), its demo users
//! given logins of their own names (`user add NAME --login NAME`, as a
//! team gets before it moves) plus `bench-all` with every role, as the
//! SQLite rows use. On the server: a login per user, `owner` (CREATEROLE,
//! owns the database, runs migrate) and `driver`, which may `SET ROLE` to
//! each user's login; a demo is a trust-mode database, so a `driver`
//! session acts as a user through `ops::identity::resolve`, as in
//! tests/conformance.rs.
//!
//! `CQ_BENCH_PG_RECORDS=N` runs this part on a demo database of N records
//! when the rest of the run uses another size.

use super::pg_bare::{DB, DRIVER};
use super::pg_console::{change_visible, first_frame};
use super::pg_rows::{Tally, concurrent, page, transitions, versus};
use super::pg_server::{self, Server};
use super::print::Section;
use super::{Line, ms, now, time};
use carequeue::domain::Pipeline;
use carequeue::ops;
use carequeue::store::Store;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The user every write row acts as (every role, as in the SQLite rows).
const WRITER: &str = "bench-all";

/// The server's settings: durable writes (fsync, full pages) but commits
/// that do not wait for their WAL flush, as SQLite's WAL with
/// `synchronous=NORMAL` (the store's setting) does not; one row measures
/// `synchronous_commit = on` too. Memory for a database of this size.
const CONF: &str = "fsync = on
synchronous_commit = off
full_page_writes = on
shared_buffers = 1GB
max_wal_size = 8GB
checkpoint_timeout = 30min
maintenance_work_mem = 256MB
max_connections = 300";

/// The rows this part prints, for a run that cannot measure them.
const ROWS: [(&str, &str); 6] = [
    (
        "migrate (carequeue migrate --from FILE.db --to postgres://…)",
        "-",
    ),
    (
        "one transition committed",
        "p50 ≤ 1 ms, ≤ 3× the bare client",
    ),
    (
        "queue page: first 40 rows of the default view",
        "p50 ≤ 3 ms",
    ),
    (
        "8 concurrent writers on overlapping records",
        "≥ 50% of the bare clients, 0 errors",
    ),
    ("start to first frame (PostgreSQL, warm cache)", "≤ 300 ms"),
    (
        "change visible in another console (PostgreSQL)",
        "p99 ≤ 1 s",
    ),
];

fn not_measured(why: &str, n: usize) -> Section {
    Section {
        title: format!("PostgreSQL ({n} records): not measured: {why}"),
        lines: ROWS
            .iter()
            .map(|(work, budget)| Line {
                work: (*work).into(),
                budget: (*budget).into(),
                ours: format!("not measured: {why}"),
                raw: "-".into(),
            })
            .collect(),
    }
}

/// The machine's load averages (1, 5, 15 min): the figures share two
/// cores with whatever else runs.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A consistent copy of the bench database (checkpointed first) in `to`.
fn snapshot(from: &Path, to: &Path) {
    let conn = rusqlite::Connection::open(from).expect("open the bench database");
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    std::fs::copy(from, to).expect("copy the bench database");
    let (mut wal, mut wal_to) = (from.as_os_str().to_owned(), to.as_os_str().to_owned());
    wal.push("-wal");
    wal_to.push("-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        std::fs::copy(&wal, &wal_to).expect("copy the bench database's WAL");
    }
    drop(conn);
}

/// Gives every user of the copy a login of their own name, and adds
/// `bench-all` with every role: the admin's name, every user's, the
/// supervisor's, and the events the copy then holds.
fn link_logins(p: &Pipeline, db: &Path) -> (String, Vec<String>, String, i64) {
    let mut store = Store::open(db).expect("open the copy");
    let users = store.users().expect("users");
    let admin = users
        .iter()
        .find(|u| ops::is_admin(p, u))
        .expect("an admin among the demo users")
        .name
        .clone();
    let sup = users
        .iter()
        .find(|u| u.name != WRITER && u.roles.iter().any(|r| r == "supervisor"))
        .expect("a supervisor among the demo users")
        .name
        .clone();
    let actor = ops::actor(&store, &admin).expect("the admin acts");
    for u in &users {
        ops::team::add_user(p, &mut store, &actor, &u.name, &[], Some(&u.name), now())
            .unwrap_or_else(|e| panic!("link {}: {e}", u.name));
    }
    let every: Vec<String> = p.roles.iter().map(|r| r.id.clone()).collect();
    ops::team::add_user(p, &mut store, &actor, WRITER, &every, Some(WRITER), now())
        .expect("bench-all");
    let mut names: Vec<String> = users.into_iter().map(|u| u.name).collect();
    if !names.iter().any(|n| n == WRITER) {
        names.push(WRITER.into());
    }
    let events: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("count the events");
    (admin, names, sup, events)
}

/// Runs `carequeue migrate` as `admin`: its wall time, its peak resident
/// memory (kB), what it printed and its phases as the server saw them.
fn migrate(srv: &Server, db: &Path, admin: &str, dir: &Path) -> (Duration, i64, String, String) {
    let out = dir.join("migrate.out");
    let err = dir.join("migrate.err");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_carequeue"));
    for k in [
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGPASSWORD",
        "PGSSLMODE",
    ] {
        cmd.env_remove(k);
    }
    cmd.current_dir(dir)
        .args(["--as", admin, "--now"])
        .arg(now().format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .args(["migrate", "--from"])
        .arg(db)
        .args(["--to", &srv.url("owner", DB)])
        .stdout(std::fs::File::create(&out).expect("migrate.out"))
        .stderr(std::fs::File::create(&err).expect("migrate.err"));
    let stop = AtomicBool::new(false);
    let t0 = Instant::now();
    let (status, rss, took, samples) = std::thread::scope(|s| {
        let watcher = s.spawn(|| super::pg_watch::watch(srv, &stop, t0));
        // Reaped by wait4 below, which also reads its peak memory.
        #[allow(clippy::zombie_processes)]
        let child = cmd.spawn().expect("run carequeue migrate");
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value; wait4 fills it in.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child, which nothing else waits for.
        let rc = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut ru) };
        let took = t0.elapsed();
        stop.store(true, Ordering::Relaxed);
        assert_eq!(rc, child.id() as libc::pid_t, "wait for carequeue migrate");
        let samples = watcher.join().expect("the pg_stat_activity watcher");
        (status, ru.ru_maxrss, took, samples)
    });
    let printed = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "carequeue migrate failed:\n{printed}\n{}",
        std::fs::read_to_string(&err).unwrap_or_default()
    );
    let phases = super::pg_watch::phases(&samples, took)
        .unwrap_or_else(|| "too quick to sample each phase".into());
    (took, rss, printed, phases)
}

pub fn run(p: &Arc<Pipeline>, records: usize, sqlite: &Path, out: &mut Vec<Line>) -> Section {
    let n: usize = std::env::var("CQ_BENCH_PG_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(records);
    if let Some(why) = pg_server::unavailable() {
        eprintln!("pg: not measured: {why}");
        return not_measured(&why, n);
    }
    let source = if n == records {
        sqlite.to_path_buf()
    } else {
        super::db::bench_db(p, n, out)
    };
    let work = tempfile::Builder::new()
        .prefix("cq-bench-pg-src-")
        .tempdir()
        .expect("a temporary folder");
    let copy = work.path().join("bench.db");
    let ((), took) = time(|| snapshot(&source, &copy));
    eprintln!("pg: copied {} in {}", source.display(), ms(took));
    let (admin, users, sup, events) = link_logins(p, &copy);

    let srv = Server::start(CONF);
    let settings = srv.settings();
    eprintln!("pg: server up: {settings}");
    {
        let mut c = srv.admin("postgres");
        let mut sql = format!("CREATE ROLE owner LOGIN CREATEROLE; CREATE ROLE {DRIVER} LOGIN;");
        for u in &users {
            sql.push_str(&format!(
                "CREATE ROLE {0} LOGIN; GRANT {0} TO {DRIVER};",
                quoted(u)
            ));
        }
        c.batch_execute(&sql).expect("the bench's logins");
        c.batch_execute(&format!("CREATE DATABASE {DB} OWNER owner"))
            .expect("the bench's database");
    }

    let mut lines = Vec::new();
    eprintln!("pg: carequeue migrate ({n} records, {events} events)…");
    let (took, rss, printed, phases) = migrate(&srv, &copy, &admin, work.path());
    eprint!("{printed}");
    let (floor, copied) = super::pg_copy::bare_copy(&srv, &copy);
    lines.push(Line {
        work: format!(
            "migrate {n} records, {events} events (carequeue migrate: verify, COPY, verify the copy)"
        ),
        budget: "-".into(),
        ours: format!(
            "{} ({:.0} events/s), peak RSS {:.2} GB",
            ms(took),
            events as f64 / took.as_secs_f64().max(1e-9),
            rss as f64 / (1024.0 * 1024.0)
        ),
        raw: format!(
            "bare COPY of the {copied} record + event rows, same indexes, no FKs, no verify: {}",
            ms(floor)
        ),
    });
    lines.push(Line {
        work: "  its phases, as the server saw its session".into(),
        budget: "-".into(),
        ours: phases,
        raw: "-".into(),
    });
    let mut admin_c = srv.admin(DB);
    let ((), vacuum) = time(|| {
        admin_c
            .batch_execute("VACUUM ANALYZE carequeue.records, carequeue.events")
            .expect("VACUUM ANALYZE");
    });
    let size: i64 = admin_c
        .query_one("SELECT pg_database_size(current_database())", &[])
        .and_then(|r| r.try_get(0))
        .expect("database size");
    lines.push(Line {
        work: format!(
            "  then VACUUM ANALYZE, before the rows below (database {:.2} GB)",
            size as f64 / 1e9
        ),
        budget: "-".into(),
        ours: ms(vacuum),
        raw: "-".into(),
    });
    let start: i64 = admin_c
        .query_one(
            "SELECT length FROM carequeue.chains WHERE name = 'events'",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .expect("the chain's length");

    let load_before = load();
    let url = srv.url(DRIVER, DB);
    let ids: Vec<i64> = admin_c
        .query(
            "SELECT id FROM carequeue.records WHERE stage IN ('form_submitted','pending_provider','rx_sent')
             AND sort_due > $1 ORDER BY id LIMIT 3000",
            &[&now().timestamp()],
        )
        .expect("records to move")
        .iter()
        .filter_map(|r| r.try_get(0).ok())
        .collect();
    let (first, rest) = ids.split_at(ids.len().min(2000));
    let (ours, floor, refused) = transitions(p, &srv, &url, WRITER, first);
    let (o, f) = versus(&ours, &floor);
    lines.push(Line {
        work: format!(
            "one transition committed ({} moves, {} bare; {refused} refused)",
            ours.len(),
            floor.len()
        ),
        budget: "p50 ≤ 1 ms, ≤ 3× the bare client".into(),
        ours: o,
        raw: format!("BEGIN, begin_change, record_rows, write_change, COMMIT (prepared): {f}"),
    });
    admin_c
        .batch_execute(&format!("ALTER ROLE {DRIVER} SET synchronous_commit = on"))
        .expect("synchronous_commit on for the driver's sessions");
    let (ours, floor, _) = transitions(p, &srv, &url, WRITER, rest);
    admin_c
        .batch_execute(&format!("ALTER ROLE {DRIVER} RESET synchronous_commit"))
        .expect("synchronous_commit back");
    let (o, f) = versus(&ours, &floor);
    lines.push(Line {
        work: format!(
            "  same, synchronous_commit = on ({} moves, {} bare)",
            ours.len(),
            floor.len()
        ),
        budget: "-".into(),
        ours: o,
        raw: f,
    });

    page(p, &srv, &url, &sup, &mut lines);
    let reread = first_frame(p, &srv, &url, &sup, &mut lines);
    change_visible(p, &srv, &url, &sup, WRITER, &reread, &mut lines);
    super::pg_fleet::fleet(p, &url, &mut admin_c, DB, &sup, WRITER, &mut lines);

    let shared: Vec<i64> = admin_c
        .query(
            "SELECT id FROM carequeue.records ORDER BY id DESC LIMIT 16",
            &[],
        )
        .expect("shared records")
        .iter()
        .filter_map(|r| r.try_get(0).ok())
        .collect();
    let (dur, rounds) = (Duration::from_secs(5), 2);
    let (ours, floor): (Tally, Tally) = concurrent(&srv, &url, WRITER, &shared, dur, rounds);
    for (who, t) in [("carequeue", &ours), ("bare", &floor)] {
        if let Some(e) = &t.first_error {
            eprintln!("pg: {who} writers: first error: {e}");
        }
    }
    lines.push(Line {
        work: format!(
            "8 concurrent writers, {} shared records (note, expect-version; {rounds} × {} s)",
            shared.len(),
            dur.as_secs()
        ),
        budget: "≥ 50% of the bare clients, 0 errors".into(),
        ours: format!(
            "{} = {:.0}% of the bare clients",
            ours.summary(),
            100.0 * ours.rate() / floor.rate().max(1e-9)
        ),
        raw: format!("8 bare clients: {}", floor.summary()),
    });
    let load_after = load();
    let end: i64 = admin_c
        .query_one(
            "SELECT length FROM carequeue.chains WHERE name = 'events'",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .expect("the chain's length");
    // The server sealed both sides' events: carequeue's own re-read checks
    // every hash of the whole chain, and its head, as the schema's owner.
    let mut owner_c = srv.connect("owner", DB);
    let (checked, took) = time(|| carequeue::store::pg::chain::check(&mut owner_c));
    drop(owner_c);
    lines.push(Line {
        work: "event chain after the rows (the whole chain re-hashed, both sides' appends in it)"
            .into(),
        budget: "sound".into(),
        ours: match checked {
            Ok(k) => format!(
                "{} events appended; all {k} hashes and the head match ({})",
                end - start,
                ms(took)
            ),
            Err(e) => format!("BROKEN: {e}"),
        },
        raw: "-".into(),
    });
    let scale = if n == records {
        format!("{n} records, {events} events")
    } else {
        format!(
            "{n} records, {events} events (CQ_BENCH_PG_RECORDS; the SQLite rows above ran on {records})"
        )
    };
    drop(admin_c);
    drop(srv);
    Section {
        title: format!(
            "carequeue on PostgreSQL ({scale}); server: {settings}; load average {load_before} before the rows, {load_after} after"
        ),
        lines,
    }
}
