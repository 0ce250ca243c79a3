//! Two hosts: the server in this network namespace, two clients in
//! another joined to it by a veth pair, over TCP with TLS and
//! scram-sha-256. A change one client commits reaches the other's live
//! listener within one second. The namespace and the pair are removed
//! afterwards (also when the test fails).

mod common;

use carequeue::store::events::NewEvent;
use carequeue::store::pg::live::{Listener, Live};
use carequeue::store::pg::{self, conninfo, schema};
use common::pg::{Cluster, Opts, Vars, available};
use std::collections::BTreeMap;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::{Duration, Instant};

const SERVER: &str = "10.77.0.1";
const CLIENT: &str = "10.77.0.2";

/// The client host: a network namespace, and a veth pair with one end in
/// it. Deleted on drop.
struct Host {
    ns: String,
    veth: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Host {
    fn new() -> Host {
        let id = std::process::id() % 100_000;
        let h = Host {
            ns: format!("cqt_ns{id}"),
            veth: format!("cqv{id}"),
        };
        let peer = format!("{}b", h.veth);
        ip(&["netns", "add", &h.ns]);
        ip(&[
            "link", "add", &h.veth, "type", "veth", "peer", "name", &peer,
        ]);
        ip(&["link", "set", &peer, "netns", &h.ns]);
        ip(&["addr", "add", &format!("{SERVER}/24"), "dev", &h.veth]);
        ip(&["link", "set", &h.veth, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", &h.ns, "ip"];
            all.extend_from_slice(args);
            ip(&all);
        };
        inside(&["addr", "add", &format!("{CLIENT}/24"), "dev", &peer]);
        inside(&["link", "set", &peer, "up"]);
        inside(&["link", "set", "lo", "up"]);
        h
    }

    /// Moves the calling thread (and the threads it starts) into the
    /// client host's network.
    fn enter(&self) {
        let f = std::fs::File::open(format!("/var/run/netns/{}", self.ns)).expect("netns");
        // SAFETY: setns on an open namespace file; affects this thread only.
        let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Deleting the namespace deletes its end of the pair, and so both.
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).output();
        let _ = Command::new("ip")
            .args(["link", "del", &self.veth])
            .output();
    }
}

#[test]
fn a_change_on_one_host_reaches_a_console_on_another_within_a_second() {
    if !available("a_change_on_one_host_reaches_a_console_on_another") {
        return;
    }
    let host = Host::new();
    let cluster = Cluster::start(&Opts {
        tcp: true,
        also: Some(SERVER),
        ..Default::default()
    });
    let passwords = cluster.logins(&["owner", "ann_login", "kim_login"]);
    cluster.psql("postgres", "CREATE DATABASE care OWNER owner");
    let mut m = BTreeMap::new();
    m.insert("PGPASSFILE", passwords.file.display().to_string());
    m.insert("PGSSLROOTCERT", cluster.ca().display().to_string());
    // The server's certificate names localhost, not the veth's address:
    // the chain is checked, the name cannot be.
    m.insert("PGSSLMODE", "verify-ca".to_string());
    let vars = Vars(m);
    let local = format!("postgres://owner@localhost:{}/care", cluster.port);
    let mut owner = pg::connect(&conninfo::parse(&local, &vars).expect("url")).expect("owner");
    schema::install(&mut owner, false).expect("install");
    pg::schema::session(&mut owner).expect("session");
    owner
        .batch_execute(
            "INSERT INTO users (name, login, roles, created_at) VALUES
                ('ann', 'ann_login', 'ops', 0), ('kim', 'kim_login', 'ops', 0);
             INSERT INTO records (id, patient, stage, entered_at, sort_due, created_at, updated_at)
                VALUES (1, 'P', 'new', 0, 0, 0, 0);",
        )
        .expect("seed");
    cluster.psql("postgres", "GRANT care_member TO ann_login, kim_login");
    let remote = |login: &str| {
        conninfo::parse(
            &format!("postgres://{login}@{SERVER}:{}/care", cluster.port),
            &vars,
        )
        .expect("url")
    };
    let (ann, kim) = (remote("ann_login"), remote("kim_login"));

    let host = &host;
    let listening = &std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        // Kim's console, on the client host.
        let console = s.spawn(move || {
            host.enter();
            let l = Listener::start(kim);
            let next = || l.rx.recv_timeout(Duration::from_secs(10)).expect("live");
            assert_eq!(next(), Live::Connected);
            assert_eq!(next(), Live::Seq(0));
            listening.wait();
            let heard = next();
            (l, heard)
        });
        // Ann on the same host, once kim listens: one change.
        let writer = s.spawn(move || {
            host.enter();
            let mut c = pg::connect(&ann).expect("ann connects across the veth");
            pg::schema::session(&mut c).expect("session");
            let addr: String = c
                .query_one("SELECT host(inet_client_addr())", &[])
                .expect("addr")
                .get(0);
            c.query_one(
                "SELECT 1 FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
                &[],
            )
            .expect("the connection is TLS");
            // Kim listens, past the catch-up read: the next thing the
            // console hears is this change.
            listening.wait();
            let mut tx = c.transaction().expect("begin");
            pg::chain::append(
                &mut tx,
                &NewEvent {
                    record_id: Some(1),
                    at: 1000,
                    kind: "note",
                    note: Some("moved on"),
                    ..Default::default()
                },
            )
            .expect("append");
            tx.commit().expect("commit");
            (addr, Instant::now())
        });
        let (addr, committed) = writer.join().expect("writer");
        let (_listener, heard) = console.join().expect("console");
        let latency = committed.elapsed();
        let kim_from = cluster.psql(
            "postgres",
            "SELECT string_agg(DISTINCT host(client_addr), ',') FROM pg_stat_activity WHERE usename = 'kim_login'",
        );
        assert_eq!(
            kim_from, CLIENT,
            "kim's console listens from the other host"
        );
        assert_eq!(addr, CLIENT, "ann's connection came from the other host");
        assert_eq!(heard, Live::Seq(1), "kim's console heard ann's change");
        assert!(
            latency < Duration::from_secs(1),
            "heard within a second of the commit (at most {latency:?} after it)"
        );
    });
}
