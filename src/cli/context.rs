//! What every command needs: the validated pipeline, the database path, the
//! acting user and the clock.

use super::args::Cli;
use crate::domain::{self, DEFAULT_PIPELINE, Located, Pipeline};
use crate::engine::clock::parse_instant;
use crate::engine::{Clock, FixedClock, SystemClock};
use anyhow::{Context as _, Result, anyhow, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Ctx {
    pub pipeline: Arc<Pipeline>,
    pub pipeline_file: String,
    pub db: PathBuf,
    pub db_given: bool,
    pub user: Option<String>,
    pub clock: Arc<dyn Clock>,
    pub allow_network_fs: bool,
    /// Idle minutes before the console locks; 0 never.
    pub idle_lock: f64,
}

/// The pipeline source and the name to report problems under.
pub fn pipeline_source(cli: &Cli) -> Result<(String, String)> {
    let path = match &cli.pipeline {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from("pipeline.toml")).filter(|p| p.exists()),
    };
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read pipeline {}", p.display()))?;
            Ok((p.display().to_string(), text))
        }
        None => Ok((
            "<built-in pipeline.toml>".to_string(),
            DEFAULT_PIPELINE.to_string(),
        )),
    }
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
    /// Loads and validates the pipeline; refuses to go on if it has errors.
    pub fn load(cli: &Cli) -> Result<Ctx> {
        let (file, text) = pipeline_source(cli)?;
        let checked = domain::check(&text);
        let Some(pipeline) = checked.pipeline else {
            for d in &checked.diagnostics {
                eprintln!("{}", Located::new(&file, &text, d));
            }
            let n = checked
                .diagnostics
                .iter()
                .filter(|d| d.severity == domain::Severity::Error)
                .count();
            bail!("pipeline {file} has {n} error(s); run `carequeue check`");
        };
        let db_given = cli.db.is_some();
        Ok(Ctx {
            pipeline: Arc::new(pipeline),
            pipeline_file: file,
            db: cli
                .db
                .clone()
                .unwrap_or_else(|| PathBuf::from("carequeue.db")),
            db_given,
            user: cli.as_user.clone(),
            clock: clock(cli)?,
            allow_network_fs: cli.allow_network_fs,
            idle_lock: cli.idle_lock,
        })
    }

    /// The acting user's name: `--as`, `CAREQUEUE_USER`, else the OS user.
    pub fn user_name(&self) -> String {
        self.user.clone().unwrap_or_else(os_user)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn db_path(&self) -> &Path {
        &self.db
    }
}

pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string())
}
