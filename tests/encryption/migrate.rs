//! `migrate` from an encrypted database (feature `encryption`): the source
//! opens with its key file, as every command does; without it nothing is
//! copied. The copy verifies on a real PostgreSQL server with the
//! source's heads.
#![cfg(feature = "encryption")]

use crate::common;
use crate::common::pg::{available, shared};
use std::path::Path;
use std::process::Output;

fn run(key: Option<&Path>, env: &[(&str, String)], args: &[&str]) -> Output {
    let mut c = common::command();
    c.env(
        "CAREQUEUE_PIPELINE",
        concat!(env!("CARGO_MANIFEST_DIR"), "/pipeline.toml"),
    )
    .env_remove("CAREQUEUE_KEY_FILE")
    .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    if let Some(k) = key {
        c.env("CAREQUEUE_KEY_FILE", k);
    }
    c.args(args).output().expect("run")
}

#[track_caller]
fn ok(out: Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn head(verify_line: &str) -> String {
    verify_line
        .split("chain head ")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .unwrap_or_else(|| panic!("no head in {verify_line}"))
        .to_string()
}

#[test]
fn an_encrypted_database_migrates_with_its_key_and_not_without() {
    let _env = crate::env_lock();
    if !available("an_encrypted_database_migrates_with_its_key") {
        return;
    }
    let cluster = shared();
    let passwords = cluster.logins(&["owner"]);
    let care = cluster.database_owned("care", "owner");
    let env = [
        ("PGPASSFILE", passwords.file.display().to_string()),
        ("PGSSLROOTCERT", cluster.ca().display().to_string()),
        ("PGSSLMODE", "verify-full".to_string()),
    ];
    let dir = tempfile::tempdir().expect("dir");
    let key = dir.path().join("key");
    std::fs::write(&key, b"0123456789abcdef0123456789abcdef").expect("key");
    let db = dir.path().join("e.db");
    let db = db.to_str().expect("path");
    let k = Some(key.as_path());
    ok(run(k, &[], &["--db", db, "init", "--trust"]));
    ok(run(
        k,
        &[],
        &["--db", db, "user", "add", "ana", "--role", "ops"],
    ));
    ok(run(
        k,
        &[],
        &["--db", db, "--as", "ana", "add", "--patient", "Enc Patient"],
    ));
    let url = format!("postgres://owner@localhost:{}/{care}", cluster.port);

    let refused = run(None, &env, &["migrate", "--from", db, "--to", &url]);
    assert_eq!(refused.status.code(), Some(1));
    let e = String::from_utf8_lossy(&refused.stderr);
    assert!(
        e.starts_with("error: ") && e.contains("CAREQUEUE_KEY_FILE"),
        "{e}"
    );
    assert_eq!(
        cluster.psql(
            &care,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'carequeue'"
        ),
        "0",
        "nothing was written to the target"
    );

    ok(run(k, &env, &["migrate", "--from", db, "--to", &url]));
    let on_sqlite = ok(run(k, &[], &["--db", db, "verify"]));
    let on_pg = ok(run(None, &env, &["--db", &url, "verify"]));
    assert_eq!(head(&on_sqlite), head(&on_pg), "{on_sqlite}{on_pg}");
    assert_eq!(
        cluster.psql(&care, "SELECT patient FROM carequeue.records"),
        "Enc Patient"
    );
}
