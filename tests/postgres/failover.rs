//! Failover on real servers: a primary with a synchronous streaming
//! standby (`pg_basebackup -R`), writers on a multi-host connection string
//! with `target_session_attrs=read-write`. The primary is killed with
//! SIGKILL while they write, the standby is promoted (after clearing the
//! `synchronous_standby_names` it inherited), and the writers go on there
//! by themselves. Every acknowledged change is on the new primary exactly
//! once, and `verify` passes on it.

use crate::common::pg::{Cluster, Opts, Vars, available};
use crate::common::{Cq, command, default_pipeline};
use carequeue::domain::Pipeline;
use carequeue::store::pg::{PgStore, conninfo};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NOW: &str = "2026-11-02T09:00:00Z";
const EACH: i64 = 25;

fn pipeline() -> Pipeline {
    let text = std::fs::read_to_string(default_pipeline()).expect("pipeline");
    carequeue::domain::check(&text).pipeline.expect("valid")
}

#[test]
fn writers_go_on_on_the_promoted_standby_with_every_acknowledged_change() {
    if !available("writers_go_on_on_the_promoted_standby") {
        return;
    }
    // Clusters of its own: a primary with a synchronous standby, the
    // primary killed and the standby promoted (durable, fsync on).
    let primary = Cluster::start(&Opts {
        tcp: true,
        durable: true,
        ..Default::default()
    });
    let passwords = primary.logins(&["owner", "maria", "kim"]);
    primary.psql("postgres", "CREATE DATABASE care OWNER owner");
    // Commits wait for the standby: acknowledged means on both. The
    // standby's copy of the configuration inherits the setting.
    primary.configure("synchronous_standby_names = 'standby1'");
    primary.reload();
    let standby = primary.standby("standby1");
    let mut synced = String::new();
    for _ in 0..200 {
        synced = primary.psql(
            "postgres",
            "SELECT coalesce(string_agg(application_name || ':' || sync_state, ','), '') FROM pg_stat_replication",
        );
        if synced == "standby1:sync" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(synced, "standby1:sync", "the standby streams synchronously");

    let mut vars = BTreeMap::new();
    vars.insert("PGPASSFILE", passwords.file.display().to_string());
    vars.insert("PGSSLROOTCERT", primary.ca().display().to_string());
    vars.insert("PGSSLMODE", "verify-full".to_string());
    let url = |login: &str| {
        format!(
            "postgres://{login}@localhost:{},localhost:{}/care?target_session_attrs=read-write&connect_timeout=2",
            primary.port, standby.port
        )
    };
    let carequeue = |cq: &Cq, args: &[&str]| {
        let out = command()
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(cq.dir.path())
            .args(["--as", "nobody", "--now", NOW])
            .args(args)
            .output()
            .expect("run carequeue");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{args:?}: {text}");
        text
    };

    // The team's database, migrated from SQLite to the primary.
    let cq = Cq::init_default(NOW);
    for (name, role) in [("maria", "ops"), ("kim", "supervisor")] {
        cq.ok(
            "nobody",
            NOW,
            &["user", "add", name, "--role", role, "--login", name],
        );
    }
    cq.add("maria", NOW, "Ana Souza", &[]);
    let db = cq.db.to_str().expect("path").to_string();
    carequeue(&cq, &["migrate", "--from", &db, "--to", &url("owner")]);
    let before: i64 = primary
        .psql("care", "SELECT count(*) FROM carequeue.events")
        .parse()
        .expect("count");

    let p = Arc::new(pipeline());
    let vars = Arc::new(Vars(vars.clone()));
    let done = Arc::new(AtomicI64::new(0));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..4i64)
        .map(|w| {
            let login = if w % 2 == 0 { "maria" } else { "kim" };
            let info = conninfo::parse(&url(login), &*vars).expect("url");
            let (p, done, acked) = (p.clone(), done.clone(), acked.clone());
            std::thread::spawn(move || {
                // Connects as a client would: whichever host takes writes.
                let connect = || {
                    for _ in 0..600 {
                        if let Ok(store) = PgStore::connect(&info) {
                            return store;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    panic!("{login}: no primary came back");
                };
                let mut store = connect();
                let now = chrono::DateTime::parse_from_rfc3339(NOW)
                    .expect("now")
                    .with_timezone(&chrono::Utc);
                let mut retried = 0;
                for i in 0..EACH {
                    let op = format!("w{w}-{i}");
                    let mut tries = 0;
                    // The product's own path: `add --op-id`, as the login's user.
                    loop {
                        let added =
                            carequeue::ops::identity::resolve(&store, None).and_then(|actor| {
                                carequeue::ops::add_record_once(
                                    &p,
                                    &mut store,
                                    &actor,
                                    &format!("Patient {w}-{i}"),
                                    BTreeMap::new(),
                                    Some(&op),
                                    now,
                                )
                            });
                        match added {
                            Ok(_) => break,
                            Err(_) => {
                                // Its outcome is unknown: reconnect (to
                                // whichever server now takes writes) and
                                // send the same op again.
                                tries += 1;
                                retried += 1;
                                assert!(tries < 600, "{op}: never acknowledged");
                                store = connect();
                            }
                        }
                    }
                    acked.lock().expect("acked").push(op);
                    done.fetch_add(1, Ordering::SeqCst);
                }
                retried
            })
        })
        .collect();

    while done.load(Ordering::SeqCst) < 30 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let acked_before_kill = done.load(Ordering::SeqCst);
    primary.kill9();
    // The failover procedure: the standby drops the synchronous standby it
    // inherited (else its commits would wait for ever), and is promoted.
    standby.configure("synchronous_standby_names = ''");
    standby.reload();
    standby.promote();

    let retried: i64 = writers.into_iter().map(|w| w.join().expect("writer")).sum();
    assert!(retried > 0, "the kill interrupted writers");
    assert!(acked_before_kill < 4 * EACH, "writers were still at work");
    let acked = acked.lock().expect("acked").clone();
    assert_eq!(acked.len() as i64, 4 * EACH, "every change acknowledged");
    let once = standby.psql(
        "care",
        "SELECT count(*) FROM (SELECT op_id FROM carequeue.events WHERE op_id LIKE 'w%' GROUP BY op_id HAVING count(*) = 1) x",
    );
    assert_eq!(
        once,
        (4 * EACH).to_string(),
        "each acknowledged op exactly once"
    );
    let total: i64 = standby
        .psql("care", "SELECT count(*) FROM carequeue.events")
        .parse()
        .expect("count");
    assert_eq!(
        total,
        before + 4 * EACH,
        "nothing applied twice, nothing lost"
    );
    let out = carequeue(&cq, &["--db", &url("owner"), "verify"]);
    assert!(
        out.starts_with(&format!("ok: {total} events, {} records", 4 * EACH + 1)),
        "{out}"
    );
}
