//! The command-line contract (SPEC "Command line"). Names, flags and exit
//! codes here are used by scripts: extend, never rename.

mod flags;
mod groups;

pub use flags::{DemoArgs, Format, ImportFormat, InitArgs, Limit, ListArgs, OpArgs};
pub use groups::{ConfigCmd, DeliveriesCmd, PipelineCmd, StaysCmd, UserCmd};

use clap::{Parser, Subcommand};
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
    Import {
        file: std::path::PathBuf,
        /// `fhir`: FHIR R4 NDJSON Tasks, as `export --format fhir` writes them.
        ///
        /// A Task whose record is already here is passed over.
        #[arg(long, value_enum, default_value = "csv")]
        format: ImportFormat,
    },
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
    /// Requests from other systems (NDJSON): new records, actions on records.
    ///
    /// Each line is an object with `op` (add, move, note, substatus,
    /// assign, claim, release, ack), an `op_id` (a line whose id was
    /// applied before is not applied again) and what the op needs
    /// (`patient` and `fields`; `record`, `event`, `text`, `value`, `user`,
    /// `reason`, `note`). Each line is its own transaction unless --atomic.
    Ingest {
        /// The requests; `-` or none reads standard input.
        file: Option<PathBuf>,
        /// All lines or none: one transaction, refused whole by any bad line.
        #[arg(long)]
        atomic: bool,
        /// One JSON result a line, then a summary line.
        #[arg(long)]
        json: bool,
    },
    /// Send the webhooks of notify.toml: signed, retried, in order per record.
    ///
    /// Runs until stopped (SIGTERM or SIGINT), polling the event feed
    /// about twice a second, holding the database's delivery lease (one
    /// deliverer at a time; another waits). --once sends what is due now
    /// and exits. --dry-run prints each message with its headers
    /// (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and body
    /// instead, sending nothing. Targets come from --notify FILE, else
    /// notify.toml beside the database.
    Deliver {
        /// Print what would be sent; send nothing.
        #[arg(long, conflicts_with = "once")]
        dry_run: bool,
        /// One pass: send what is due now, print a summary, exit.
        #[arg(long)]
        once: bool,
        /// The targets (default: notify.toml beside the database).
        #[arg(long, value_name = "FILE")]
        notify: Option<PathBuf>,
        /// Events after this sequence number (a new target: the feed's end).
        ///
        /// For --dry-run; and where a target never seen before starts.
        #[arg(long, value_name = "SEQ", allow_negative_numbers = true)]
        since: Option<i64>,
        /// At most this many events (--dry-run).
        #[arg(long, value_name = "N", default_value_t = 1000)]
        limit: usize,
        /// One JSON object a message: target, url, headers, body.
        #[arg(long)]
        json: bool,
    },
    /// Webhook messages: pending, delivered and dead; re-queue failed ones.
    Deliveries {
        /// Only dead messages and those being retried.
        #[arg(long)]
        failed: bool,
        /// Only this target's.
        #[arg(long, value_name = "T")]
        target: Option<String>,
        /// At most this many, newest first.
        #[arg(long, value_name = "N", default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<DeliveriesCmd>,
    },
    /// The stays table the audit reads: its state, or a rebuild now.
    Stays {
        #[command(subcommand)]
        action: StaysCmd,
    },
    /// One HTML page to forward: the stage audit and the trend charts.
    ///
    /// Self-contained (inline SVG, nothing fetched when opened), in the
    /// pipeline's time zone, naming no patient; written to a new file
    /// readable by its owner only.
    Report {
        /// From (YYYY-MM-DD or RFC 3339), inclusive.
        #[arg(long)]
        since: String,
        /// Until (YYYY-MM-DD or RFC 3339), exclusive.
        #[arg(long)]
        until: String,
        /// The trend's bucket: day, week or month.
        #[arg(long, default_value = "week")]
        by: String,
        /// The page to write (a new file; an existing one is refused).
        #[arg(long, value_name = "FILE.html")]
        out: PathBuf,
    },
    /// The pipeline bucket by bucket: flow, throughput, breach rate, cycle time.
    ///
    /// Records in each phase at each bucket's end, entries into active care
    /// and exits by disposition, each stage's breach rate among the stays
    /// that entered it, and the cycle time from creation to active care
    /// (median, p90, a control chart's points).
    Trend {
        /// From (YYYY-MM-DD or RFC 3339); default twelve buckets back.
        #[arg(long)]
        since: Option<String>,
        /// Until (YYYY-MM-DD or RFC 3339), exclusive; default now.
        #[arg(long)]
        until: Option<String>,
        /// The bucket: day, week (from Monday) or month, in the pipeline's time zone.
        #[arg(long, default_value = "week")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// The event log as a feed (NDJSON with --json), from a sequence number on.
    ///
    /// Each event with its sequence number (`seq`), record, the record's
    /// stage after it, kind, actor and time, and no patient data unless
    /// --with-patient. Start again from the last `seq` you read: nothing is
    /// missed or repeated.
    Events {
        /// Only events after this sequence number (0: from the start).
        #[arg(
            long,
            value_name = "SEQ",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        since: i64,
        /// Keep reading: new events appear within a second of their commit.
        #[arg(long)]
        follow: bool,
        /// Only events of this kind (repeatable: create, transition, note…).
        #[arg(long = "kind", value_name = "KIND")]
        kinds: Vec<String>,
        /// Include patient data: export roles only, logged as an export.
        ///
        /// The note, and the patient and fields a record was created with
        /// (with --json, which it needs).
        #[arg(long, requires = "json")]
        with_patient: bool,
        /// Stop after this many events.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// One JSON object a line (NDJSON).
        #[arg(long)]
        json: bool,
    },
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
