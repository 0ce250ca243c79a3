//! A webhook target that keeps failing (a dead message, or a message
//! failing for a quarter of an hour) is named in the header, to
//! supervisors and admins only; one failing for minutes is not yet.

use crate::harness::{Console, demo_db, now};

/// Delivery state as a deliverer would have left it: `ehr` with a dead
/// message, `chat` failing for 20 minutes, `crm` for 5.
fn failing_targets(db: &std::path::Path) {
    let c = rusqlite::Connection::open(db).expect("open");
    let (seq, record): (i64, i64) = c
        .query_row(
            "SELECT id, record_id FROM events WHERE record_id IS NOT NULL ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("an event of a record");
    let t = now().timestamp();
    for (target, status, first) in [
        ("ehr", "dead", t - 3 * 86_400),
        ("chat", "pending", t - 20 * 60),
        ("crm", "pending", t - 5 * 60),
    ] {
        c.execute(
            "INSERT INTO deliveries (target, seq, record_id, kind, status, attempts, next_at,
                                     first_failed_at, last_error)
             VALUES (?1, ?2, ?3, 'create', ?4, 3, ?5, ?6, 'HTTP 500')",
            rusqlite::params![target, seq, record, status, t + 60, first],
        )
        .expect("insert");
    }
}

#[test]
fn a_failing_target_is_shown_to_supervisors_and_admins() {
    let (_d, db) = demo_db(120);
    failing_targets(&db);
    let mut kim = Console::open(&db, "kim", 120, 36);
    assert_eq!(
        kim.app.webhook_trouble,
        ["chat", "ehr"],
        "crm failed minutes ago"
    );
    let screen = kim.screen(120, 36);
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("⚠ webhooks failing: chat, ehr"), "{header}");
    insta::assert_snapshot!("webhooks_failing_120x36", screen);
    // Narrow: a word still says it, and the counts stay whole.
    let narrow = kim.screen(80, 24);
    let header = narrow.lines().next().unwrap_or_default();
    assert!(header.contains("⚠ webhooks"), "{header}");
    // Not a supervisor: not shown.
    let mut maria = Console::open(&db, "maria", 120, 36);
    assert!(maria.app.webhook_trouble.is_empty());
    let screen = maria.screen(120, 36);
    assert!(!screen.contains("webhooks"), "{screen}");
}

/// A receiver on 127.0.0.1 answering 204 to every request: its port, and
/// the `webhook-id` of each request it took.
fn receiver() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let ids = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = ids.clone();
    std::thread::spawn(move || {
        for s in l.incoming().map_while(Result::ok) {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let Ok(mut w) = s.try_clone() else { return };
                let mut r = BufReader::new(s);
                loop {
                    let (mut len, mut id, mut line) = (0usize, String::new(), String::new());
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        match l.split_once(':') {
                            Some((k, v)) if k.eq_ignore_ascii_case("content-length") => {
                                len = v.trim().parse().unwrap_or(0);
                            }
                            Some((k, v)) if k.eq_ignore_ascii_case("webhook-id") => {
                                id = v.trim().to_string();
                            }
                            _ => {}
                        }
                    }
                    let mut body = vec![0u8; len];
                    if r.read_exact(&mut body).is_err() {
                        return;
                    }
                    if let Ok(mut v) = seen.lock() {
                        v.push(id);
                    }
                    let ok = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
                    if w.write_all(ok).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, ids)
}

/// The console delivers on its data worker, with deliver's own code,
/// holding the lease while it does and giving it up at its end.
#[test]
fn the_console_delivers_while_it_is_open() {
    use carequeue::app::service::Request;
    use carequeue::store::outbox::{Lease, Outbox};
    use std::os::unix::fs::PermissionsExt;
    let (d, db) = demo_db(40);
    let (port, ids) = receiver();
    let secret = d.path().join("hook.secret");
    std::fs::write(&secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n").expect("secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let notify = d.path().join("notify.toml");
    std::fs::write(
        &notify,
        format!(
            "[[target]]\nname = \"hook\"\nurl = \"http://127.0.0.1:{port}/\"\nshape = \"slack\"\nsecret_file = \"hook.secret\"\nkinds = [\"create\"]\n"
        ),
    )
    .expect("notify");
    let mut kim = Console::open(&db, "kim", 120, 36);
    let n = carequeue::ops::notify::load_all(&kim.app.pipeline, &notify).expect("notify loads");
    kim.svc.deliver_with(carequeue::ops::notify::Deliverer {
        targets: n.targets,
        policy: n.policy,
        holder: "kim@console".into(),
        source: "urn:carequeue:test".into(),
        sender: carequeue::ops::notify::http::Sender::new(),
        with_phi: false,
        start: Some(0),
    });
    kim.send(vec![Request::Deliver]);
    let got = ids.lock().map(|v| v.clone()).unwrap_or_default();
    assert_eq!(got.len(), 40, "one create a record: {got:?}");
    assert!(got.iter().all(|i| i.starts_with("msg_hook_")), "{got:?}");
    let mut other = carequeue::store::Store::open(&db).expect("open");
    let t = now().timestamp();
    assert!(
        matches!(
            other.take_lease("other", t, 30).expect("lease"),
            Lease::Theirs { .. }
        ),
        "the console holds the lease"
    );
    kim.svc.stop_delivering();
    assert!(matches!(
        other.take_lease("other", t, 30).expect("lease"),
        Lease::Mine { .. }
    ));
}
