//! Where a PostgreSQL store is and how to reach it, read as libpq reads it
//! (the `postgres` crate reads none of this itself): the
//! `postgres://` / `postgresql://` URL first, then `PGHOST`, `PGPORT`,
//! `PGUSER`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`,
//! `PGTARGETSESSIONATTRS`, `PGCONNECT_TIMEOUT`, and the password from
//! `PGPASSFILE` or `~/.pgpass`. A password in the URL is refused: it would
//! sit on the command line, in the shell's history and in `ps`.

/// Settings that could not be read: what, and where (a URL part, a
/// variable). Never carries a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadSettings(pub String);

impl From<String> for BadSettings {
    fn from(s: String) -> BadSettings {
        BadSettings(s)
    }
}

impl From<&str> for BadSettings {
    fn from(s: &str) -> BadSettings {
        BadSettings(s.to_string())
    }
}

impl From<BadSettings> for crate::StoreError {
    fn from(e: BadSettings) -> crate::StoreError {
        crate::StoreError::Settings(e.0)
    }
}

type Res<T> = Result<T, BadSettings>;

use std::path::PathBuf;

/// libpq's `sslmode`, all six.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// One server to try: a host name or address, or a socket directory
/// (starting with `/`), and its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnInfo {
    pub hosts: Vec<Host>,
    pub user: String,
    pub dbname: String,
    pub sslmode: SslMode,
    /// The CA certificates a server's certificate must chain to.
    pub sslrootcert: Option<PathBuf>,
    /// `read-write` (a primary) or `any`, for multi-host failover.
    pub read_write: bool,
    pub connect_timeout: Option<u64>,
    /// From the password file; never from the command line.
    pub password: Option<String>,
}

/// What the process's surroundings say: environment variables, the home
/// folder, the OS account (injected, so tests need not set the process's
/// own environment).
pub trait Env {
    fn var(&self, key: &str) -> Option<String>;
    fn home(&self) -> Option<PathBuf>;
    fn os_user(&self) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.is_empty())
    }
    fn home(&self) -> Option<PathBuf> {
        self.var("HOME").map(PathBuf::from)
    }
    fn os_user(&self) -> Option<String> {
        crate::os::login().ok()
    }
}

/// Whether `s` names a PostgreSQL store rather than a SQLite file.
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// `%2F` and friends.
fn decode(s: &str) -> Res<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "a bad %-escape at `{}`",
                        carequeue_core::text::shown(&s[i..])
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "an escape that is not UTF-8".into())
}

/// The URL's parts: [user@]hosts[/dbname][?params]; a password is refused.
struct UrlParts {
    user: Option<String>,
    hosts: Vec<(String, Option<u16>)>,
    dbname: Option<String>,
    params: Vec<(String, String)>,
}

fn split_url(url: &str) -> Res<UrlParts> {
    let rest = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
        .ok_or("a PostgreSQL URL starts with postgres:// or postgresql://")?;
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (auth, rest) = match rest.rsplit_once('@') {
        Some((a, r)) => (Some(a), r),
        None => (None, rest),
    };
    let user = match auth {
        Some(a) if a.contains(':') => {
            return Err("the URL holds a password: put it in ~/.pgpass (or PGPASSFILE) instead, where the command line and the shell history do not show it".into());
        }
        Some(a) => Some(decode(a)?),
        None => None,
    };
    let (hostlist, dbname) = rest.split_once('/').unwrap_or((rest, ""));
    let mut hosts = Vec::new();
    for h in hostlist.split(',').filter(|h| !h.is_empty()) {
        let (name, port) = if let Some(v6) = h.strip_prefix('[') {
            let (addr, after) = v6.split_once(']').ok_or("an IPv6 host without its `]`")?;
            (addr.to_string(), after.strip_prefix(':'))
        } else {
            match h.rsplit_once(':') {
                Some((n, p)) => (n.to_string(), Some(p)),
                None => (h.to_string(), None),
            }
        };
        let port = match port {
            Some(p) => Some(p.parse::<u16>().map_err(|_| {
                format!(
                    "port `{}` is not a number from 1 to 65535",
                    carequeue_core::text::shown(p)
                )
            })?),
            None => None,
        };
        hosts.push((decode(&name)?, port));
    }
    let mut params = Vec::new();
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').ok_or_else(|| {
            format!(
                "parameter `{}` has no `=value`",
                carequeue_core::text::shown(kv)
            )
        })?;
        params.push((decode(k)?, decode(v)?));
    }
    Ok(UrlParts {
        user,
        hosts,
        dbname: (!dbname.is_empty()).then(|| decode(dbname)).transpose()?,
        params,
    })
}

/// The store `url` names, completed from the environment as libpq would.
pub fn parse(url: &str, env: &dyn Env) -> Res<ConnInfo> {
    let mut u = split_url(url)?;
    let mut host_param = None;
    let mut port_param = None;
    let mut sslmode = None;
    let mut sslrootcert = None;
    let mut tsa = None;
    let mut timeout = None;
    for (k, v) in std::mem::take(&mut u.params) {
        match k.as_str() {
            "host" => host_param = Some(v),
            "port" => port_param = Some(v),
            "user" => u.user = Some(v),
            "dbname" => u.dbname = Some(v),
            "sslmode" => sslmode = Some(v),
            "sslrootcert" => sslrootcert = Some(v),
            "target_session_attrs" => tsa = Some(v),
            "connect_timeout" => timeout = Some(v),
            "password" | "passfile" => {
                return Err(format!(
                    "the URL holds `{k}`: put the password in ~/.pgpass (or PGPASSFILE) instead"
                )
                .into());
            }
            other => {
                return Err(format!(
                    "unknown connection parameter `{}` (carequeue reads host, port, user, dbname, sslmode, sslrootcert, target_session_attrs, connect_timeout)",
                    carequeue_core::text::shown(other)
                ).into());
            }
        }
    }
    let port_of = |s: &str| -> Res<u16> {
        s.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
            format!(
                "port `{}` is not a number from 1 to 65535",
                carequeue_core::text::shown(s)
            )
            .into()
        })
    };
    let default_port = match port_param.or_else(|| env.var("PGPORT")) {
        Some(p) => port_of(&p)?,
        None => 5432,
    };
    let mut hosts: Vec<Host> = u
        .hosts
        .into_iter()
        .map(|(name, port)| Host {
            name,
            port: port.unwrap_or(default_port),
        })
        .collect();
    if hosts.is_empty() {
        let names = host_param
            .or_else(|| env.var("PGHOST"))
            .unwrap_or_else(|| "/var/run/postgresql".into());
        hosts = names
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| Host {
                name: h.to_string(),
                port: default_port,
            })
            .collect();
    }
    let user = u
        .user
        .or_else(|| env.var("PGUSER"))
        .or_else(|| env.os_user())
        .ok_or("no user: give one in the URL (postgres://USER@HOST/DB) or PGUSER")?;
    let dbname = u
        .dbname
        .or_else(|| env.var("PGDATABASE"))
        .unwrap_or_else(|| user.clone());
    let mode_text = sslmode
        .or_else(|| env.var("PGSSLMODE"))
        .unwrap_or_else(|| "prefer".into());
    let sslmode = SslMode::parse(&mode_text).ok_or_else(|| {
        format!(
            "sslmode `{}` is not one of disable, allow, prefer, require, verify-ca, verify-full",
            carequeue_core::text::shown(&mode_text)
        )
    })?;
    // libpq's default root certificate, where it exists.
    let sslrootcert = sslrootcert
        .or_else(|| env.var("PGSSLROOTCERT"))
        .map(PathBuf::from)
        .or_else(|| {
            env.home()
                .map(|h| h.join(".postgresql/root.crt"))
                .filter(|p| p.exists())
        });
    if matches!(sslmode, SslMode::VerifyCa | SslMode::VerifyFull) && sslrootcert.is_none() {
        return Err(format!(
            "sslmode {mode_text} needs the server's CA certificate: set sslrootcert= or PGSSLROOTCERT, or put it in ~/.postgresql/root.crt"
        ).into());
    }
    let read_write = match tsa.or_else(|| env.var("PGTARGETSESSIONATTRS")).as_deref() {
        None | Some("any") => false,
        Some("read-write") => true,
        Some(other) => {
            return Err(format!(
                "target_session_attrs `{}` is not any or read-write",
                carequeue_core::text::shown(other)
            )
            .into());
        }
    };
    let connect_timeout = match timeout.or_else(|| env.var("PGCONNECT_TIMEOUT")) {
        Some(t) => Some(t.parse::<u64>().map_err(|_| {
            format!(
                "connect_timeout `{}` is not a number of seconds",
                carequeue_core::text::shown(&t)
            )
        })?),
        None => None,
    };
    let passfile = env
        .var("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env.home().map(|h| h.join(".pgpass")));
    let password = match passfile {
        Some(path) => super::pgpass::read(&path)?.and_then(|text| {
            // The first host with a line of its own (the postgres crate
            // takes one password for every host it tries).
            hosts
                .iter()
                .find_map(|h| super::pgpass::lookup(&text, &h.name, h.port, &dbname, &user))
        }),
        None => None,
    };
    Ok(ConnInfo {
        hosts,
        user,
        dbname,
        sslmode,
        sslrootcert,
        read_write,
        connect_timeout,
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct FakeEnv(BTreeMap<&'static str, String>);

    impl Env for FakeEnv {
        fn var(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn home(&self) -> Option<PathBuf> {
            None
        }
        fn os_user(&self) -> Option<String> {
            Some("osname".into())
        }
    }

    fn env(vars: &[(&'static str, &str)]) -> FakeEnv {
        FakeEnv(vars.iter().map(|(k, v)| (*k, v.to_string())).collect())
    }

    #[test]
    fn the_url_first_then_the_environment_then_libpqs_defaults() {
        let c = parse(
            "postgres://ann@db1:6000,db2/care?sslmode=require",
            &env(&[]),
        )
        .expect("parse");
        assert_eq!(
            c.hosts,
            vec![
                Host {
                    name: "db1".into(),
                    port: 6000
                },
                Host {
                    name: "db2".into(),
                    port: 5432
                }
            ]
        );
        assert_eq!((c.user.as_str(), c.dbname.as_str()), ("ann", "care"));
        assert_eq!(c.sslmode, SslMode::Require);
        let e = env(&[
            ("PGHOST", "/tmp/sock"),
            ("PGPORT", "7000"),
            ("PGUSER", "bob"),
            ("PGDATABASE", "clinic"),
            ("PGSSLMODE", "disable"),
            ("PGTARGETSESSIONATTRS", "read-write"),
        ]);
        let c = parse("postgresql://", &e).expect("parse");
        assert_eq!(
            c.hosts,
            vec![Host {
                name: "/tmp/sock".into(),
                port: 7000
            }]
        );
        assert_eq!((c.user.as_str(), c.dbname.as_str()), ("bob", "clinic"));
        assert_eq!(c.sslmode, SslMode::Disable);
        assert!(c.read_write);
        let c = parse("postgres:///care", &env(&[])).expect("parse");
        assert_eq!(c.hosts[0].name, "/var/run/postgresql");
        assert_eq!(c.user, "osname", "the OS account, as libpq");
        assert_eq!(c.sslmode, SslMode::Prefer);
        let c = parse("postgres://%2Ftmp%2Fpg:5433/x?host=ignored", &env(&[])).expect("parse");
        assert_eq!(
            c.hosts,
            vec![Host {
                name: "/tmp/pg".into(),
                port: 5433
            }]
        );
        let c = parse("postgres://[::1]:5439/x", &env(&[])).expect("parse");
        assert_eq!(
            c.hosts,
            vec![Host {
                name: "::1".into(),
                port: 5439
            }]
        );
    }

    #[test]
    fn passwords_and_unknown_or_bad_settings_are_refused_by_name() {
        for (url, want) in [
            ("postgres://ann:secret@db/care", "password"),
            ("postgres://db/care?password=secret", "password"),
            ("postgres://db/care?sslmode=maybe", "sslmode `maybe`"),
            ("postgres://db:99999/care", "port `99999`"),
            (
                "postgres://db/care?colour=red",
                "unknown connection parameter `colour`",
            ),
            ("postgres://db/care?sslmode=verify-full", "CA certificate"),
            (
                "postgres://db/care?target_session_attrs=primary",
                "target_session_attrs",
            ),
            ("postgres://db/ca%zzre", "%-escape"),
        ] {
            let err = parse(url, &env(&[])).expect_err(url).to_string();
            assert!(err.contains(want), "{url}: {err}");
            assert!(
                !err.contains("secret"),
                "{url}: the password is not repeated: {err}"
            );
        }
    }
}
