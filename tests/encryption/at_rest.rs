//! Encryption at rest (feature `encryption`): patient data is in neither the
//! database file nor its WAL, and a wrong key is refused clearly.
#![cfg(feature = "encryption")]

use std::process::Command;

const MARKER: &str = "MARKERZQX7 Patient";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_carequeue"));
    c.env_remove("CAREQUEUE_DB")
        .env_remove("CAREQUEUE_USER")
        .env_remove("CAREQUEUE_NOW");
    c.env(
        "CAREQUEUE_PIPELINE",
        concat!(env!("CARGO_MANIFEST_DIR"), "/pipeline.toml"),
    );
    c
}

fn contains(path: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read(path)
        .map(|b| b.windows(needle.len()).any(|w| w == needle))
        .unwrap_or(false)
}

#[test]
fn patient_names_are_encrypted_and_a_wrong_key_is_refused() {
    let _env = crate::env_lock();
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("key");
    let wrong = dir.path().join("wrong");
    std::fs::write(&key, b"0123456789abcdef0123456789abcdef").expect("key");
    std::fs::write(&wrong, b"fedcba9876543210fedcba9876543210").expect("key");
    let db = dir.path().join("e.db");
    let run = |key: &std::path::Path, args: &[&str]| {
        bin()
            .env("CAREQUEUE_KEY_FILE", key)
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .expect("run")
    };
    // Trust mode: the test names its actor with --as.
    assert!(run(&key, &["init", "--trust"]).status.success());
    assert!(
        run(&key, &["user", "add", "ana", "--role", "ops"])
            .status
            .success()
    );
    assert!(
        run(&key, &["--as", "ana", "add", "--patient", MARKER])
            .status
            .success()
    );

    // Keep a connection open with a write in its WAL, then look at both files.
    // SAFETY: the other test of this binary waits on `crate::ENV`, which
    // this one holds: no other thread reads the environment.
    unsafe { std::env::set_var("CAREQUEUE_KEY_FILE", &key) };
    let mut store = carequeue::store::Store::open(&db).expect("open with the key");
    store
        .upsert_user("bo", &["ops".to_string()], 0)
        .expect("write");
    let wal = dir.path().join("e.db-wal");
    assert!(
        wal.exists(),
        "the WAL should exist while a connection is open"
    );
    assert!(
        !contains(&db, MARKER.as_bytes()),
        "patient name found in the database file"
    );
    assert!(
        !contains(&wal, MARKER.as_bytes()),
        "patient name found in the WAL"
    );
    drop(store);

    let list = run(&key, &["list", "--json"]);
    assert!(
        String::from_utf8_lossy(&list.stdout).contains(MARKER),
        "the right key reads the data"
    );

    let bad = run(&wrong, &["list"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("key does not open"),
        "{err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "SQLCipher's own log lines must not reach the terminal: {err}"
    );

    let none = bin()
        .arg("--db")
        .arg(&db)
        .arg("list")
        .env_remove("CAREQUEUE_KEY_FILE")
        .output()
        .expect("run");
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("CAREQUEUE_KEY_FILE"));
}
