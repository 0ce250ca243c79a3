//! The commands with subcommands of their own: `config`, `pipeline` and
//! `user`.

use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the full default configuration (a valid file to start from).
    Defaults,
    /// Validate a configuration file; exit 1 on any error.
    ///
    /// Default: --config, else the usual place. Every problem is one line,
    /// FILE:LINE:COL: error[C0xx].
    Check { file: Option<PathBuf> },
}

#[derive(Debug, Subcommand)]
pub enum DeliveriesCmd {
    /// Queue dead or failing messages again: one by id, or a target's all.
    Retry {
        /// A message id, `msg_<target>_<seq>`.
        #[arg(required_unless_present = "target", conflicts_with = "target")]
        id: Option<String>,
        /// Every dead or failing message of this target.
        #[arg(long, value_name = "T")]
        target: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaysCmd {
    /// Whether the stays table answers the audit, and its size.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Build the stays table again from the log, now.
    Rebuild {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PipelineCmd {
    /// Give a database from before stored pipelines its pipeline (its OS owner only).
    Adopt { file: PathBuf },
    /// What FILE would change, with the records each stage holds.
    Diff {
        file: PathBuf,
        /// Carry the records of a removed stage OLD to stage NEW.
        #[arg(long = "map", value_name = "OLD=NEW", value_parser = parse_map)]
        maps: Vec<(String, String)>,
        #[arg(long)]
        json: bool,
    },
    /// Replace the pipeline in force (admins).
    ///
    /// Refused if it would strand records, sub-statuses, choices, roles,
    /// timers or the last admin.
    Apply {
        file: PathBuf,
        /// Carry the records of a removed stage OLD to stage NEW.
        #[arg(long = "map", value_name = "OLD=NEW", value_parser = parse_map)]
        maps: Vec<(String, String)>,
    },
    /// Print the pipeline in force, or stored version N.
    Show {
        #[arg(long, value_name = "N")]
        version: Option<i64>,
        /// The version's text as stored (TOML), not the resolved table.
        #[arg(long, conflicts_with = "json")]
        toml: bool,
        #[arg(long)]
        json: bool,
    },
    /// The versions applied: when, by whom, hash.
    History {
        #[arg(long)]
        json: bool,
    },
}

/// `OLD=NEW`, for `--map`.
fn parse_map(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
            Ok((a.trim().to_string(), b.trim().to_string()))
        }
        _ => Err("expected OLD=NEW (two stage ids)".to_string()),
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user (or add roles to one). Admins only.
    Add {
        name: String,
        #[arg(long = "role", required = true, value_name = "R")]
        roles: Vec<String>,
        /// The OS account to link (default: the account of the same name).
        #[arg(long, value_name = "OSNAME")]
        login: Option<String>,
    },
    /// Take roles from a user; records they can no longer own are released. Admins only.
    Revoke {
        name: String,
        #[arg(long = "role", required = true, value_name = "R")]
        roles: Vec<String>,
    },
    /// Disable a leaver: history kept, their records released. Admins only.
    Disable { name: String },
    /// List the team.
    List {
        #[arg(long)]
        json: bool,
    },
}
