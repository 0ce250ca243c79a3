//! What every command needs: the pipeline in force, the database path, the
//! acting user and the clock.
//!
//! The database holds its pipeline: every command but `init`, `demo` and
//! `check` runs under the stored one. A `--pipeline` with the same text is
//! accepted silently; with a different text, reads run as a labelled what-if
//! and writes are refused. `./pipeline.toml` is read by `init` and `check`
//! only.

use super::args::Cli;
use crate::domain::{self, DEFAULT_PIPELINE, Located, Pipeline};
use crate::engine::clock::parse_instant;
use crate::engine::{Clock, FixedClock, SystemClock};
use crate::ops::{self, Actor};
use crate::store::pg::{PgStore, conninfo};
use crate::store::{Board, Db, Store};
use anyhow::{Context as _, Result, anyhow, bail};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the pipeline comes from for this command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `init`, `demo`: the file (`--pipeline`, `./pipeline.toml`, built-in).
    File,
    /// Every other command: the database's own.
    Database,
    /// `pipeline adopt`: no pipeline needed before the command runs.
    None,
}

pub struct Ctx {
    /// The pipeline reads are computed under: the database's, or a
    /// what-if `--pipeline`.
    pub pipeline: Arc<Pipeline>,
    /// The pipeline that decides who may do what: always the database's
    /// own (the file's for `init` and `demo`), never a what-if.
    pub authority: Arc<Pipeline>,
    pub pipeline_file: String,
    /// The pipeline's text, for `init` and `demo` to store.
    pub pipeline_text: String,
    /// `--pipeline` differs from the database's pipeline: reads are a
    /// labelled what-if, writes are refused.
    pub what_if: bool,
    pub db: PathBuf,
    pub db_given: bool,
    /// `--as` / `CAREQUEUE_USER`.
    pub user: Option<String>,
    pub clock: Arc<dyn Clock>,
    /// `--now` (or `CAREQUEUE_NOW`) was given.
    pub now_given: bool,
    pub allow_network_fs: bool,
    /// Idle minutes before the console locks; 0 never.
    pub idle_lock: f64,
    /// The store opened while loading, handed to the command.
    store: RefCell<Option<Store>>,
    /// The same, where `--db` is a PostgreSQL URL.
    pg: RefCell<Option<PgStore>>,
}

/// The pipeline file for `init`, `demo` and `check`, and the name to
/// report problems under.
pub fn pipeline_source(cli: &Cli) -> Result<(String, String)> {
    let path = match &cli.pipeline {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from("pipeline.toml")).filter(|p| p.exists()),
    };
    match path {
        Some(p) => Ok((p.display().to_string(), read_pipeline(&p)?)),
        None => Ok((
            "<built-in pipeline.toml>".to_string(),
            DEFAULT_PIPELINE.to_string(),
        )),
    }
}

pub fn read_pipeline(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).with_context(|| format!("cannot read pipeline {}", p.display()))
}

/// Validates `text`; prints every problem and refuses on errors.
pub fn validate(file: &str, text: &str) -> Result<Pipeline> {
    let checked = domain::check(text);
    let Some(pipeline) = checked.pipeline else {
        for d in &checked.diagnostics {
            eprintln!("{}", Located::new(file, text, d));
        }
        let n = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == domain::Severity::Error)
            .count();
        bail!("pipeline {file} has {n} error(s); run `carequeue check`");
    };
    Ok(pipeline)
}

pub fn clock(cli: &Cli) -> Result<Arc<dyn Clock>> {
    match &cli.now {
        Some(t) => {
            let at = parse_instant(t).ok_or_else(|| {
                anyhow!("--now `{t}` is not an RFC 3339 time (e.g. 2026-11-26T09:00:00Z)")
            })?;
            Ok(Arc::new(FixedClock(at)))
        }
        None => Ok(Arc::new(SystemClock)),
    }
}

impl Ctx {
    /// Loads and validates the pipeline from `source`; refuses to go on if
    /// it has errors, or if the database predates stored pipelines.
    pub fn load(cli: &Cli, source: Source) -> Result<Ctx> {
        let db = match &cli.command {
            // `migrate` reads the database it copies.
            Some(crate::cli::args::Command::Migrate { from, .. }) => from.clone(),
            _ => cli
                .db
                .clone()
                .unwrap_or_else(|| PathBuf::from("carequeue.db")),
        };
        let mut store = None;
        let mut pg = None;
        let mut authority = None;
        let (pipeline, pipeline_file, pipeline_text, what_if) = match source {
            Source::File | Source::None => {
                let (file, text) = pipeline_source(cli)?;
                let p = if source == Source::None {
                    // Parsed only if valid; `adopt` validates its own FILE.
                    match domain::check(&text).pipeline {
                        Some(p) => p,
                        None => validate("<built-in pipeline.toml>", DEFAULT_PIPELINE)?,
                    }
                } else {
                    validate(&file, &text)?
                };
                (p, file, text, false)
            }
            Source::Database => {
                // A given file is checked first, so its problems are
                // reported even where there is no database yet.
                let given = match &cli.pipeline {
                    Some(path) => {
                        let text = read_pipeline(path)?;
                        let file = path.display().to_string();
                        Some((validate(&file, &text)?, file, text))
                    }
                    None => None,
                };
                let url = db.to_str().filter(|u| conninfo::is_url(u));
                let (stored, label) = match url {
                    Some(url) => {
                        let s = PgStore::open(url)?;
                        let stored = s.current_pipeline()?;
                        let label = s.label();
                        pg = Some(s);
                        (stored, label)
                    }
                    None => {
                        let s = Store::open_with(&db, cli.allow_network_fs)?;
                        let stored = Board::stored_pipeline(&s)?;
                        store = Some(s);
                        (stored, db.display().to_string())
                    }
                };
                let Some(stored) = stored else {
                    bail!(
                        "{label} was made before databases held their pipeline: its OS owner must run `carequeue pipeline adopt FILE` first"
                    );
                };
                let shown = format!("{label} (pipeline v{})", stored.version);
                let in_force = validate(&shown, &stored.text)?;
                let out = match given {
                    Some((p, file, text))
                        if crate::store::pipelines::pipeline_hash(&text) != stored.hash =>
                    {
                        authority = Some(Arc::new(in_force));
                        (p, file, text, true)
                    }
                    _ => (in_force, shown, stored.text, false),
                };
                // Writes are decided under the stored pipeline: each checks,
                // in its own transaction, that it is still the one in force.
                if let Some(s) = store.as_mut() {
                    s.expect_pipeline(Some(stored.hash.clone()));
                }
                if let Some(s) = pg.as_mut() {
                    s.expect_pipeline(Some(stored.hash));
                }
                out
            }
        };
        let pipeline = Arc::new(pipeline);
        let authority = authority.unwrap_or_else(|| pipeline.clone());
        // The stays are settled under the stored pipeline, parsed here once.
        if let Some(s) = store.as_mut() {
            if let Some(hash) = s.expected_pipeline().map(str::to_string) {
                s.share_pipeline(hash, authority.clone());
            }
            if let Some(n) = stays_inline()? {
                s.set_stays_inline(n);
            }
        }
        if let Some(s) = pg.as_mut()
            && let Some(hash) = s.expected_pipeline().map(str::to_string)
        {
            s.share_pipeline(&hash, authority.clone());
        }
        Ok(Ctx {
            authority,
            pipeline,
            pipeline_file,
            pipeline_text,
            what_if,
            db,
            db_given: cli.db.is_some(),
            user: cli.as_user.clone(),
            clock: clock(cli)?,
            now_given: cli.now.is_some(),
            allow_network_fs: cli.allow_network_fs,
            idle_lock: cli.idle_lock,
            store: RefCell::new(store),
            pg: RefCell::new(pg),
        })
    }

    /// The database as operations see it, either kind: the commands that
    /// run on PostgreSQL too take it.
    pub fn db(&self) -> Result<Box<dyn Db>> {
        if let Some(s) = self.pg.borrow_mut().take() {
            return Ok(Box::new(s));
        }
        Ok(Box::new(self.store()?))
    }

    /// The database as the console sees it, either kind.
    pub fn board(&self) -> Result<Box<dyn crate::store::Board>> {
        if let Some(s) = self.pg.borrow_mut().take() {
            return Ok(Box::new(s));
        }
        Ok(Box::new(self.store()?))
    }

    /// The SQLite database: the one opened while loading, else opened now.
    pub fn store(&self) -> Result<Store> {
        if self.pg.borrow().is_some() {
            bail!(
                "--db postgres://…: this command does not run on PostgreSQL yet; it still needs a SQLite file"
            );
        }
        if let Some(s) = self.store.borrow_mut().take() {
            return Ok(s);
        }
        // Only `pipeline adopt` gets here (every other command opened the
        // store while loading): it may bring an older database up to date.
        let mut s = Store::open_migrating(self.db_path(), self.allow_network_fs)?;
        if !self.what_if && Board::stored_pipeline(&s)?.is_some() {
            s.expect_pipeline(Some(crate::store::pipelines::pipeline_hash(
                &self.pipeline_text,
            )));
        }
        Ok(s)
    }

    /// The acting user, for a read: known and enabled, never `system`.
    /// A what-if read says so first, on stderr.
    pub fn reader(&self, store: &dyn Db) -> Result<Actor> {
        let actor = ops::identity::resolve(store, self.user.as_deref())?;
        if let Some(label) = self.what_if_label() {
            eprintln!("{label}");
        }
        if store.reads_unlogged() {
            eprintln!(
                "note: {} is read-only for you: opened for reading only, and this read cannot be added to its access log",
                store.label()
            );
        }
        Ok(actor)
    }

    /// The acting user, for a write: as [`Ctx::reader`], and refused under
    /// a what-if pipeline or with `--now` outside trust mode.
    pub fn writer(&self, store: &dyn Db, command: &str) -> Result<Actor> {
        if store.read_only() {
            let why = crate::store::StoreError::ReadOnly {
                path: store.label(),
            };
            bail!("`{command}` refused: {why}");
        }
        let actor = ops::identity::resolve(store, self.user.as_deref())?;
        if self.what_if {
            bail!(
                "`{command}` refused: --pipeline {} is not the database's pipeline (a what-if view is read-only); an admin changes it with `carequeue pipeline apply FILE`",
                self.pipeline_file
            );
        }
        if self.now_given && !actor.trusted() {
            bail!(
                "`{command}` refused: --now / CAREQUEUE_NOW dates no write outside a trust-mode database (it stays for reads and what-if views)"
            );
        }
        Ok(actor)
    }

    /// The label a what-if read prints first, if any.
    pub fn what_if_label(&self) -> Option<String> {
        self.what_if.then(|| {
            format!(
                "what-if: pipeline {} (not the database's; nothing is written)",
                crate::present::clean(&self.pipeline_file)
            )
        })
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn db_path(&self) -> &Path {
        &self.db
    }
}

/// `CAREQUEUE_STAYS_INLINE`: records up to which a commit rebuilds a stale
/// stays table itself (default 5,000; larger ones rebuild in the
/// console's background or by `carequeue stays rebuild`).
fn stays_inline() -> Result<Option<i64>> {
    match std::env::var("CAREQUEUE_STAYS_INLINE") {
        Err(_) => Ok(None),
        Ok(v) => match v.trim().parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Some(n)),
            _ => bail!(
                "CAREQUEUE_STAYS_INLINE: `{}` is not a number of records",
                crate::present::clean(&v)
            ),
        },
    }
}
