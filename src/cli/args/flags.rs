//! The flags several commands share, and the argument sets of `demo`,
//! `init` and `list`.

use clap::{Args, ValueEnum};

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
pub enum ImportFormat {
    Csv,
    /// FHIR R4 NDJSON: the Tasks, as `export --format fhir` writes them.
    Fhir,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Json,
    /// FHIR R4 NDJSON (Bulk Data): a Task per record, each followed by a
    /// Provenance per event.
    Fhir,
}
