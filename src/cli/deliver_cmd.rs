//! `deliver --dry-run`: what the webhook targets of `notify.toml` would be
//! sent for the events after a sequence number, signed the Standard
//! Webhooks way, printed rather than sent, so people can try a receiver
//! (`scripts/webhook_receiver.py` verifies them). Without `--dry-run`,
//! `deliver_run` sends.

use super::context::Ctx;
use super::out::outln;
use crate::log::AccessAction;
use crate::ops::notify::{self, Target};
use crate::store::feed::FeedQuery;
use anyhow::{Result, anyhow, bail};
use serde_json::json;
use std::path::{Path, PathBuf};

/// What `deliver` was asked for.
pub struct Args<'a> {
    pub dry_run: bool,
    pub once: bool,
    pub notify: Option<&'a Path>,
    pub since: Option<i64>,
    pub limit: usize,
    pub json: bool,
}

/// `--notify FILE`, else `notify.toml` beside a SQLite database.
pub(super) fn notify_file(ctx: &Ctx, given: Option<&Path>) -> Result<PathBuf> {
    if let Some(f) = given {
        return Ok(f.to_path_buf());
    }
    if let Some(f) = std::env::var_os("CAREQUEUE_NOTIFY").filter(|f| !f.is_empty()) {
        return Ok(PathBuf::from(f));
    }
    let db = ctx.db_path();
    if crate::store::pg::conninfo::is_url(&db.display().to_string()) {
        bail!(
            "--notify FILE (or CAREQUEUE_NOTIFY): a PostgreSQL database has no folder to find notify.toml in"
        );
    }
    Ok(db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("notify.toml"))
}

/// A CloudEvents `source`: the pipeline's name as a URN.
pub(super) fn source(ctx: &Ctx) -> String {
    let name: String = ctx
        .pipeline
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("urn:carequeue:{name}")
}

/// Where a target carries patient data (`phi`): authorises the export and
/// logs it (`how` names the command, with the targets), before anything is
/// read; whether it did.
pub(super) fn phi_export(
    ctx: &Ctx,
    store: &mut dyn crate::store::Db,
    actor: &crate::ops::Actor,
    targets: &[Target],
    how: &str,
) -> Result<bool> {
    let names: Vec<&str> = targets
        .iter()
        .filter(|t| t.phi)
        .map(|t| t.name.as_str())
        .collect();
    if names.is_empty() {
        return Ok(false);
    }
    let now = ctx.now();
    crate::ops::reads::authorise_export(&ctx.authority, store, actor, now)?;
    let detail = format!("{how} to {}", names.join(", "));
    crate::ops::reads::log_read(store, actor, AccessAction::Export, None, Some(&detail), now)?;
    Ok(true)
}

pub fn run(ctx: &Ctx, a: &Args) -> Result<()> {
    let since = a.since.unwrap_or(0);
    if since < 0 {
        bail!("--since {since}: a sequence number is 0 or more");
    }
    if !a.dry_run {
        return super::deliver_run::run(ctx, a);
    }
    let file = notify_file(ctx, a.notify)?;
    let targets: Vec<Target> = notify::load(&ctx.pipeline, &file).map_err(|e| anyhow!(e))?;
    if targets.is_empty() {
        bail!("{}: no [[target]] to deliver to", file.display());
    }
    let mut store = ctx.board()?;
    let now = ctx.now();
    let actor = ctx.reader(&*store)?;
    let phi = phi_export(ctx, &mut *store, &actor, &targets, "deliver --dry-run")?;
    let events = store.feed(&FeedQuery {
        after: since,
        kinds: Vec::new(),
        limit: a.limit,
        with_phi: phi,
    })?;
    let src = source(ctx);
    for e in &events {
        for t in targets.iter().filter(|t| t.wants(e)) {
            let m = notify::message(&ctx.pipeline, t, e, &src, now.timestamp());
            if a.json {
                let v = json!({
                    "target": m.target,
                    "url": m.url,
                    "seq": e.seq,
                    "headers": {
                        "content-type": "application/json",
                        "webhook-id": m.id,
                        "webhook-timestamp": m.timestamp.to_string(),
                        "webhook-signature": m.signature,
                    },
                    "body": m.body,
                });
                outln!("{v}")?;
            } else {
                outln!(
                    "POST {} · target {} · event {}\ncontent-type: application/json\nwebhook-id: {}\nwebhook-timestamp: {}\nwebhook-signature: {}\n\n{}\n",
                    m.url,
                    m.target,
                    e.seq,
                    m.id,
                    m.timestamp,
                    m.signature,
                    m.body
                )?;
            }
        }
    }
    Ok(())
}
