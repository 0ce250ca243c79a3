//! `verify` and `checkpoint`: integrity of the database and its logs, and
//! proof against a rewrite with recomputed hashes, from heads kept outside
//! the file.

use super::context::Ctx;
use super::out::outln;
use super::team::open;
use crate::ops::checkpoints::{append, current};
use crate::store::verify::{Checkpoint, verify};
use crate::store::{Store, access, events};
use anyhow::{Context as _, Result, bail};
use std::path::Path;

pub fn run(ctx: &Ctx, checkpoints: Option<&Path>) -> Result<()> {
    let store = open(ctx)?;
    ctx.reader(&store)?;
    let r = match verify(&ctx.pipeline, &store)? {
        Ok(r) => r,
        Err(problem) => bail!("{problem}"),
    };
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
            if let Some(what) = diverges(&store, &cp, last_good.as_ref())? {
                bail!("{}:{}: {what}", file.display(), i + 1);
            }
            held += 1;
            last_good = Some(cp);
        }
    }
    let head: String = r.head.chars().take(12).collect();
    outln!(
        "ok: {} events, {} records, {} users, chain head {head}; {} access entries{}",
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
fn diverges(store: &Store, cp: &Checkpoint, before: Option<&Checkpoint>) -> Result<Option<String>> {
    let conn = store.conn();
    let now_hash = events::hash_at(conn, cp.events)?;
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
    let acc = access::hash_at(conn, cp.access_events)?;
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
    let store = open(ctx)?;
    ctx.reader(&store)?;
    let cp = current(&store, ctx.now())?;
    if let Some(f) = to {
        append(f, &cp)?;
    }
    outln!("{}", serde_json::to_string(&cp)?)?;
    Ok(())
}
