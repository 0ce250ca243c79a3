//! The store on SQLite: one file, WAL, foreign keys, migrations by
//! `user_version`; every write one `BEGIN IMMEDIATE` transaction that
//! changes state and appends its event together ([`Store::write`]).

pub mod access;
pub mod attention;
pub mod audit_scan;
mod batches;
mod board;
pub mod bulk;
mod cipher;
mod db;
pub mod due;
pub mod events;
pub mod export;
pub mod feed;
pub mod filter;
mod fs_check;
pub mod in_use;
mod migrations;
mod names;
pub mod opening;
mod order;
mod outbox;
pub mod query;
pub(crate) mod raw;
pub mod records;
pub mod setup;
pub mod stays;
pub mod user_views;
pub mod users;
pub mod verify;

pub use db::SqliteTx;

use crate::{Result, StoreError};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What opening may do to the file.
#[derive(Clone, Copy)]
struct Opening {
    /// An empty file may be given the schema (`init`, `demo`).
    fresh: bool,
    /// An older carequeue database may be brought up to this schema.
    migrate: bool,
    /// Opened as immutable: a cleanly closed file on a read-only file
    /// system, where SQLite could not make the WAL's shared-memory file.
    immutable: bool,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The last pass over the attention index (see `attention`).
    attention: std::cell::RefCell<attention::Memo>,
    /// The last name typed into a filter: its candidates (see `names`).
    names: std::cell::RefCell<names::Memo>,
    /// The hash of the pipeline this handle's writes were decided under:
    /// each write checks it inside its own transaction.
    expected_pipeline: Option<String>,
    /// While set, every write runs whole and is then rolled back: a dry run
    /// that meets exactly the checks a real write would.
    dry_run: bool,
    /// Opened read-only: the file is not writable for this process.
    read_only: bool,
    /// Read-only, and the caller owns the file (see [`Store::reads_unlogged`]).
    owner: bool,
    /// The file's `data_version` when a console last asked what it heard.
    heard_version: std::cell::Cell<Option<i64>>,
    /// `wal_autocheckpoint` as it was before many writes began.
    wal_before: Option<i64>,
    /// The stored pipeline the stays are settled under, as last parsed.
    stays: std::cell::RefCell<stays::Memo>,
    /// Records up to which a stale stays table is rebuilt in the commit
    /// that finds it stale.
    stays_inline: i64,
}

impl Store {
    /// Opens an existing database (refusing network file systems).
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, false)
    }

    /// Opens an existing carequeue database at this carequeue's schema step;
    /// one at an older step is refused, not migrated (see
    /// [`Store::open_migrating`]), so no command but that changes its schema.
    pub fn open_with(path: &Path, allow_network_fs: bool) -> Result<Store> {
        Self::open_existing(path, allow_network_fs, false)
    }

    /// [`Store::open_with`] that brings an older carequeue database up to
    /// this schema step first: for `pipeline adopt`, its owner's command.
    pub fn open_migrating(path: &Path, allow_network_fs: bool) -> Result<Store> {
        Self::open_existing(path, allow_network_fs, true)
    }

    fn open_existing(path: &Path, allow_network_fs: bool, migrate: bool) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        refuse_network(path, allow_network_fs)?;
        let writable = opening::writable(path);
        let flags = if writable {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } else {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        };
        Self::open_inner(
            path,
            flags,
            Opening {
                fresh: false,
                migrate,
                immutable: !writable && opening::frozen(path),
            },
        )
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
            Opening {
                fresh: true,
                migrate: true,
                immutable: false,
            },
        )
    }

    fn open_inner(path: &Path, flags: OpenFlags, how: Opening) -> Result<Store> {
        let Opening {
            fresh,
            migrate,
            immutable,
        } = how;
        let read_only = flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY);
        let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let opened = if immutable {
            Connection::open_with_flags(opening::immutable_uri(path), flags)
        } else {
            Connection::open_with_flags(path, flags)
        };
        let mut conn = opened.map_err(|source| StoreError::Open {
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
        // Before anything that could write (the journal mode is in the
        // file's header): is this file ours?
        let found = opening::schema_version(&conn, path, fresh)?;
        let known = migrations::known();
        if found > known {
            return Err(StoreError::TooNew { found, known });
        }
        // From step 3 on a database holds its pipeline, and later steps only
        // add (an index): any writable open applies them, and a read-only
        // one reads without them.
        let adopted = found >= migrations::HOLDS_PIPELINE;
        if found < known && found > 0 && !adopted {
            let path = path.display().to_string();
            if read_only {
                return Err(StoreError::ReadOnlyOld { path, found, known });
            }
            if !migrate {
                return Err(StoreError::Old { path, found, known });
            }
        }
        if !read_only {
            conn.pragma_update(None, "journal_mode", "WAL")?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 16 MiB of page cache (SQLite's default is 2 MiB): a sweep or a
        // page of a large queue touches pages all over the tables.
        conn.pragma_update(None, "cache_size", -16_384)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            attention: Default::default(),
            names: Default::default(),
            expected_pipeline: None,
            dry_run: false,
            read_only,
            owner: read_only && opening::owned_by_caller(path),
            heard_version: Default::default(),
            wal_before: None,
            stays: Default::default(),
            stays_inline: stays::INLINE,
        };
        if found < known && !read_only {
            // A fresh file (`init`, `demo`), `pipeline adopt`'s, or one that
            // already holds its pipeline and lacks a later index.
            migrations::apply(&mut store.conn)?;
        }
        Ok(store)
    }

    /// A private, empty database in memory at this schema step: the
    /// snapshot `verify` checks a PostgreSQL database in (nothing of it
    /// reaches a disk).
    pub fn scratch() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::apply(&mut conn)?;
        Ok(Store {
            conn,
            path: PathBuf::from(":memory:"),
            attention: Default::default(),
            names: Default::default(),
            expected_pipeline: None,
            dry_run: false,
            read_only: false,
            owner: false,
            heard_version: Default::default(),
            wal_before: None,
            stays: Default::default(),
            stays_inline: stays::INLINE,
        })
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

    /// Whether the file was opened read-only (it is not writable for us).
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Whether reads go on although they cannot be logged: the file is
    /// read-only for its own owner (a 0400 archive), who could make it
    /// writable, or read it with any SQLite tool, at will. Anyone else who
    /// may only read it (a group member of a 0640 file) is refused a read
    /// that cannot be logged.
    pub fn reads_unlogged(&self) -> bool {
        self.read_only && self.owner
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
        if self.read_only {
            return Err(StoreError::ReadOnly {
                path: self.path.display().to_string(),
            }
            .into());
        }
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
        stays::settle(&tx, &mut self.stays.borrow_mut(), self.stays_inline)?;
        if self.dry_run {
            tx.rollback().map_err(StoreError::from)?;
        } else {
            tx.commit().map_err(StoreError::from)?;
        }
        Ok(out)
    }

    /// Hands over the stored pipeline (hash `hash`) already parsed, so
    /// the commits that settle stays need not parse it again.
    pub fn share_pipeline(
        &mut self,
        hash: String,
        p: std::sync::Arc<carequeue_core::domain::Pipeline>,
    ) {
        self.stays.borrow_mut().share(hash, p);
    }

    /// Records up to which a stale stays table is rebuilt inside the
    /// commit that finds it stale (default [`stays::INLINE`]).
    pub fn set_stays_inline(&mut self, records: i64) {
        self.stays_inline = records;
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

// Both on the connection's statement cache: every request of the console's
// data worker reads the pipeline hash, and every access entry reads and
// writes the log's head and count (parsing them each time was a third of a
// detail pane's own work).
pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

#[cfg(unix)]
fn create_private(path: &Path) -> Result<()> {
    crate::os::create_new_private(path)?;
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
