//! `migrate --from FILE.db --to postgres://…`: the whole database into
//! PostgreSQL, verified on both sides with the same heads.

use super::context::Ctx;
use super::out::outln;
use super::team::open;
use crate::log::AccessAction;
use crate::ops;
use crate::ops::verify::{verify, verify_stored};
use crate::store::pg::{self, conninfo};
use anyhow::{Result, bail};

pub fn run(ctx: &Ctx, to: &str) -> Result<()> {
    let mut store = open(ctx)?;
    let actor = ctx.writer(&store, "migrate")?;
    let p = &ctx.pipeline;
    ops::require_admin(p, actor.user(), "migrate a database")?;
    if !conninfo::is_url(to) {
        bail!(
            "--to `{}`: not a postgres:// or postgresql:// URL",
            crate::present::shown(to)
        );
    }
    // The source must verify before it is copied: a broken log is not
    // carried over to look sound on a server.
    let checked = verify(&ctx.authority, &store)?;
    if let Some(problem) = checked.problems.shown().first() {
        bail!(
            "{} does not verify ({problem}; {} problem(s) in all, `carequeue verify` lists them): nothing was copied",
            ctx.db_path().display(),
            checked.problems.total()
        );
    }
    let source = checked.report;
    let mut server = pg::Setup::open(to, "--to")?;
    let records = source.records;
    ops::reads::log_read(
        &mut store,
        &actor,
        AccessAction::Migrate,
        None,
        Some(&format!("{records} record(s) to PostgreSQL")),
        ctx.now(),
    )?;
    let admins: Vec<String> = crate::store::Board::members(&store)?
        .into_iter()
        .filter(|m| ops::is_admin(p, &m.user()))
        .map(|m| m.name)
        .collect();
    let log_readers = ops::log_readers(p);
    let m = server.migrate(&store, &admins, &log_readers, &verify_stored)?;
    let r = &m.verified.verdict.report;
    let counts: Vec<String> = m.copied.iter().map(|(t, n)| format!("{n} {t}")).collect();
    outln!(
        "migrated {} to {}: {}",
        ctx.db_path().display(),
        server.place(),
        counts.join(", ")
    )?;
    let short = |h: &str| h.chars().take(12).collect::<String>();
    outln!(
        "verified on PostgreSQL: {} events, chain head {}; {} access entries, access head {}",
        r.events,
        short(&r.head),
        r.access_events,
        short(&r.access_head)
    )?;
    for (user, login) in &m.linked {
        outln!("linked: {user} as login {login}")?;
    }
    if !m.unlinked.is_empty() {
        outln!(
            "not linked: {} (no enabled login the server has: create the login, then grant it the member role, before they work on PostgreSQL)",
            m.unlinked.join(", ")
        )?;
    }
    Ok(())
}
