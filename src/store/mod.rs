//! SQLite store: one file, WAL, foreign keys, migrations by `user_version`.
//! Every write goes through [`Store::write`], one `BEGIN IMMEDIATE`
//! transaction that changes state and appends its event together.

pub mod access;
pub mod attention;
pub mod audit_scan;
pub mod bulk;
mod cipher;
pub mod events;
mod fs_check;
pub mod in_use;
mod migrations;
pub mod query;
pub(crate) mod raw;
pub mod records;
pub mod setup;
pub mod users;
pub mod verify;

pub use attention::BreachGroup;
pub use events::{EventRow, NewEvent};
pub use query::{ListFilter, OwnerFilter, SlaFilter, StageCount};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("{0} does not exist (create it with `carequeue init` or `carequeue demo`)")]
    Missing(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database schema version {found} is newer than this carequeue understands ({known})")]
    TooNew { found: i64, known: i64 },
    #[error("record {0} not found")]
    NoRecord(i64),
    #[error(
        "record {id} changed since you read it (version {expected}, now {actual}); reload and try again"
    )]
    Stale { id: i64, expected: i64, actual: i64 },
    #[error("{table} row {expected} was stored as {actual}: the table changed while appending")]
    Misplaced {
        table: &'static str,
        expected: i64,
        actual: i64,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(
        "{path} is on a network file system ({kind}); SQLite's locks are not reliable there and the database could be corrupted. Move it to a local disk, or pass --allow-network-fs if you are sure only one host uses it"
    )]
    NetworkFs { path: String, kind: &'static str },
    #[error("{0}")]
    Key(String),
    #[error(
        "the pipeline changed while you worked (version {version} was applied); nothing was written: run the command again under the new pipeline"
    )]
    PipelineChanged { version: i64 },
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The last pass over the attention index (see `attention`).
    attention: std::cell::RefCell<attention::Memo>,
    /// The hash of the pipeline this handle's writes were decided under:
    /// each write checks it inside its own transaction.
    expected_pipeline: Option<String>,
    /// While set, every write runs whole and is then rolled back: a dry run
    /// that meets exactly the checks a real write would.
    dry_run: bool,
}

impl Store {
    /// Opens an existing database (refusing network file systems).
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, false)
    }

    pub fn open_with(path: &Path, allow_network_fs: bool) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        refuse_network(path, allow_network_fs)?;
        Self::open_inner(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    /// Opens or creates a database, created readable by its owner only.
    pub fn create(path: &Path) -> Result<Store> {
        Self::create_with(path, false)
    }

    pub fn create_with(path: &Path, allow_network_fs: bool) -> Result<Store> {
        refuse_network(path, allow_network_fs)?;
        if !path.exists() {
            create_private(path)?;
        }
        Self::open_inner(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )
    }

    fn open_inner(path: &Path, flags: OpenFlags) -> Result<Store> {
        let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let mut conn =
            Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
                path: path.display().to_string(),
                source,
            })?;
        cipher::apply_key(&conn)?;
        // Waits for another writer by polling every millisecond for up to
        // 10 s. SQLite's own busy timeout backs off to 100 ms sleeps, so a
        // short commit (a detail pane's access entry) beside a sweep that
        // commits batch after batch kept missing the gaps between them.
        conn.busy_handler(Some(wait_for_writer))?;
        // The console, sweep and queries rotate through more statements than
        // rusqlite's default 16; re-preparing them costs more than keeping them.
        conn.set_prepared_statement_cache_capacity(64);
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 16 MiB of page cache (SQLite's default is 2 MiB): a sweep or a
        // page of a large queue touches pages all over the tables.
        conn.pragma_update(None, "cache_size", -16_384)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            attention: Default::default(),
            expected_pipeline: None,
            dry_run: false,
        };
        migrations::apply(&mut store.conn)?;
        Ok(store)
    }

    /// Makes every write a dry run (rolled back after its checks) or real.
    pub fn set_dry_run(&mut self, on: bool) {
        self.dry_run = on;
    }

    /// Binds this handle's writes to the pipeline with `hash` (None: any).
    pub fn expect_pipeline(&mut self, hash: Option<String>) {
        self.expected_pipeline = hash;
    }

    /// The pipeline hash this handle's writes are bound to.
    pub fn expected_pipeline(&self) -> Option<&str> {
        self.expected_pipeline.as_deref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: all of it or none.
    pub fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Transaction) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        if let Some(expected) = &self.expected_pipeline
            && meta_get(&tx, "pipeline_hash")?.as_deref() != Some(expected.as_str())
        {
            let version = setup::current_pipeline(&tx)?.map_or(0, |p| p.version);
            return Err(StoreError::PipelineChanged { version }.into());
        }
        let out = f(&tx)?;
        if self.dry_run {
            tx.rollback().map_err(StoreError::from)?;
        } else {
            tx.commit().map_err(StoreError::from)?;
        }
        Ok(out)
    }

    /// Moves WAL checkpoints off the commit path: the caller runs
    /// [`Store::checkpoint`] when idle (the console's data worker does).
    pub fn defer_checkpoints(&self) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(())
    }

    /// Copies committed WAL pages into the database without waiting for readers.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        meta_get(&self.conn, key)
    }
}

fn refuse_network(path: &Path, allow: bool) -> Result<()> {
    if allow {
        return Ok(());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match fs_check::network_fs(&dir) {
        Some(kind) => Err(StoreError::NetworkFs {
            path: path.display().to_string(),
            kind,
        }),
        None => Ok(()),
    }
}

pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

#[cfg(unix)]
fn create_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    Ok(())
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> Result<()> {
    Ok(())
}

// SQLite creates `-wal` and `-shm` with the main file's mode, so a 0600
// database keeps them 0600 and a group's 0660 database keeps them 0660. Its
// mode is never reset on open: `init --group` chose it.

/// SQLite's busy handler: `true` to try again after a 1 ms sleep, up to
/// about 10 s of waiting.
fn wait_for_writer(attempt: i32) -> bool {
    if attempt >= 10_000 {
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}
