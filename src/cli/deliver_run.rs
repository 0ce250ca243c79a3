//! `deliver` and `deliver --once`: sending the webhooks of `notify.toml`,
//! as the one deliverer of the database (it holds the delivery lease),
//! through `ops::notify::Deliverer`: at least once, in order per record,
//! retried with backoff, dead-lettered after the policy's `dead_after`.
//! `--once` sends what is due and exits 0 with a summary line (failures
//! are the deliveries' state, not the command's); long-running, it polls
//! the feed about twice a second until SIGTERM or SIGINT.

use super::context::Ctx;
use super::deliver_cmd::{Args, notify_file, phi_export, source};
use super::out::outln;
use crate::ops::notify::{self, Deliverer, Summary};
use crate::store::Board;
use crate::store::outbox::Lease;
use anyhow::{Result, anyhow, bail};
use std::time::Duration;

/// How often a long-running deliverer looks at the feed.
const POLL: Duration = Duration::from_millis(500);

/// The deliverer's name in the lease: user, host and process.
fn holder(user: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}:{}", std::process::id())
}

/// The deliverer for `ctx`'s notify.toml (the export logged first where a
/// target carries patient data); `since`: where a new target starts.
pub fn deliverer(
    ctx: &Ctx,
    store: &mut dyn Board,
    notify_at: Option<&std::path::Path>,
    since: Option<i64>,
) -> Result<Deliverer> {
    let file = notify_file(ctx, notify_at)?;
    let n = notify::load_all(&ctx.pipeline, &file).map_err(|e| anyhow!(e))?;
    if n.targets.is_empty() {
        bail!("{}: no [[target]] to deliver to", file.display());
    }
    let actor = ctx.writer(store, "deliver")?;
    if !may_deliver(ctx, &actor) {
        bail!(
            "deliver: `{}` holds no supervising or admin role; webhooks are delivered by one who does (a supervisor's console, or a service account)",
            actor.name
        );
    }
    let with_phi = phi_export(ctx, store, &actor, &n.targets, "deliver")?;
    Ok(Deliverer {
        targets: n.targets,
        policy: n.policy,
        holder: holder(&actor.name),
        source: source(ctx),
        sender: notify::http::Sender::new(),
        with_phi,
        start: since,
    })
}

/// The console's deliverer: when `CAREQUEUE_NOTIFY` names a notify.toml,
/// or a SQLite database has one beside it, the console delivers while it
/// is open; a notify.toml that does not load stops the console with its
/// error, as `deliver` would.
pub fn console_deliverer(ctx: &Ctx, store: &mut dyn Board) -> Result<Option<Deliverer>> {
    let Ok(file) = notify_file(ctx, None) else {
        return Ok(None);
    };
    if !file.exists() || ctx.what_if || store.read_only() {
        return Ok(None);
    }
    // Only a supervisor's or an admin's console delivers (the others leave
    // it to one that does).
    let actor = crate::ops::identity::resolve(&*store, ctx.user.as_deref())?;
    if !may_deliver(ctx, &actor) {
        return Ok(None);
    }
    // A target that carries patient data is delivered to only by a console
    // whose user may export (the others leave it to one who may, or to
    // `deliver`): they are neither stopped nor logged as exporting.
    let n = notify::load_all(&ctx.pipeline, &file).map_err(|e| anyhow!(e))?;
    if n.targets.iter().any(|t| t.phi)
        && !crate::engine::authority::may_export(&ctx.authority, &actor)
    {
        return Ok(None);
    }
    deliverer(ctx, store, Some(&file), None).map(Some)
}

/// Whether `u` may deliver: a supervising or an admin role (the server
/// says the same on PostgreSQL).
fn may_deliver(ctx: &Ctx, u: &crate::engine::User) -> bool {
    crate::engine::authority::supervises(&ctx.authority, u)
        || crate::engine::authority::is_admin(&ctx.authority, u)
}

fn summary(s: &Summary) -> String {
    format!(
        "delivered {}, failed {}, dead {}, queued {}",
        s.delivered, s.failed, s.dead, s.queued
    )
}

fn jitter() -> f64 {
    rand::random::<f64>()
}

pub fn run(ctx: &Ctx, a: &Args) -> Result<()> {
    let mut store = ctx.board()?;
    let d = deliverer(ctx, &mut *store, a.notify, a.since)?;
    let clock = || ctx.now().timestamp();
    if a.once {
        if let Lease::Theirs { holder, expires } =
            store.take_lease(&d.holder, clock(), notify::deliver::LEASE_TTL)?
        {
            bail!(
                "another deliverer holds the delivery lease ({}, until {}): `deliver --once` sends nothing while it runs",
                crate::present::shown(&holder),
                crate::engine::clock::from_unix(expires).to_rfc3339()
            );
        }
        let done = d.pass(&ctx.pipeline, &mut *store, &clock, &mut jitter, None);
        let released = store.release_lease(&d.holder);
        let sum = done?;
        released?;
        outln!("{}", summary(&sum))?;
        return Ok(());
    }
    crate::terminal::end_on_signals();
    let mut waiting = false;
    while !crate::terminal::ending() {
        if d.hold(&mut *store, clock())? {
            waiting = false;
            // A round that fails (the server gone a moment, the lease
            // lost) is said and tried again: a service keeps delivering.
            match d.pass(&ctx.pipeline, &mut *store, &clock, &mut jitter, None) {
                Ok(sum) if sum != Summary::default() => outln!("{}", summary(&sum))?,
                Ok(_) => {}
                Err(e) => eprintln!("note: a delivery round failed ({e}); trying again"),
            }
        } else if !waiting {
            waiting = true;
            eprintln!("note: another deliverer holds the delivery lease; waiting for it");
        }
        std::thread::sleep(POLL);
    }
    store.release_lease(&d.holder)?;
    Ok(())
}
