//! The command-line contract (SPEC "Command line"). Names, flags and exit
//! codes here are used by scripts: extend, never rename.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "carequeue",
    version,
    about = "Terminal operations console for telehealth care pipelines"
)]
pub struct Cli {
    /// Database file.
    #[arg(long, global = true, env = "CAREQUEUE_DB")]
    pub db: Option<PathBuf>,
    /// Pipeline file (init, demo, check; a what-if elsewhere).
    ///
    /// `init`, `demo` and `check` read it (default ./pipeline.toml if
    /// present, else the built-in one); every other command runs under the
    /// database's own pipeline, and a different file here makes reads a
    /// labelled what-if and refuses writes.
    #[arg(long, global = true, env = "CAREQUEUE_PIPELINE")]
    pub pipeline: Option<PathBuf>,
    /// Act as this user (trust-mode databases only).
    ///
    /// Only in a trust-mode database (`init --trust`, demos); elsewhere it
    /// may only name yourself.
    #[arg(
        long = "as",
        global = true,
        env = "CAREQUEUE_USER",
        value_name = "USER"
    )]
    pub as_user: Option<String>,
    /// Use this instant as "now" (RFC 3339).
    ///
    /// For reads and what-if views; writes take it only in a trust-mode
    /// database.
    #[arg(long, global = true, env = "CAREQUEUE_NOW", value_name = "TIME")]
    pub now: Option<String>,
    /// Allow a database on a network file system.
    ///
    /// NFS, SMB and FUSE file systems, where SQLite's locking is
    /// unreliable, are refused unless this is given.
    #[arg(long, global = true, env = "CAREQUEUE_ALLOW_NETWORK_FS")]
    pub allow_network_fs: bool,
    /// Console: lock the screen after this many idle minutes.
    ///
    /// 0 never locks; fractions are allowed.
    #[arg(
        long,
        global = true,
        env = "CAREQUEUE_IDLE_LOCK",
        default_value_t = 10.0,
        value_name = "MINUTES"
    )]
    pub idle_lock: f64,
    /// Console: the configuration file.
    ///
    /// Keys, aliases, columns, theme and mouse; default
    /// $XDG_CONFIG_HOME/carequeue/config.toml.
    #[arg(long, global = true, env = "CAREQUEUE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Console: ignore the configuration file; run on the defaults.
    #[arg(long, global = true, conflicts_with = "config")]
    pub no_config: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// (Re)create a demo database and open the console on it.
    Demo(DemoArgs),
    /// Create an empty database for the pipeline.
    Init(InitArgs),
    /// Validate the pipeline; exit 1 on any error.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// The console's configuration: print the defaults, or check a file.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Print the resolved pipeline, or adopt / apply one.
    Pipeline {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<PipelineCmd>,
    },
    /// Manage the team.
    #[command(subcommand)]
    User(UserCmd),
    /// Add a record at the entry stage; prints its id.
    Add {
        #[arg(long)]
        patient: String,
        /// A record field, KEY=VALUE (repeatable).
        #[arg(long = "field", value_name = "K=V")]
        fields: Vec<String>,
        /// Idempotency key: a retried `add` with the same id makes no second record.
        #[arg(long, value_name = "ID")]
        op_id: Option<String>,
    },
    /// List records, most urgent first.
    List(ListArgs),
    /// Show one record with its history and the events you may fire.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Fire a transition.
    Move {
        id: i64,
        event: String,
        /// The event's reason when it needs one, else the breach reason.
        #[arg(long, value_name = "CODE")]
        reason: Option<String>,
        /// The breach reason, when the event needs its own `--reason` too.
        #[arg(long, value_name = "CODE")]
        breach_reason: Option<String>,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Supervisors only: lift the event's guards, giving the reason.
        ///
        /// Logged as an `override` event. Roles still apply.
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
        #[command(flatten)]
        op: OpArgs,
    },
    /// Assign a record to a user.
    Assign {
        id: i64,
        user: String,
        #[command(flatten)]
        op: OpArgs,
    },
    /// Assign a record to yourself.
    Claim {
        id: i64,
        #[command(flatten)]
        op: OpArgs,
    },
    /// Return a record to its role's unowned queue.
    Release {
        id: i64,
        #[command(flatten)]
        op: OpArgs,
    },
    /// Set or clear a record's sub-status.
    Substatus {
        id: i64,
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        value: Option<String>,
        #[arg(long)]
        clear: bool,
        #[command(flatten)]
        op: OpArgs,
    },
    /// Add a note to a record.
    Note {
        id: i64,
        text: String,
        #[command(flatten)]
        op: OpArgs,
    },
    /// Fire every due timer and escalation as of now (idempotent).
    Sweep {
        #[arg(long)]
        json: bool,
    },
    /// Stage audit over a date range: time in stage, spread, breaches, exits.
    Audit {
        /// Start of the range (YYYY-MM-DD or RFC 3339), inclusive.
        #[arg(long)]
        since: Option<String>,
        /// End of the range (YYYY-MM-DD or RFC 3339), exclusive.
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Import records from CSV: all rows or none.
    Import { file: std::path::PathBuf },
    /// Export records (JSON includes histories).
    Export {
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// Write to this new file (mode 0600) instead of stdout.
        ///
        /// An existing file or a symbolic link is refused.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check database integrity, the hash chains and the replay of the log.
    Verify {
        /// Also prove the logs still extend every checkpoint in FILE.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// Copy a SQLite database into PostgreSQL, verified before it commits.
    ///
    /// Records, events, users and their logins, the access log, pipeline
    /// versions, saved views and the trust flag, in one transaction,
    /// verified before it commits. Run by an admin of the source, connected
    /// as the target database's owner; a target that already holds records
    /// is refused.
    Migrate {
        /// The SQLite database to copy.
        ///
        /// An encrypted one opens with CAREQUEUE_KEY_FILE, as always.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The target: postgres://[user@]host[:port]/database[?sslmode=…].
        ///
        /// No password here: it comes from PGPASSFILE or ~/.pgpass.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Print the logs' heads and counts, and append them to FILE.
    ///
    /// One JSON line; keep FILE elsewhere than the database, so
    /// `verify --checkpoint FILE` can prove a later rewrite.
    Checkpoint {
        #[arg(long, value_name = "FILE")]
        to: Option<PathBuf>,
    },
    /// Who read which record when (admins and supervising roles).
    AccessLog {
        /// Only reads by this user.
        #[arg(long, value_name = "USER")]
        user: Option<String>,
        /// Only reads that named record ID (`show`, detail panes), not lists that showed it.
        ///
        /// A list, an export or a console view logs its filter and how many
        /// records it returned, not their ids, so the lists and views that
        /// showed record ID among others are not found by this: read the
        /// entries of the same user and time without `--record`.
        #[arg(long, value_name = "ID")]
        record: Option<i64>,
        /// From (YYYY-MM-DD or RFC 3339), inclusive.
        #[arg(long)]
        since: Option<String>,
        /// Until (YYYY-MM-DD or RFC 3339), exclusive.
        #[arg(long)]
        until: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The database: store, trust mode, pipeline version, heads.
    Info {
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// Generated from the command definitions, so it never drifts from
    /// them. For bash: `carequeue completions bash >
    /// ~/.local/share/bash-completion/completions/carequeue`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), generated from the command definitions.
    ///
    /// `carequeue man > carequeue.1 && man ./carequeue.1`, or install it
    /// under a `man1` folder of your MANPATH.
    Man,
    /// Acknowledge a breach with a reason code from the stage's taxonomy.
    Ack {
        id: i64,
        #[arg(long, value_name = "CODE")]
        reason: String,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        #[command(flatten)]
        op: OpArgs,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct OpArgs {
    /// Refuse if the record changed since this version (a stale view).
    #[arg(long, value_name = "N")]
    pub expect_version: Option<i64>,
    /// Idempotency key: the same operation id is never applied twice.
    #[arg(long, value_name = "ID")]
    pub op_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 400)]
    pub records: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Build the database only; do not open the console.
    #[arg(long)]
    pub no_tui: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Trust mode: `--as` names the actor and `--now` dates writes.
    ///
    /// For demos and tests. Fixed for the database's life.
    #[arg(long)]
    pub trust: bool,
    /// Share the database with this OS group.
    ///
    /// Created 0660 in a setgid folder, so files made by any member get the
    /// group too.
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
}

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

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub phase: Option<String>,
    #[arg(long)]
    pub stage: Option<String>,
    #[arg(long, group = "who")]
    pub owner: Option<String>,
    #[arg(long, group = "who")]
    pub unassigned: bool,
    #[arg(long, group = "who")]
    pub mine: bool,
    #[arg(long, group = "slaf")]
    pub breached: bool,
    #[arg(long = "at-risk", group = "slaf")]
    pub at_risk: bool,
    /// A structured filter, as in the console's `/`.
    ///
    /// `stage:S owner:NAME|me|none role:R sla:breached|warn|ok|paused sub:S
    /// FIELD:VALUE #ID` and words of the patient's name (accents and case
    /// ignored), all combined with AND.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// The order: due (the default), age, patient or id, `:asc` or `:desc`.
    #[arg(long, value_name = "KEY[:asc|desc]")]
    pub sort: Option<String>,
    /// At most this many rows (0 to 100,000,000), in the order chosen.
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    pub limit: Option<Limit>,
    #[arg(long)]
    pub json: bool,
}

/// `--limit` as given: a whole number, in range or not (`list` refuses one
/// out of range itself, naming the flag and the range, exit 1).
#[derive(Debug, Clone)]
pub struct Limit {
    pub text: String,
    /// The number, if it is one `usize` holds.
    pub n: Option<usize>,
}

fn parse_limit(s: &str) -> Result<Limit, String> {
    let t = s.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "`{}` is not a whole number",
            crate::present::shown(s)
        ));
    }
    Ok(Limit {
        text: t.to_string(),
        n: t.parse().ok(),
    })
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}
