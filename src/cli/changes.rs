//! `move`, `assign`, `claim`, `release`, `substatus`, `note`, `ack`.

use super::args::OpArgs;
use super::context::Ctx;
use super::out::outln;
use crate::engine::Record;
use crate::engine::rules::MoveArgs;
use crate::ops::{self, ChangeOpts};
use crate::present;
use crate::store::Db;
use anyhow::Result;

fn guard(op: &OpArgs) -> ChangeOpts<'_> {
    ChangeOpts {
        expect_version: op.expect_version,
        op_id: op.op_id.as_deref(),
    }
}

fn setup(ctx: &Ctx, command: &str) -> Result<(Box<dyn Db>, ops::Actor)> {
    let store = ctx.db()?;
    let actor = ctx.writer(&*store, command)?;
    Ok((store, actor))
}

/// What `move` was given.
pub struct MoveFlags<'a> {
    pub reason: Option<&'a str>,
    pub breach_reason: Option<&'a str>,
    pub note: Option<&'a str>,
    pub override_reason: Option<&'a str>,
}

fn report(r: &Record, what: &str) -> Result<()> {
    let what = crate::present::clean(what);
    outln!("record {}: {what} (version {})", r.id, r.version)?;
    Ok(())
}

pub fn move_(ctx: &Ctx, id: i64, event: &str, f: MoveFlags, op: &OpArgs) -> Result<()> {
    let (mut store, actor) = setup(ctx, "move")?;
    ops::reads::before_change(
        &mut *store,
        &actor.name,
        Some(id),
        "a change to this record",
    )?;
    let before = store.record(id)?.stage;
    let args = MoveArgs {
        reason: f.reason,
        breach_reason: f.breach_reason,
        note: f.note,
        system: false,
        override_reason: f.override_reason,
    };
    let r = ops::move_record(
        &ctx.pipeline,
        &mut *store,
        &actor,
        id,
        event,
        &args,
        guard(op),
        ctx.now(),
    )?;
    let p = &ctx.pipeline;
    report(
        &r,
        &format!(
            "{} → {} ({})",
            present::stage_name(p, &before),
            present::stage_name(p, &r.stage),
            present::event_label(p, event)
        ),
    )?;
    Ok(())
}

pub fn assign(ctx: &Ctx, id: i64, user: &str, op: &OpArgs) -> Result<()> {
    let (mut store, actor) = setup(ctx, "assign")?;
    let target = store
        .member(user)?
        .filter(|m| m.enabled)
        .map(|m| m.user())
        .ok_or_else(|| anyhow::anyhow!("unknown user `{user}` (see `carequeue user list`)"))?;
    let r = ops::assign(
        &ctx.pipeline,
        &mut *store,
        &actor,
        id,
        &target,
        guard(op),
        ctx.now(),
    )?;
    report(&r, &format!("assigned to {user}"))?;
    Ok(())
}

pub fn claim(ctx: &Ctx, id: i64, op: &OpArgs) -> Result<()> {
    let (mut store, actor) = setup(ctx, "claim")?;
    let r = ops::claim(&ctx.pipeline, &mut *store, &actor, id, guard(op), ctx.now())?;
    report(&r, &format!("claimed by {}", actor.name))?;
    Ok(())
}

pub fn release(ctx: &Ctx, id: i64, op: &OpArgs) -> Result<()> {
    let (mut store, actor) = setup(ctx, "release")?;
    let r = ops::release(&ctx.pipeline, &mut *store, &actor, id, guard(op), ctx.now())?;
    report(&r, "released")?;
    Ok(())
}

pub fn substatus(ctx: &Ctx, id: i64, value: Option<&str>, op: &OpArgs) -> Result<()> {
    let (mut store, actor) = setup(ctx, "substatus")?;
    let r = ops::set_substatus(
        &ctx.pipeline,
        &mut *store,
        &actor,
        id,
        value,
        guard(op),
        ctx.now(),
    )?;
    let what = match r.substatus {
        Some(_) => format!("sub-status {}", present::substatus_label(&ctx.pipeline, &r)),
        None => "sub-status cleared".to_string(),
    };
    report(&r, &what)?;
    Ok(())
}

pub fn note(ctx: &Ctx, id: i64, text: &str, op: &OpArgs) -> Result<()> {
    let (mut store, actor) = setup(ctx, "note")?;
    let r = ops::note(&mut *store, &actor, id, text, guard(op), ctx.now())?;
    report(&r, "note added")?;
    Ok(())
}

pub fn ack(ctx: &Ctx, id: i64, reason: &str, note: Option<&str>, op: &OpArgs) -> Result<()> {
    let (mut store, actor) = setup(ctx, "ack")?;
    let r = ops::ack(
        &ctx.pipeline,
        &mut *store,
        &actor,
        id,
        reason,
        note,
        guard(op),
        ctx.now(),
    )?;
    let label = present::reason_label(&ctx.pipeline, reason);
    report(&r, &format!("breach acknowledged ({label})"))?;
    Ok(())
}

pub fn sweep(ctx: &Ctx, as_json: bool) -> Result<()> {
    let mut store = ctx.board()?;
    ctx.writer(&*store, "sweep")?;
    let r = ops::sweep(&ctx.pipeline, &mut *store, ctx.now())?;
    crate::ops::checkpoints::auto(&*store, ctx.now())?;
    if as_json {
        return super::fmt::print_json(&r);
    }
    outln!(
        "sweep: {} timer(s) fired, {} escalation(s) fired, {} due timer(s) refused by their guards",
        r.timers,
        r.escalations,
        r.refused
    )?;
    Ok(())
}
