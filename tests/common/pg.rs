//! Throwaway PostgreSQL clusters: `initdb` into a fresh folder owned by
//! the `postgres` account (initdb and the server refuse root), started with
//! `pg_ctl` on a private socket folder, `fsync=off`, and, when asked, TCP on
//! 127.0.0.1 with TLS and `scram-sha-256`.
//!
//! Most tests work on the binary's [`shared`] cluster (TCP and TLS on),
//! started on first use, in a database of their own ([`Cluster::database`]:
//! unique names). Statics are never dropped, so every cluster has a
//! watchdog: a small `sh` that waits for this process to end (however it
//! ends: normally, by a panic, or killed) and then stops the server
//! (`pg_ctl stop -m immediate` as `postgres`) and removes its folder. A
//! test that kills, restarts or fails over its server, or needs options the
//! shared one cannot have, starts a cluster of its own ([`Cluster::start`]);
//! that one is also stopped and removed on drop.
//!
//! Needs root (to run as `postgres`) and the server binaries under
//! `/usr/lib/postgresql/*/bin`: without them a test skips with a note,
//! unless `CQ_REQUIRE_ROOT=1` (as in CI), where it fails instead.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Connection settings' surroundings for a test: these variables only,
/// no home folder, no OS account.
pub struct Vars(pub std::collections::BTreeMap<&'static str, String>);

impl carequeue::store::pg::conninfo::Env for Vars {
    fn var(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn home(&self) -> Option<PathBuf> {
        None
    }
    fn os_user(&self) -> Option<String> {
        None
    }
}

pub struct Cluster {
    pub dir: tempfile::TempDir,
    /// The socket folder (`host=` for local connections).
    pub socket: PathBuf,
    pub port: u16,
    /// TCP on 127.0.0.1, TLS with the certificates under `dir/tls`.
    pub tcp: bool,
    bin: PathBuf,
    uid: u32,
    gid: u32,
    /// Stops the server and removes `dir` once this process is gone.
    watchdog: Option<Watchdog>,
}

/// The watchdog's process, and the write end of its stdin: this process
/// holds it open for as long as it lives (the kernel closes it when the
/// process ends, however it ends), so the watchdog's `cat` reads EOF then
/// and not before.
struct Watchdog {
    child: Child,
    pipe: ChildStdin,
}

/// The binary's shared cluster (TCP on, TLS and `scram-sha-256`; not
/// durable), started on first use and stopped by its watchdog when the
/// test process ends. Call [`available`] first. Tests on it make a
/// database each ([`Cluster::database`]) and their logins with
/// [`Cluster::logins`] (logins are the server's, shared by its databases:
/// the same name is the same login in every test, password `pw-NAME`).
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    SHARED.get_or_init(|| {
        Cluster::start(&Opts {
            tcp: true,
            ..Default::default()
        })
    })
}

/// The cluster a test works on: the binary's [`shared`] one, or one of its
/// own (see [`Cluster::start`]).
pub enum ClusterRef {
    Shared(&'static Cluster),
    Own(Box<Cluster>),
}

impl ClusterRef {
    /// The binary's shared cluster.
    pub fn shared() -> ClusterRef {
        ClusterRef::Shared(shared())
    }

    /// A cluster of the test's own, with `opts`.
    pub fn own(opts: &Opts) -> ClusterRef {
        ClusterRef::Own(Box::new(Cluster::start(opts)))
    }
}

impl std::ops::Deref for ClusterRef {
    type Target = Cluster;
    fn deref(&self) -> &Cluster {
        match self {
            ClusterRef::Shared(c) => c,
            ClusterRef::Own(c) => c,
        }
    }
}

/// Role-level changes (CREATE ROLE, GRANT a role) are made one at a time
/// in this process: tests on the shared cluster run at once, and the
/// server refuses two sessions changing the same role together.
static ROLES: Mutex<()> = Mutex::new(());

/// The number in the next database's name.
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// A password file for the logins [`Cluster::logins`] made.
pub struct Passwords {
    _dir: tempfile::TempDir,
    pub file: PathBuf,
}

/// Options for [`Cluster::start`].
#[derive(Default)]
pub struct Opts {
    /// Listen on 127.0.0.1 too, TLS on, passwords by scram-sha-256.
    pub tcp: bool,
    /// fsync, synchronous commits and full page writes on: for the tests
    /// that kill the server and count what survived.
    pub durable: bool,
    /// One more address to listen on over TCP (a veth's, for the
    /// two-host test), its /24 let in like 127.0.0.1.
    pub also: Option<&'static str>,
}

/// The newest server's bin folder, if one is installed.
pub fn server_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

fn ids(name: &str) -> Option<(u32, u32)> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam returns a pointer to static storage or null.
    let pw = unsafe { libc::getpwnam(c.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    // SAFETY: non-null, just returned.
    Some(unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
}

/// Whether a cluster can be started here; if not, skips (prints a note
/// and returns false) or, under `CQ_REQUIRE_ROOT=1`, fails the test.
pub fn available(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let why = if !root {
        "running the server as `postgres` needs root"
    } else if server_bin().is_none() {
        "no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)"
    } else if ids("postgres").is_none() {
        "no `postgres` account"
    } else {
        return true;
    };
    assert!(
        std::env::var("CQ_REQUIRE_ROOT").as_deref() != Ok("1"),
        "{test}: {why}, and CQ_REQUIRE_ROOT=1 forbids skipping"
    );
    eprintln!("note: {test} skipped: {why}");
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn check(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for `localhost` (and no address), made
/// with the openssl command into `dir`.
fn certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        check(&format!("openssl {args:?}"), &out);
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=carequeue test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").expect("ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    ]);
}

/// A cluster's folder and its socket folder, owned by the server's account.
fn folders(uid: u32, gid: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("cq-pg-")
        .tempdir()
        .expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let socket = dir.path().join("sock");
    std::fs::create_dir(&socket).expect("socket dir");
    std::os::unix::fs::chown(&socket, Some(uid), Some(gid)).expect("chown socket");
    std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown dir");
    (dir, socket)
}

impl Cluster {
    /// A fresh cluster; call [`available`] first.
    pub fn start(opts: &Opts) -> Cluster {
        let bin = server_bin().expect("server binaries");
        let (uid, gid) = ids("postgres").expect("postgres account");
        let (dir, socket) = folders(uid, gid);
        let data = dir.path().join("data");
        let mut c = Cluster {
            dir,
            socket,
            port: free_port(),
            tcp: opts.tcp,
            bin,
            uid,
            gid,
            watchdog: None,
        };
        c.watch();
        let out = c
            .as_postgres("initdb")
            .args(["-D"])
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
            ])
            .args(["-E", "UTF8", "--no-sync"])
            .output()
            .expect("initdb");
        check("initdb", &out);
        let durability = if opts.durable {
            "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
        } else {
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        };
        let mut conf = format!(
            "{durability}unix_socket_directories = '{}'\nport = {}\nlisten_addresses = '{}'\n",
            c.socket.display(),
            c.port,
            match (opts.tcp, opts.also) {
                (false, _) => String::new(),
                (true, None) => "127.0.0.1".into(),
                (true, Some(a)) => format!("127.0.0.1,{a}"),
            }
        );
        if opts.tcp {
            let tls = c.dir.path().join("tls");
            std::fs::create_dir(&tls).expect("tls dir");
            certificates(&tls);
            for f in ["server.key", "server.crt"] {
                std::fs::copy(tls.join(f), data.join(f)).expect("copy cert");
                std::os::unix::fs::chown(data.join(f), Some(uid), Some(gid)).expect("chown");
                std::fs::set_permissions(data.join(f), std::fs::Permissions::from_mode(0o600))
                    .expect("chmod");
            }
            conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
            // TCP only with TLS and a scram-sha-256 password.
            let mut hba =
                String::from("local all all peer\nhostssl all all 127.0.0.1/32 scram-sha-256\n");
            if let Some(a) = opts.also {
                hba.push_str(&format!("hostssl all all {a}/24 scram-sha-256\n"));
            }
            std::fs::write(data.join("pg_hba.conf"), hba).expect("hba");
        }
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .expect("conf");
        std::io::Write::write_all(&mut f, conf.as_bytes()).expect("write conf");
        c.pg_start();
        c
    }

    fn pg_start(&self) {
        self.restart();
    }

    /// Starts this cluster's watchdog: `sh` as root, in a process group of
    /// its own (a Ctrl-C to the test run does not reach it), with every
    /// inherited descriptor but its stdin closed (a pseudo-terminal's or a
    /// pipe's end held here would keep a reader from its EOF). When `cat`
    /// reads EOF (this process is gone, or [`Drop`] closed the pipe), it
    /// stops the server as `postgres` and removes the folder.
    fn watch(&mut self) {
        const SCRIPT: &str = "cat >/dev/null
setpriv --reuid=\"$1\" --regid=\"$2\" --clear-groups -- \"$3\" -D \"$4\" -m immediate -w stop >/dev/null 2>&1
rm -rf -- \"$5\"";
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", SCRIPT, "cq-pg-watchdog"])
            .arg(self.uid.to_string())
            .arg(self.gid.to_string())
            .arg(self.bin.join("pg_ctl"))
            .arg(self.dir.path().join("data"))
            .arg(self.dir.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        // SAFETY: close_range is async-signal-safe; it closes this child's
        // copies of the parent's descriptors above stdio, nothing else.
        unsafe {
            cmd.pre_exec(|| {
                libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("the cluster's watchdog");
        let pipe = child.stdin.take().expect("the watchdog's stdin");
        self.watchdog = Some(Watchdog { child, pipe });
    }

    /// Kills the server's postmaster with SIGKILL (no shutdown, no
    /// checkpoint), then waits until its processes are gone.
    pub fn kill9(&self) {
        let pidfile = self.dir.path().join("data/postmaster.pid");
        let text = std::fs::read_to_string(&pidfile).expect("postmaster.pid");
        let pid: i32 = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("a pid");
        // SAFETY: kill on a pid we read from the server's own lock file.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0, "kill {pid}");
        for _ in 0..200 {
            if !Path::new("/proc").join(pid.to_string()).exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the killed server did not exit");
    }

    /// Starts the server again after [`Cluster::kill9`] (crash recovery),
    /// once the killed server's backends have let go of its shared memory.
    pub fn restart(&self) {
        let mut last = String::new();
        for _ in 0..120 {
            let out = self
                .as_postgres("pg_ctl")
                .args(["-D"])
                .arg(self.dir.path().join("data"))
                .args(["-l"])
                .arg(self.dir.path().join("server.log"))
                .args(["-w", "-t", "60", "start"])
                .output()
                .expect("pg_ctl start");
            if out.status.success() {
                return;
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        panic!("the server did not come back: {last}");
    }

    fn as_postgres(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(tool));
        cmd.uid(self.uid).gid(self.gid).current_dir(self.dir.path());
        cmd.env_clear().env("PATH", "/usr/bin:/bin");
        cmd
    }

    /// Runs `sql` as the superuser over the socket; returns psql's output
    /// (unaligned, tuples only).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .uid(self.uid)
            .gid(self.gid)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .current_dir(self.dir.path())
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.socket)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                db,
                "-c",
                sql,
            ])
            .output()
            .expect("psql");
        check(&format!("psql {sql}"), &out);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A fresh database for one test, named `BASE_N` (unique in this
    /// process, so in any of its clusters); returns its name.
    pub fn database(&self, base: &str) -> String {
        let name = format!("{base}_{}", DATABASES.fetch_add(1, Ordering::SeqCst));
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        name
    }

    /// [`Cluster::database`], owned by login `owner`.
    pub fn database_owned(&self, base: &str, owner: &str) -> String {
        let name = format!("{base}_{}", DATABASES.fetch_add(1, Ordering::SeqCst));
        self.psql(
            "postgres",
            &format!("CREATE DATABASE \"{name}\" OWNER \"{owner}\""),
        );
        name
    }

    /// Runs role-level `sql` (CREATE ROLE, GRANT a role to a role) as the
    /// superuser, one such change at a time in this process (see [`ROLES`]).
    pub fn alter_roles(&self, sql: &str) -> String {
        let _one_at_a_time = ROLES.lock().unwrap_or_else(|e| e.into_inner());
        self.psql("postgres", sql)
    }

    /// Appends `lines` to the server's configuration (later lines win);
    /// takes effect at the next start or [`Cluster::reload`].
    pub fn configure(&self, lines: &str) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join("data/postgresql.conf"))
            .expect("conf");
        std::io::Write::write_all(&mut f, format!("\n{lines}\n").as_bytes()).expect("write conf");
    }

    /// Re-reads the configuration and pg_hba.conf.
    pub fn reload(&self) {
        let out = self
            .as_postgres("pg_ctl")
            .args(["-D"])
            .arg(self.dir.path().join("data"))
            .arg("reload")
            .output()
            .expect("pg_ctl reload");
        check("pg_ctl reload", &out);
    }

    /// A streaming standby of this server named `name` (its
    /// `application_name`, for `synchronous_standby_names`), made by
    /// `pg_basebackup -R` over the socket and started on a port and socket
    /// of its own. It inherits this server's configuration, TLS and
    /// logins.
    pub fn standby(&self, name: &str) -> Cluster {
        let hba = self.dir.path().join("data/pg_hba.conf");
        let mut rules = std::fs::read_to_string(&hba).expect("hba");
        rules.push_str("local replication all peer\n");
        std::fs::write(&hba, rules).expect("hba");
        self.reload();
        let (dir, socket) = folders(self.uid, self.gid);
        let mut c = Cluster {
            dir,
            socket,
            port: free_port(),
            tcp: self.tcp,
            bin: self.bin.clone(),
            uid: self.uid,
            gid: self.gid,
            watchdog: None,
        };
        c.watch();
        let out = c
            .as_postgres("pg_basebackup")
            .args(["-D"])
            .arg(c.dir.path().join("data"))
            .args(["-R", "-X", "stream", "-c", "fast", "--no-sync", "-h"])
            .arg(&self.socket)
            .args(["-p", &self.port.to_string(), "-U", "postgres"])
            .output()
            .expect("pg_basebackup");
        check("pg_basebackup", &out);
        c.configure(&format!(
            "port = {}\nunix_socket_directories = '{}'\ncluster_name = '{name}'",
            c.port,
            c.socket.display()
        ));
        c.pg_start();
        c
    }

    /// Promotes a standby to primary (waits until it accepts writes).
    pub fn promote(&self) {
        let out = self
            .as_postgres("pg_ctl")
            .args(["-D"])
            .arg(self.dir.path().join("data"))
            .args(["-w", "promote"])
            .output()
            .expect("pg_ctl promote");
        check("pg_ctl promote", &out);
    }

    /// Creates each of `logins` the server does not have yet with the
    /// password `pw-LOGIN` (the first also CREATEROLE: the init owner, no
    /// superuser) and a password file (0600) that holds them all. On the
    /// shared cluster a login another test made is the same login.
    pub fn logins(&self, logins: &[&str]) -> Passwords {
        let mut sql = String::from("DO $$ BEGIN ");
        for l in logins {
            sql.push_str(&format!(
                "IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{l}') THEN \
                 CREATE ROLE {l} LOGIN PASSWORD 'pw-{l}'; END IF; "
            ));
        }
        sql.push_str("END $$;");
        if let Some(owner) = logins.first() {
            sql.push_str(&format!("ALTER ROLE {owner} CREATEROLE;"));
        }
        self.alter_roles(&sql);
        // Inside the cluster's folder: removed with it, also when the
        // Passwords are a static's and never dropped.
        let dir = tempfile::tempdir_in(self.dir.path()).expect("dir");
        let file = dir.path().join("pgpass");
        let lines: String = logins
            .iter()
            .map(|l| format!("*:*:*:{l}:pw-{l}\n"))
            .collect();
        std::fs::write(&file, lines).expect("pgpass");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        Passwords { _dir: dir, file }
    }

    /// The CA certificate the server's chains to (TCP clusters).
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("tls/ca.crt")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .as_postgres("pg_ctl")
            .args(["-D"])
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        // The server is down: let the watchdog go (it finds nothing left
        // to stop) and reap it.
        if let Some(Watchdog { mut child, pipe }) = self.watchdog.take() {
            drop(pipe);
            let _ = child.wait();
        }
    }
}
