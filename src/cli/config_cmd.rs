//! `config defaults` and `config check`: the console's configuration file.

use super::args::Cli;
use super::out::{out, outln};
use crate::config;
use anyhow::{Result, bail};
use std::path::PathBuf;

/// The file the console would read: `--config`, else the usual place.
pub fn path(cli: &Cli) -> Option<(PathBuf, bool)> {
    match &cli.config {
        Some(p) => Some((p.clone(), true)),
        None => config::default_path().map(|p| (p, false)),
    }
}

pub fn defaults() -> Result<()> {
    out!("{}", config::DEFAULTS)?;
    Ok(())
}

pub fn check(cli: &Cli, file: Option<&std::path::Path>) -> Result<()> {
    let (path, given) = match file {
        Some(f) => (f.to_path_buf(), true),
        None => match path(cli) {
            Some(p) => p,
            None => bail!(
                "no configuration file to check: HOME and XDG_CONFIG_HOME are unset; name one"
            ),
        },
    };
    if !given && !path.exists() {
        outln!(
            "{}: no such file; the console runs on the defaults (`carequeue config defaults`)",
            crate::present::clean(&path.display().to_string())
        )?;
        return Ok(());
    }
    match config::load(&path, true) {
        Ok(_) => {
            outln!("{}: ok", crate::present::clean(&path.display().to_string()))?;
            Ok(())
        }
        Err(lines) => {
            for l in &lines {
                eprintln!("{l}");
            }
            bail!(
                "{}: {} problem(s)",
                crate::present::clean(&path.display().to_string()),
                lines.len()
            )
        }
    }
}

/// The configuration the console runs on: the defaults with
/// `--no-config`, else the file; any problem stops the console with every
/// problem listed and a pointer to `--no-config`.
pub fn for_console(cli: &Cli) -> Result<config::Config> {
    if cli.no_config {
        return Ok(config::defaults());
    }
    let Some((path, given)) = path(cli) else {
        return Ok(config::defaults());
    };
    match config::load(&path, given) {
        Ok(c) => Ok(c),
        Err(lines) => {
            for l in &lines {
                eprintln!("{l}");
            }
            bail!(
                "the console did not start: fix {} (`carequeue config check` re-checks it) or run with --no-config",
                crate::present::clean(&path.display().to_string())
            )
        }
    }
}
