//! `verify` and `checkpoint`: integrity of the database and its logs, and
//! proof against a rewrite with recomputed hashes, from heads kept outside
//! the file.

use super::args::Cli;
use super::context::Ctx;
use super::out::outln;
use super::team::open;
use crate::ops::checkpoints::{append, current};
use crate::ops::verify::{verify, verify_stored};
use crate::store::checkpoint::Checkpoint;
use crate::store::pg::{self, conninfo};
use crate::store::verify::{Problems, Verifiable, VerifyReport};
use anyhow::{Context as _, Result, bail};
use std::path::Path;

pub fn run(ctx: &Ctx, checkpoints: Option<&Path>) -> Result<()> {
    let store = open(ctx)?;
    ctx.reader(&store)?;
    // Who may do what is the database's pipeline's to say.
    let v = verify(&ctx.authority, &store)?;
    passed(&v.problems)?;
    report(&store, &v.report, checkpoints, "")
}

/// Ok if nothing was found; else, on stderr, the `error:` line naming the
/// first problem, then every other one a line each (the first hundred,
/// then a count). Nothing goes to stdout, as with any refusal.
fn passed(problems: &Problems) -> Result<()> {
    let Some(first) = problems.shown().first() else {
        return Ok(());
    };
    let clean = crate::present::clean;
    let total = problems.total();
    let mut text = match total {
        1 => format!("error: {}", clean(&first.to_string())),
        n => format!(
            "error: {} (and {} more problem(s), below)",
            clean(&first.to_string()),
            n - 1
        ),
    };
    for p in &problems.shown()[1..] {
        text.push_str(&format!("\n  {}", clean(&p.to_string())));
    }
    if total > problems.shown().len() {
        text.push_str(&format!(
            "\n  … and {} more",
            total - problems.shown().len()
        ));
    }
    eprintln!("{text}");
    Err(super::Reported.into())
}

/// Whether `--db` names a PostgreSQL database.
pub fn on_postgres(cli: &Cli) -> bool {
    cli.db
        .as_deref()
        .and_then(Path::to_str)
        .is_some_and(conninfo::is_url)
}

/// `verify --db postgres://…`: as the connecting login (an admin or the
/// database's owner: verify reads the access log too).
pub fn run_pg(cli: &Cli, checkpoints: Option<&Path>) -> Result<()> {
    let url = cli.db.as_deref().and_then(Path::to_str).unwrap_or_default();
    let mut server = pg::Setup::open(url, "--db")?;
    let v = server.verify(&verify_stored)?;
    passed(&v.verdict.problems)?;
    let migrated = if v.migrated_events > 0 {
        format!(
            "; events 1-{} came from SQLite by `migrate`, every later one matches the login that wrote it",
            v.migrated_events
        )
    } else {
        "; every event matches the login that wrote it".to_string()
    };
    report(&v.snapshot, &v.verdict.report, checkpoints, &migrated)
}

/// Checks the checkpoints against `store` and prints the `ok:` line.
fn report(
    store: &dyn Verifiable,
    r: &VerifyReport,
    checkpoints: Option<&Path>,
    more: &str,
) -> Result<()> {
    let mut held = 0;
    if let Some(file) = checkpoints {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read checkpoints {}", file.display()))?;
        let mut last_good: Option<Checkpoint> = None;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let cp: Checkpoint = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not a checkpoint line", file.display(), i + 1))?;
            if let Some(what) = diverges(store, &cp, last_good.as_ref())? {
                bail!("{}:{}: {what}", file.display(), i + 1);
            }
            held += 1;
            last_good = Some(cp);
        }
    }
    let head: String = r.head.chars().take(12).collect();
    outln!(
        "ok: {} events, {} records, {} users, chain head {head}; {} access entries{}{more}",
        r.events,
        r.records,
        r.users,
        r.access_events,
        match checkpoints {
            Some(_) => format!("; the logs extend all {held} checkpoint(s)"),
            None => String::new(),
        }
    )?;
    Ok(())
}

/// Whether the logs still extend `cp`; if not, which event diverges.
fn diverges(
    store: &dyn Verifiable,
    cp: &Checkpoint,
    before: Option<&Checkpoint>,
) -> Result<Option<String>> {
    let now_hash = store.event_hash_at(cp.events)?;
    if now_hash.as_deref() != Some(cp.head.as_str()) && cp.events > 0 {
        // The rewrite lies after the last checkpoint that still holds.
        let from = before.map_or(1, |b| b.events + 1);
        let at = if from == cp.events {
            format!("event {} was rewritten", cp.events)
        } else {
            format!(
                "the first rewritten event is among events {from}-{}",
                cp.events
            )
        };
        return Ok(Some(format!(
            "the event log no longer extends the checkpoint taken {} ({} events): {at}",
            cp.at, cp.events
        )));
    }
    let acc = store.access_hash_at(cp.access_events)?;
    if acc.as_deref() != Some(cp.access_head.as_str()) && cp.access_events > 0 {
        let from = before.map_or(1, |b| b.access_events + 1);
        return Ok(Some(format!(
            "the access log no longer extends the checkpoint taken {} ({} entries): the first rewritten entry is among entries {from}-{}",
            cp.at, cp.access_events, cp.access_events
        )));
    }
    Ok(None)
}

pub fn checkpoint(ctx: &Ctx, to: Option<&Path>) -> Result<()> {
    let store = ctx.board()?;
    ctx.reader(&*store)?;
    let cp = current(&*store, ctx.now())?;
    if let Some(f) = to {
        append(f, &cp)?;
    }
    outln!("{}", serde_json::to_string(&cp)?)?;
    Ok(())
}
