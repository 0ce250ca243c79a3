//! The PostgreSQL client side against a real throwaway server: TCP on
//! 127.0.0.1 with TLS and scram-sha-256 only. The password comes from the
//! password file (and only from one its owner alone can read), the server's
//! certificate is checked as `sslmode` asks, and no error repeats a
//! password.

use crate::common::pg::{Vars, available, shared};
use carequeue::store::pg::{self, conninfo};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

const SECRET: &str = "s3cret-Horse-battery";

fn env(passfile: &std::path::Path, extra: &[(&'static str, String)]) -> Vars {
    let mut m = BTreeMap::new();
    m.insert("PGPASSFILE", passfile.display().to_string());
    for (k, v) in extra {
        m.insert(*k, v.clone());
    }
    Vars(m)
}

fn try_connect(url: &str, vars: &Vars) -> Result<String, String> {
    let info = conninfo::parse(url, vars).map_err(|e| e.to_string())?;
    let mut c = pg::connect(&info).map_err(|e| e.to_string())?;
    let row = c
        .query_one(
            "SELECT current_user::text, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .map_err(|e| e.to_string())?;
    let (user, ssl): (String, bool) = (row.get(0), row.get(1));
    Ok(format!("{user} ssl={ssl}"))
}

#[test]
fn passwords_from_the_password_file_and_certificates_checked_as_sslmode_asks() {
    if !available("passwords_from_the_password_file_and_certificates_checked_as_sslmode_asks") {
        return;
    }
    let c = shared();
    let db = c.database("care");
    c.alter_roles(&format!("CREATE ROLE app LOGIN PASSWORD '{SECRET}'"));
    c.psql(
        "postgres",
        &format!("GRANT CONNECT ON DATABASE {db} TO app"),
    );
    let dir = tempfile::tempdir().expect("dir");
    let passfile = dir.path().join("pgpass");
    std::fs::write(&passfile, format!("*:{}:{db}:app:{SECRET}\n", c.port)).expect("pgpass");
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let ca = c.ca().display().to_string();
    let url = |host: &str, mode: &str| {
        format!(
            "postgres://app@{host}:{}/{db}?sslmode={mode}&sslrootcert={ca}",
            c.port
        )
    };
    let vars = env(&passfile, &[]);

    // verify-full: the chain and the name (the certificate is for localhost).
    assert_eq!(
        try_connect(&url("localhost", "verify-full"), &vars).as_deref(),
        Ok("app ssl=true")
    );
    // The same server by address: the name does not match, so verify-full
    // refuses, while verify-ca (the chain only) and require accept it.
    let err = try_connect(&url("127.0.0.1", "verify-full"), &vars).expect_err("name mismatch");
    assert!(err.contains("certificate"), "{err}");
    assert_eq!(
        try_connect(&url("127.0.0.1", "verify-ca"), &vars).as_deref(),
        Ok("app ssl=true")
    );
    // A CA the server's certificate does not chain to: refused.
    let other = dir.path().join("other-ca.crt");
    std::fs::copy(c.dir.path().join("tls/server.crt"), &other).expect("copy");
    let wrong = format!(
        "postgres://app@localhost:{}/{db}?sslmode=verify-full&sslrootcert={}",
        c.port,
        other.display()
    );
    let err = try_connect(&wrong, &vars).expect_err("wrong CA");
    assert!(err.contains("certificate"), "{err}");
    // Without TLS the server (hostssl only) refuses.
    let plain = format!("postgres://app@127.0.0.1:{}/{db}?sslmode=disable", c.port);
    let err = try_connect(&plain, &vars).expect_err("no TLS");
    assert!(err.contains("pg_hba.conf"), "{err}");

    // Settings from the environment, as libpq reads them.
    let from_env = env(
        &passfile,
        &[
            ("PGHOST", "localhost".into()),
            ("PGPORT", c.port.to_string()),
            ("PGUSER", "app".into()),
            ("PGDATABASE", db.clone()),
            ("PGSSLMODE", "verify-full".into()),
            ("PGSSLROOTCERT", ca.clone()),
        ],
    );
    assert_eq!(
        try_connect("postgresql://", &from_env).as_deref(),
        Ok("app ssl=true")
    );

    // A password file others may read is ignored (libpq does the same):
    // no password, so the server refuses; and the password is never shown.
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = try_connect(&url("localhost", "verify-full"), &vars).expect_err("no password");
    assert!(err.contains("password"), "{err}");
    assert!(!err.contains(SECRET), "{err}");
    // A wrong password: the server's refusal, without either password.
    std::fs::write(&passfile, format!("*:*:*:app:not-{SECRET}\n")).expect("pgpass");
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let err = try_connect(&url("localhost", "verify-full"), &vars).expect_err("wrong password");
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(!err.contains(SECRET), "{err}");
}

#[test]
fn a_socket_connection_finds_its_password_under_localhost() {
    if !available("a_socket_connection_finds_its_password_under_localhost") {
        return;
    }
    let c = shared();
    let db = c.database("care");
    // Its own login (the other test's `app` has a password; logins are
    // the cluster's, shared by its databases).
    c.alter_roles("CREATE ROLE app_peer LOGIN");
    // Over the socket the cluster trusts peers only; `app_peer` is no OS
    // account, so the server refuses, naming the peer check, and the
    // password file's `localhost` line was the one found.
    let dir = tempfile::tempdir().expect("dir");
    let passfile = dir.path().join("pgpass");
    std::fs::write(
        &passfile,
        format!("localhost:{}:{db}:app_peer:{SECRET}\n", c.port),
    )
    .expect("pgpass");
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let vars = env(
        &passfile,
        &[
            ("PGHOST", c.socket.display().to_string()),
            ("PGPORT", c.port.to_string()),
        ],
    );
    let info = conninfo::parse(&format!("postgres://app_peer@/{db}"), &vars).expect("parse");
    assert_eq!(info.password.as_deref(), Some(SECRET));
    let Err(err) = pg::connect(&info).map_err(|e| e.to_string()) else {
        panic!("connected without a peer match");
    };
    assert!(err.contains("Peer authentication failed"), "{err}");
    assert!(!err.contains(SECRET), "{err}");
}
