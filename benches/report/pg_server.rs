//! A throwaway PostgreSQL cluster for the bench's PostgreSQL part: `initdb`
//! into a fresh temporary folder (as the `postgres` account when the bench
//! runs as root: initdb and the server refuse root; as the bench's own
//! account otherwise), started with `pg_ctl` on a Unix socket in a private
//! folder (0700, no TCP), `trust` for local connections (only root and the
//! server's account can reach that socket). Stopped and removed on drop,
//! so a panic in the bench does not leave a server behind.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Output};

pub struct Server {
    dir: tempfile::TempDir,
    /// The socket folder (`host=` for connections).
    pub socket: PathBuf,
    pub port: u16,
    bin: PathBuf,
    /// The account the server runs as, when that is not the bench's own.
    ids: Option<(u32, u32)>,
}

/// The newest server's bin folder, if one is installed.
fn server_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

fn account(name: &str) -> Option<(u32, u32)> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam returns a pointer to static storage or null.
    let pw = unsafe { libc::getpwnam(c.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    // SAFETY: non-null, just returned.
    Some(unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
}

fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Why no cluster can be started here, if none can.
pub fn unavailable() -> Option<String> {
    if server_bin().is_none() {
        return Some(
            "no PostgreSQL server under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
                .into(),
        );
    }
    if root() && account("postgres").is_none() {
        return Some(
            "running as root, and there is no `postgres` account to run the server as".into(),
        );
    }
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port number for the socket's name")
}

fn check(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Server {
    /// A fresh cluster with `conf` appended to its postgresql.conf; call
    /// [`unavailable`] first. Panics, with the server's log, if it will
    /// not start.
    pub fn start(conf: &str) -> Server {
        let bin = server_bin().expect("server binaries");
        let ids = if root() {
            Some(account("postgres").expect("postgres account"))
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("cq-bench-pg-")
            .tempdir()
            .expect("a temporary folder for the cluster");
        let socket = dir.path().join("sock");
        std::fs::create_dir(&socket).expect("socket folder");
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o700))
            .expect("chmod socket folder");
        if let Some((uid, gid)) = ids {
            std::os::unix::fs::chown(&socket, Some(uid), Some(gid)).expect("chown socket folder");
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("chown cluster folder");
        }
        let s = Server {
            dir,
            socket,
            port: free_port(),
            bin,
            ids,
        };
        let data = s.data();
        let out = s
            .tool("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth-local=trust", "--auth-host=reject"])
            .args(["-E", "UTF8", "--locale=C", "--no-sync"])
            .output()
            .expect("run initdb");
        check("initdb", &out);
        std::fs::write(data.join("pg_hba.conf"), "local all all trust\n").expect("pg_hba.conf");
        let conf = format!(
            "\n# carequeue bench\nlisten_addresses = ''\nunix_socket_directories = '{}'\nport = {}\n{conf}\n",
            s.socket.display(),
            s.port
        );
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .expect("postgresql.conf");
        std::io::Write::write_all(&mut f, conf.as_bytes()).expect("write postgresql.conf");
        let out = s
            .tool("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(s.log())
            .args(["-w", "-t", "120", "start"])
            .output()
            .expect("run pg_ctl start");
        if !out.status.success() {
            let log = std::fs::read_to_string(s.log()).unwrap_or_default();
            panic!(
                "the bench's PostgreSQL server did not start:\n{}\n{log}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        s
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn tool(&self, name: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(name));
        if let Some((uid, gid)) = self.ids {
            cmd.uid(uid).gid(gid);
        }
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin");
        cmd
    }

    /// A bare client as `user` on `db`, over the socket.
    pub fn connect(&self, user: &str, db: &str) -> postgres::Client {
        postgres::Config::new()
            .host_path(&self.socket)
            .port(self.port)
            .user(user)
            .dbname(db)
            .application_name("carequeue-bench-floor")
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to the bench server as {user}: {e}"))
    }

    /// The superuser, on `db`.
    pub fn admin(&self, db: &str) -> postgres::Client {
        self.connect("postgres", db)
    }

    /// carequeue's URL for `user` on `db` (the socket folder as the host).
    pub fn url(&self, user: &str, db: &str) -> String {
        let host = self.socket.display().to_string().replace('/', "%2F");
        format!(
            "postgres://{user}@{host}:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// The settings the figures ran under, in one line.
    pub fn settings(&self) -> String {
        let mut c = self.admin("postgres");
        let mut parts = Vec::new();
        for name in [
            "server_version",
            "shared_buffers",
            "synchronous_commit",
            "fsync",
            "full_page_writes",
            "wal_level",
            "max_wal_size",
            "max_connections",
        ] {
            let v: String = c
                .query_one("SELECT current_setting($1)", &[&name])
                .and_then(|r| r.try_get(0))
                .unwrap_or_else(|e| format!("? ({e})"));
            parts.push(format!("{name} {v}"));
        }
        format!("{}; Unix socket, no TLS", parts.join(", "))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let stop = |mode: &str| {
            self.tool("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", mode, "-w", "-t", "60", "stop"])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        };
        if !stop("fast") && !stop("immediate") {
            eprintln!(
                "warning: the bench's PostgreSQL server in {} did not stop",
                self.dir.path().display()
            );
        }
    }
}
