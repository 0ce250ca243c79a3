//! Issue 24's delivery row (`CQ_BENCH_ONLY=deliver`, also part of the full
//! run): `deliver --once` (the real binary) sending one webhook per
//! record created (`CQ_BENCH_DELIVER=N`, default 5,000) to a receiver on
//! 127.0.0.1 in this process that answers 204 at once, beside its floor:
//! the same number of bare POSTs of a body of the same size, from the same
//! client (`ops::notify::http::Sender`), to the same receiver, in the same
//! run.

use super::Line;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Answers every request on `s` with 204, keeping the connection.
fn serve(s: TcpStream, seen: Arc<AtomicUsize>) {
    let Ok(w) = s.try_clone() else { return };
    let mut w = w;
    let mut r = BufReader::new(s);
    loop {
        let mut len = 0usize;
        let mut line = String::new();
        // The request line and headers, up to the blank line.
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        seen.fetch_add(1, Ordering::Relaxed);
        if w.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}

/// A receiver on 127.0.0.1: its port and its count of requests.
fn receiver() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let seen = Arc::new(AtomicUsize::new(0));
    let counted = seen.clone();
    std::thread::spawn(move || {
        for s in l.incoming().map_while(Result::ok) {
            let c = counted.clone();
            std::thread::spawn(move || serve(s, c));
        }
    });
    (port, seen)
}

pub fn run(out: &mut Vec<Line>) {
    let n: usize = std::env::var("CQ_BENCH_DELIVER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = super::feed::fresh(dir.path());
    let file = dir.path().join("in.ndjson");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("file"));
        for i in 0..n {
            writeln!(
                w,
                r#"{{"op":"add","op_id":"d{i}","patient":"Bench Patient {i}"}}"#
            )
            .expect("write");
        }
    }
    let o = super::feed::carequeue(&db, &["ingest", &file.display().to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (port, seen) = receiver();
    let secret = dir.path().join("bench.secret");
    std::fs::write(&secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n").expect("secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let notify = dir.path().join("notify.toml");
    std::fs::write(
        &notify,
        format!(
            "[[target]]\nname = \"bench\"\nurl = \"http://127.0.0.1:{port}/hook\"\nshape = \"cloudevents\"\nsecret_file = \"bench.secret\"\nkinds = [\"create\"]\n"
        ),
    )
    .expect("notify");
    let t = Instant::now();
    let o = super::feed::carequeue(
        &db,
        &[
            "deliver",
            "--once",
            "--since",
            "0",
            "--notify",
            &notify.display().to_string(),
        ],
    );
    let ours = t.elapsed();
    let said = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(said.contains(&format!("delivered {n},")), "{said}");
    assert_eq!(
        seen.load(Ordering::Relaxed),
        n,
        "every message arrived once"
    );

    // The floor: the same client, bare POSTs of a body of the same size.
    let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(420));
    let sender = carequeue::ops::notify::http::Sender::new();
    let url = format!("http://127.0.0.1:{port}/hook");
    let t = Instant::now();
    for _ in 0..n {
        let s = sender.post_bare(&url, &body);
        assert!(carequeue::ops::notify::deliver::ok(&s), "{s:?}");
    }
    let floor = t.elapsed();
    out.push(Line {
        work: format!("webhook deliveries, {n} to a local receiver (deliver --once)"),
        budget: "≥ 1,000/s".into(),
        ours: format!(
            "{:.0}/s ({:.2} s)",
            n as f64 / ours.as_secs_f64(),
            ours.as_secs_f64()
        ),
        raw: format!(
            "bare POSTs, same client and receiver: {:.0}/s",
            n as f64 / floor.as_secs_f64()
        ),
    });
}
