//! A connection as the settings ask: TLS through OpenSSL (the
//! `postgres-openssl` crate), certificates checked under `verify-ca` and
//! `verify-full` (the host name too under `verify-full`), and under
//! `require` when a root certificate is at hand, as libpq does.

use super::conninfo::{ConnInfo, SslMode};
use crate::StoreError;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use postgres_openssl::MakeTlsConnector;
use std::time::Duration;

/// The `postgres` crate's configuration for these settings.
pub fn config(c: &ConnInfo) -> postgres::Config {
    let mut cfg = postgres::Config::new();
    for h in &c.hosts {
        if h.name.starts_with('/') {
            cfg.host_path(&h.name);
        } else {
            cfg.host(&h.name);
        }
        cfg.port(h.port);
    }
    cfg.user(&c.user)
        .dbname(&c.dbname)
        .application_name("carequeue");
    if let Some(p) = &c.password {
        cfg.password(p);
    }
    cfg.ssl_mode(match c.sslmode {
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Allow | SslMode::Prefer => postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            postgres::config::SslMode::Require
        }
    });
    if c.read_write {
        cfg.target_session_attrs(postgres::config::TargetSessionAttrs::ReadWrite);
    }
    if let Some(t) = c.connect_timeout {
        cfg.connect_timeout(Duration::from_secs(t));
    }
    cfg
}

/// The TLS side: which certificates the server's must chain to, and
/// whether its name must match the host's.
pub fn tls(c: &ConnInfo) -> crate::Result<MakeTlsConnector> {
    let tls_err = |e: openssl::error::ErrorStack| StoreError::Settings(format!("TLS setup: {e}"));
    let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(tls_err)?;
    let root = c.sslrootcert.as_ref().filter(|p| p.exists());
    let verify = match c.sslmode {
        SslMode::VerifyCa | SslMode::VerifyFull => true,
        // libpq: `require` with a root certificate at hand checks the CA.
        SslMode::Require => root.is_some(),
        _ => false,
    };
    if verify {
        let root = root.ok_or_else(|| {
            StoreError::Settings(format!(
                "the CA certificate {} does not exist",
                c.sslrootcert
                    .as_ref()
                    .map_or("(none)".into(), |p| carequeue_core::text::clean(
                        &p.display().to_string()
                    ))
            ))
        })?;
        b.set_ca_file(root).map_err(|e| {
            StoreError::Settings(format!(
                "cannot read the CA certificate {}: {e}",
                carequeue_core::text::clean(&root.display().to_string())
            ))
        })?;
        b.set_verify(SslVerifyMode::PEER);
    } else {
        b.set_verify(SslVerifyMode::NONE);
    }
    let mut m = MakeTlsConnector::new(b.build());
    let full = c.sslmode == SslMode::VerifyFull;
    m.set_callback(move |cfg, _host| {
        cfg.set_verify_hostname(full);
        Ok(())
    });
    Ok(m)
}

/// Connects, or says why not (the server's own words, never a password).
pub fn connect(c: &ConnInfo) -> crate::Result<postgres::Client> {
    let hosts: Vec<String> = c
        .hosts
        .iter()
        .map(|h| format!("{}:{}", h.name, h.port))
        .collect();
    config(c).connect(tls(c)?).map_err(|e| {
        let why = match std::error::Error::source(&e) {
            Some(s) => format!("{e}: {s}"),
            None => e.to_string(),
        };
        let words = format!(
            "cannot connect to PostgreSQL at {} as {}: {}",
            carequeue_core::text::clean(&hosts.join(",")),
            carequeue_core::text::clean(&c.user),
            carequeue_core::text::clean(&why)
        );
        // The server answered and refused (a password, a database that
        // is not there), or it could not be reached at all.
        if e.as_db_error().is_some() {
            StoreError::Server(words)
        } else {
            StoreError::Unavailable(words)
        }
    })
}
