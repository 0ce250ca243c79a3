//! `access-log` and `info`.

use super::context::Ctx;
use super::fmt::{print_json, rfc3339, table};
use super::out::{out, outln};
use crate::log::AccessAction;
use crate::ops;
use crate::store::access;
use anyhow::{Result, bail};
use serde_json::json;

pub struct Query<'a> {
    pub user: Option<&'a str>,
    pub record: Option<i64>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub json: bool,
}

pub fn run(ctx: &Ctx, q: Query) -> Result<()> {
    let mut store = ctx.board()?;
    let actor = ctx.reader(&*store)?;
    let now = ctx.now();
    ops::reads::authorise_access_log(&ctx.authority, &mut *store, &actor, now)?;
    let bound = |flag: &str, v: Option<&str>| {
        v.map(|d| super::audit_cmd::parse_bound(&ctx.pipeline, flag, d))
            .transpose()
    };
    let f = access::AccessFilter {
        user: q.user.map(str::to_string),
        record: q.record,
        since: bound("--since", q.since)?,
        until: bound("--until", q.until)?,
    };
    if let (Some(s), Some(u)) = (f.since, f.until)
        && s >= u
    {
        bail!("--since must be before --until");
    }
    let rows = store.access_entries(&f)?;
    // Reading the access log is itself a logged read (after the listing,
    // so it does not list itself).
    ops::reads::log_read(
        &mut *store,
        &actor,
        AccessAction::AccessLog,
        q.record,
        None,
        now,
    )?;
    if q.json {
        let out: Vec<_> = rows
            .iter()
            .map(|a| {
                json!({"id": a.id, "at": rfc3339(a.at), "user": a.actor, "action": a.action,
                       "record": a.record, "detail": a.detail})
            })
            .collect();
        return print_json(&out);
    }
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                rfc3339(a.at),
                a.actor.clone(),
                a.action.clone(),
                a.record.map(|r| r.to_string()).unwrap_or_default(),
                a.detail.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out!(
        "{}",
        table(
            &["ID", "AT", "USER", "ACTION", "RECORD", "DETAIL"],
            &table_rows
        )
    )?;
    Ok(())
}

pub fn info(ctx: &Ctx, as_json: bool) -> Result<()> {
    let store = ctx.board()?;
    let actor = ctx.reader(&*store)?;
    let now = ctx.now();
    let trust = store.trust_mode()?;
    let version = store.stored_pipeline()?.map(|p| (p.version, p.hash));
    let cp = store.checkpoint(now.timestamp())?;
    let records = store.count(&Default::default(), now.timestamp())?;
    let (v, hash) = version.unwrap_or_default();
    // The database as given: a path, or a URL without its password.
    let place = store.label();
    if as_json {
        return print_json(&json!({
            "store": store.store_name(),
            "path": place,
            "trust_mode": trust,
            "pipeline": ctx.pipeline.name,
            "pipeline_version": v,
            "pipeline_hash": hash,
            "what_if": ctx.what_if,
            "records": records,
            "events": cp.events,
            "head": cp.head,
            "access_events": cp.access_events,
            "access_head": cp.access_head,
            "user": actor.name,
        }));
    }
    let clean = crate::present::clean;
    outln!("store           {} {}", store.store_name(), clean(&place))?;
    let mode = if trust {
        "ON: --as names the actor and --now dates writes (demos and tests only)".to_string()
    } else {
        format!("off: the acting user is your {}'s", store.login_noun())
    };
    outln!("trust mode      {mode}")?;
    outln!(
        "pipeline        \"{}\" v{v} ({})",
        clean(&ctx.pipeline.name),
        hash.chars().take(12).collect::<String>()
    )?;
    outln!("records         {records}")?;
    outln!(
        "event log       {} events, head {}",
        cp.events,
        cp.head.chars().take(12).collect::<String>()
    )?;
    outln!(
        "access log      {} entries, head {}",
        cp.access_events,
        cp.access_head.chars().take(12).collect::<String>()
    )?;
    outln!(
        "you             {} ({})",
        actor.name,
        actor.roles.join(", ")
    )?;
    Ok(())
}
