//! Two hosts: the server in this network namespace, two clients in
//! another joined to it by a veth pair, over TCP with TLS and
//! scram-sha-256: the real binary, run there with `ip netns exec`. A move
//! one client commits shows in the other's console within one second,
//! with no key pressed. The namespace and the pair are removed afterwards
//! (also when the test fails).

use crate::common::pg::{Opts, available};
use crate::common::pg_team::{Team, id_of, ok, row};
use std::process::Command;
use std::time::Duration;

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
    // A cluster of its own: it listens on the veth's address too, and the
    // test counts the `driver` login's connections on the whole server.
    let mut t = Team::own(Opts {
        also: Some(SERVER),
        ..Default::default()
    });
    // Every client from here on runs on the other host, over the veth.
    // The server's certificate names localhost, not the veth's address:
    // the chain is checked, the name cannot be.
    t.hosts = format!("{SERVER}:{}", t.cluster.port);
    t.sslmode = "verify-ca";
    t.netns = Some(host.ns.clone());
    let ada = id_of(&t, "Ada Quist");

    // Kim's console, on the client host.
    let mut s = t.console("kim");
    s.wait(Duration::from_secs(15), "the console", |x| {
        x.contains("Breaches ·")
    });
    s.keys_then("1", "the Intake view", |x| {
        row(x, "Ada Quist").is_some_and(|r| r.contains("Form Submitted"))
    });
    let kim_from = t.cluster.psql(
        "postgres",
        "SELECT string_agg(DISTINCT host(client_addr), ',') FROM pg_stat_activity WHERE usename = 'driver'",
    );
    assert_eq!(
        kim_from, CLIENT,
        "kim's console connects from the other host"
    );
    let tls = t.cluster.psql(
        "postgres",
        "SELECT bool_and(s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'driver'",
    );
    assert_eq!(tls, "t", "every connection of the console is TLS");

    // Maria, on the same client host, moves a record.
    ok(&t.as_user("maria", &["move", &ada, "start_review"]));
    let seen = s.wait(Duration::from_secs(5), "maria's move", |x| {
        row(x, "Ada Quist").is_some_and(|r| r.contains("Intake Review"))
    });
    assert!(
        seen <= Duration::from_secs(1),
        "maria's move took {seen:?} to reach kim's console"
    );
    let (quit, _) = s.quit();
    assert!(quit, "q exits 0");
}
