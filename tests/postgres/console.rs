//! The console on PostgreSQL: the real binary in a pseudo-terminal on a
//! database of a server this test starts (TCP, TLS checked with
//! `verify-full`, scram-sha-256). A move committed by another client shows
//! on screen within a second, with no key pressed; when the server is
//! killed with SIGKILL the header says the connection is lost, and once it
//! is back the console carries on by itself: a later move shows too, the
//! console's own commit lands, and the session's end is in the access log.

use crate::common;
use crate::common::pg::{Opts, available};
use crate::common::pg_team::{Team, id_of, ok, row};
use std::time::{Duration, Instant};

const LOST: &str = "connection lost";

#[test]
fn the_console_on_postgres_follows_other_clients_and_rides_out_a_server_kill() {
    if !available("pg_console") {
        return;
    }
    // A cluster of its own: this test kills and restarts the server.
    let t = Team::own(Opts::default());
    let (ada, bea) = (id_of(&t, "Ada Quist"), id_of(&t, "Bea Quist"));

    let mut s = t.console("kim");
    s.wait(Duration::from_secs(15), "the console", |x| {
        x.contains("Breaches ·")
    });
    s.keys_then("1", "the Intake view", |x| {
        x.contains("Intake · 1/3")
            && row(x, "Ada Quist").is_some_and(|r| r.contains("Form Submitted"))
    });
    // The console costs the server one connection: it reads, writes and
    // listens on one session (only its own login is the driver here).
    assert_eq!(t.sessions("driver"), 1, "the console's connections");

    // Another client moves a record: on screen within a second, no key pressed.
    ok(&t.as_user("maria", &["move", &ada, "start_review"]));
    let seen = s.wait(Duration::from_secs(5), "maria's move", |x| {
        row(x, "Ada Quist").is_some_and(|r| r.contains("Intake Review"))
    });
    assert!(
        seen <= Duration::from_secs(1),
        "another client's move took {seen:?} to reach the console"
    );

    // The server dies: the header says so, and the screen stays usable.
    t.cluster.kill9();
    s.wait(
        Duration::from_secs(10),
        "the lost connection in the header",
        |x| x.lines().next().is_some_and(|l| l.contains(LOST)),
    );
    // The cursor moves: to the top (g) and one down (j), wherever the
    // reload left it, with the server down.
    s.keys_then("gj", "the cursor on the second row, the server down", |x| {
        x.contains("Intake · 2/3") && x.lines().next().is_some_and(|l| l.contains(LOST))
    });
    t.cluster.restart();
    let back = Instant::now();
    s.wait(Duration::from_secs(20), "the connection back", |x| {
        !x.contains(LOST)
    });
    eprintln!("reconnected {:?} after the restart", back.elapsed());

    // After the restart, changes elsewhere reach the screen as before...
    ok(&t.as_user("maria", &["claim", &bea]));
    s.wait(
        Duration::from_secs(5),
        "maria's claim after the restart",
        |x| row(x, "Bea Quist").is_some_and(|r| r.contains("maria")),
    );
    // ...and the console's own session writes again: kim claims Cyd.
    s.keys_then("/Cyd\r", "the filter down to Cyd", |x| {
        row(x, "Cyd Quist").is_some() && row(x, "Ada Quist").is_none()
    });
    s.keys_then("c", "kim's claim", |x| {
        row(x, "Cyd Quist").is_some_and(|r| r.contains("kim"))
    });
    let (quit, _) = s.quit();
    assert!(quit, "q exits 0");

    let cyd = id_of(&t, "Cyd Quist");
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&t.as_user("kim", &["show", &cyd, "--json"]))).expect("json");
    let last = shown["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history")
        .clone();
    assert_eq!(last["kind"], "claim");
    assert_eq!(last["actor"], "kim");
    // The session is in the access log, its end included, and all verifies.
    let log = t.cluster.psql(
        &t.db,
        "SELECT string_agg(action, ',' ORDER BY id) FROM carequeue.access_log WHERE actor = 'kim'",
    );
    assert!(
        log.contains("console-open") && log.contains("console-close"),
        "{log}"
    );
    let verified = ok(&t.run(&["--db", &t.url("owner"), "verify"]));
    assert!(verified.starts_with("ok:"), "{verified}");
    assert!(verified.contains(" 3 records"), "{verified}");
}

/// Failover: a primary with a synchronous standby, the console on a
/// multi-host URL (`target_session_attrs=read-write`). The primary is
/// killed with SIGKILL and the standby promoted: the console says it lost
/// its connection, then goes on on the new primary by itself, where a move
/// made after the failover reaches its screen.
#[test]
fn the_console_goes_on_on_the_promoted_standby() {
    if !available("the_console_goes_on_on_the_promoted_standby") {
        return;
    }
    // A cluster of its own: a synchronous standby, and the primary killed
    // (durable, as a primary whose standby takes over would be).
    let mut t = Team::own(Opts {
        durable: true,
        ..Default::default()
    });
    t.cluster
        .configure("synchronous_standby_names = 'standby1'");
    t.cluster.reload();
    let standby = t.cluster.standby("standby1");
    let mut synced = String::new();
    for _ in 0..200 {
        synced = t.cluster.psql(
            "postgres",
            "SELECT coalesce(string_agg(application_name || ':' || sync_state, ','), '') FROM pg_stat_replication",
        );
        if synced == "standby1:sync" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(synced, "standby1:sync", "the standby streams synchronously");
    t.hosts = format!("localhost:{},localhost:{}", t.cluster.port, standby.port);
    t.params = "?target_session_attrs=read-write&connect_timeout=2".to_string();
    let ada = id_of(&t, "Ada Quist");

    let mut s = t.console("kim");
    s.wait(Duration::from_secs(15), "the console", |x| {
        x.contains("Breaches ·")
    });
    s.keys_then("1", "the Intake view", |x| {
        row(x, "Ada Quist").is_some_and(|r| r.contains("Form Submitted"))
    });
    t.cluster.kill9();
    s.wait(
        Duration::from_secs(10),
        "the lost connection in the header",
        |x| x.lines().next().is_some_and(|l| l.contains(LOST)),
    );
    // The failover procedure: the standby drops the synchronous standby it
    // inherited (else its commits would wait for ever), and is promoted.
    standby.configure("synchronous_standby_names = ''");
    standby.reload();
    standby.promote();
    s.wait(
        Duration::from_secs(30),
        "the console on the new primary",
        |x| !x.contains(LOST),
    );
    ok(&t.as_user("maria", &["move", &ada, "start_review"]));
    s.wait(
        Duration::from_secs(5),
        "maria's move on the new primary",
        |x| row(x, "Ada Quist").is_some_and(|r| r.contains("Intake Review")),
    );
    let (quit, _) = s.quit();
    assert!(quit, "q exits 0");
    let on_standby = standby.psql(
        &t.db,
        "SELECT count(*) FROM carequeue.access_log WHERE actor = 'kim' AND action = 'console-close'",
    );
    assert_eq!(on_standby, "1", "the session's end is on the new primary");
    let verified = ok(&t.run(&["--db", &t.url("owner"), "verify"]));
    assert!(verified.starts_with("ok:"), "{verified}");
}

/// The board's breach groups on PostgreSQL are read once for the board's
/// counts and its breach panel together, and again as soon as anyone
/// changes a record or the time moves: another session's claim shows at
/// the same instant.
#[test]
fn breach_groups_are_read_again_after_any_change() {
    use carequeue::store::Board;
    if !available("breach_groups_are_read_again_after_any_change") {
        return;
    }
    let t = Team::new();
    let ada = id_of(&t, "Ada Quist");
    let store = t.store("owner");
    let now = chrono::DateTime::parse_from_rfc3339(common::pg_team::NOW)
        .expect("now")
        .timestamp();
    let later = now + 30 * 86_400;
    let owners = |groups: &[carequeue::store::BreachGroup]| -> Vec<(Option<String>, i64)> {
        groups
            .iter()
            .map(|g| (g.owner.clone(), g.breached))
            .collect()
    };
    assert_eq!(store.breach_groups(now).expect("groups"), vec![]);
    let before = store.breach_groups(later).expect("groups");
    assert_eq!(owners(&before), vec![(None, 3)]);
    ok(&t.as_user("maria", &["claim", &ada]));
    let after = store.breach_groups(later).expect("groups");
    assert_eq!(
        owners(&after),
        vec![(None, 2), (Some("maria".to_string()), 1)]
    );
    let counts = store.stage_counts(later).expect("counts");
    let breached: i64 = counts.iter().map(|c| c.breached).sum();
    let unassigned: i64 = counts.iter().map(|c| c.unassigned).sum();
    assert_eq!((breached, unassigned), (3, 2), "{counts:?}");
}
