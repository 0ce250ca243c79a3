//! `add`, `list`, `show`: records in and out.

use super::args::ListArgs;
use super::context::Ctx;
use super::fmt::{Columns, countdown, local, print_json, record_row, rfc3339};
use super::out::{out, outln};
use crate::engine::Record;
use crate::engine::rules::allowed_events;
use crate::engine::sla;
use crate::log::AccessAction;
use crate::ops;
use crate::store::{ListFilter, OwnerFilter, SlaFilter};
use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

pub fn add(ctx: &Ctx, patient: &str, fields: &[String], op_id: Option<&str>) -> Result<()> {
    let mut map = BTreeMap::new();
    for f in fields {
        let Some((k, v)) = f.split_once('=') else {
            bail!(
                "--field `{}` must be KEY=VALUE",
                f.split('=').next().unwrap_or("")
            );
        };
        map.insert(k.trim().to_string(), v.to_string());
    }
    let mut store = ctx.db()?;
    let actor = ctx.writer(&*store, "add")?;
    let id = ops::add_record_once(
        &ctx.pipeline,
        &mut *store,
        &actor,
        patient,
        map,
        op_id,
        ctx.now(),
    )?;
    outln!("{id}")?;
    Ok(())
}

/// The largest `--limit`: more rows than any database holds.
pub const MAX_LIMIT: usize = 100_000_000;

/// Builds the store filter from `list`'s flags, checking names against the pipeline.
/// `board` reads the stage audit for the terms that select what it counts
/// (`noaction:`, `reason:`, `exited:`).
pub fn filter(
    ctx: &Ctx,
    a: &ListArgs,
    actor: &ops::Actor,
    board: &mut dyn crate::store::Board,
) -> Result<ListFilter> {
    let p = &ctx.pipeline;
    let limit = match &a.limit {
        None => None,
        Some(l) => match l.n {
            Some(n) if n <= MAX_LIMIT => Some(n),
            _ => bail!(
                "--limit {} is out of range: it takes a whole number from 0 to {MAX_LIMIT}",
                crate::present::shown(&l.text)
            ),
        },
    };
    if a.mine && actor.defaulted() {
        bail!(
            "--mine needs a current user, and there is none: this trust-mode database was read without --as and your OS account is linked to no user; name one with --as USER"
        );
    }
    let me = actor.name.as_str();
    let mut stages: Option<Vec<String>> = None;
    if let Some(ph) = &a.phase {
        let phase = p
            .phases
            .iter()
            .find(|x| &x.id == ph || x.name.eq_ignore_ascii_case(ph))
            .ok_or_else(|| {
                anyhow!(
                    "unknown phase `{ph}` (phases: {})",
                    p.phases
                        .iter()
                        .map(|x| x.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        stages = Some(
            phase
                .stages
                .iter()
                .map(|s| p.stage(*s).id.clone())
                .collect(),
        );
    }
    if let Some(st) = &a.stage {
        if p.stage_ix(st).is_none() {
            bail!("unknown stage `{st}` (see `carequeue pipeline`)");
        }
        stages = Some(match stages {
            Some(v) => v.into_iter().filter(|s| s == st).collect(),
            None => vec![st.clone()],
        });
    }
    let owner = if a.unassigned {
        OwnerFilter::Unassigned
    } else if a.mine {
        OwnerFilter::User(me.to_string())
    } else if let Some(o) = &a.owner {
        OwnerFilter::User(o.clone())
    } else {
        OwnerFilter::Any
    };
    let sla = if a.breached {
        SlaFilter::Breached
    } else if a.at_risk {
        SlaFilter::AtRisk
    } else {
        SlaFilter::Any
    };
    let mut f = ListFilter {
        stages,
        owner,
        sla,
        limit,
        ..Default::default()
    };
    if let Some(text) = &a.filter {
        let mut terms = ops::filter_expr::parse(p, me, text);
        if let Some(e) = terms.errors.first() {
            bail!("--filter: {e}");
        }
        // `noaction:`, `reason:`, `exited:`: the records the stage audit
        // (over all time, as of now) counts.
        if terms.needs_audit() {
            // The audit reads the whole log: logged as an audit, as
            // `audit` is, before it reads.
            ops::reads::log_read(
                board,
                actor,
                crate::log::AccessAction::Audit,
                None,
                Some("for list --filter"),
                ctx.now(),
            )?;
            let all = crate::engine::audit::AuditRange::ALL;
            let report = board.audit(p, all, ctx.now())?;
            terms.resolve(p, &report.drill);
        }
        terms.apply(&mut f);
    }
    if let Some(s) = &a.sort {
        f.sort = crate::store::Sort::parse(s).map_err(|e| anyhow!("--sort: {e}"))?;
    }
    Ok(f)
}

/// `list`: rows streamed as they are read (memory does not grow with the
/// count), logged before the first. `--json` is the pretty-printed array it
/// always was, written element by element; the table takes two passes over
/// one snapshot, one to measure its columns and one to print.
pub fn list(ctx: &Ctx, a: &ListArgs) -> Result<()> {
    let mut store = ctx.board()?;
    let actor = ctx.reader(&*store)?;
    let f = filter(ctx, a, &actor, &mut *store)?;
    let now = ctx.now();
    let listing = ops::reads::listing(&mut *store, &actor, &f, &describe(a), now)?;
    let p = &ctx.pipeline;
    let mut out = super::out::stdout();
    if a.json {
        let mut first = true;
        listing.each(|r| -> Result<()> {
            let row = serde_json::to_string_pretty(&record_row(p, &r, now))?;
            out.write_all(if first { b"[\n" } else { b",\n" })?;
            first = false;
            // Each line one level in, as in a pretty-printed array (a JSON
            // string never holds a raw newline).
            for (i, line) in row.lines().enumerate() {
                if i > 0 {
                    out.write_all(b"\n")?;
                }
                out.write_all(b"  ")?;
                out.write_all(line.as_bytes())?;
            }
            Ok(())
        })?;
        out.write_all(if first { b"[]\n" } else { b"\n]\n" })?;
        out.flush()?;
        return Ok(());
    }
    let mut cols = Columns::new(&[
        "ID",
        "PATIENT",
        "STAGE",
        "SUB-STATUS",
        "OWNER",
        "SLA",
        "AGE",
    ]);
    listing.each(|r| -> Result<()> {
        cols.measure(&list_cells(p, &r, now));
        Ok(())
    })?;
    out.write_all(cols.header().as_bytes())?;
    listing.each(|r| -> Result<()> {
        out.write_all(cols.line(&list_cells(p, &r, now)).as_bytes())?;
        Ok(())
    })?;
    out.flush()?;
    Ok(())
}

/// One row of the `list` table: names where a person reads (the stage,
/// the sub-status's label, the owning role's name); `--json` keeps ids.
fn list_cells(p: &crate::domain::Pipeline, r: &Record, now: DateTime<Utc>) -> Vec<String> {
    let v = sla::view(p, r, now);
    vec![
        r.id.to_string(),
        r.patient.clone(),
        crate::present::stage_name(p, &r.stage),
        crate::present::substatus_label(p, r),
        crate::present::owner_label(p, r),
        match v.state {
            sla::SlaState::Paused | sla::SlaState::None => countdown(&v, now),
            st => format!("{} {}", st.as_str(), countdown(&v, now)),
        },
        crate::domain::duration::Secs(now.timestamp() - r.entered_at).compact(),
    ]
}

pub fn show(ctx: &Ctx, id: i64, as_json: bool) -> Result<()> {
    let mut store = ctx.db()?;
    let actor = ctx.reader(&*store)?;
    let p = &ctx.pipeline;
    let now = ctx.now();
    let (r, hist) = ops::reads::record(&mut *store, &actor, AccessAction::Show, id, now)?;
    // Who may fire what is the database's pipeline's to say, never a
    // what-if's.
    let allowed = allowed_events(&ctx.authority, &r, &actor, now);
    if as_json {
        let mut row = record_row(p, &r, now);
        let history: Vec<_> = hist
            .iter()
            .map(|e| {
                json!({
                    "at": rfc3339(e.at), "actor": e.actor, "kind": e.kind, "event": e.event,
                    "from": e.from, "to": e.to, "reason": e.reason, "note": e.note,
                })
            })
            .collect();
        if let Some(obj) = row.as_object_mut() {
            obj.insert(
                "stage_name".into(),
                json!(p.stage_ix(&r.stage).map(|s| p.stage(s).name.clone())),
            );
            obj.insert("fields".into(), json!(r.fields));
            obj.insert("priority".into(), json!(r.priority));
            obj.insert("escalation_level".into(), json!(r.escalation));
            obj.insert(
                "next_warning".into(),
                json!(crate::engine::warnings::next(p, &r).map(|w| json!({
                    "threshold": w.label, "at": rfc3339(w.at),
                }))),
            );
            obj.insert("breach_reason".into(), json!(r.breach_reason));
            obj.insert("created_at".into(), json!(rfc3339(r.created_at)));
            obj.insert("history".into(), json!(history));
            obj.insert("allowed_events".into(), json!(allowed));
        }
        return print_json(&row);
    }
    // Every line is neutralised once, as it is printed: names and ids of the
    // pipeline as much as patient data (notes keep their own line breaks out).
    let mut text = String::new();
    let v = sla::view(p, &r, now);
    let stage_name = p
        .stage_ix(&r.stage)
        .map_or(r.stage.clone(), |s| p.stage(s).name.clone());
    let clean = crate::present::clean;
    writeln!(text, "Record {}  {}", r.id, clean(&r.patient))?;
    writeln!(text, "  stage      {} ({})", stage_name, r.stage)?;
    writeln!(
        text,
        "  sub-status {}",
        match &r.substatus {
            Some(id) => format!("{} ({id})", crate::present::substatus_label(p, &r)),
            None => "-".to_string(),
        }
    )?;
    writeln!(
        text,
        "  owner      {} (role {})",
        r.assignee.as_deref().unwrap_or("unassigned"),
        ops::owner_role(p, &r).map_or("-".to_string(), |o| crate::present::role_name(p, o))
    )?;
    writeln!(
        text,
        "  SLA        {}{}",
        countdown(&v, now),
        v.due_at
            .map_or(String::new(), |d| format!(" (due {})", local(p, d)))
    )?;
    writeln!(
        text,
        "  entered    {}   version {}",
        local(p, r.entered_at),
        r.version
    )?;
    for f in &p.fields {
        if let Some(val) = r.fields.get(&f.id) {
            writeln!(text, "  {:<10} {}", f.label, clean(val))?;
        }
    }
    writeln!(text, "History:")?;
    // The same lines as the console's detail pane.
    for e in &hist {
        writeln!(text, "  {}", crate::present::history_line(p, e))?;
    }
    writeln!(text, "Allowed events:")?;
    if allowed.is_empty() {
        writeln!(text, "  (none for you)")?;
    }
    for a in &allowed {
        let req = if a.requires.is_empty() {
            String::new()
        } else {
            format!(
                "  requires: {}",
                a.requires
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        // The id is what `move` takes; the label and stage are read.
        writeln!(
            text,
            "  {:<18} {} → {}{}",
            a.event,
            a.label,
            crate::present::stage_name(p, &a.to),
            req
        )?;
    }
    out!("{}", crate::present::clean_lines(&text))?;
    Ok(())
}

/// The `list` flags as given, for the access log (ids and names of
/// stages and users only, never patient data).
fn describe(a: &ListArgs) -> String {
    let mut parts = Vec::new();
    if let Some(x) = &a.phase {
        parts.push(format!("phase={x}"));
    }
    if let Some(x) = &a.stage {
        parts.push(format!("stage={x}"));
    }
    if let Some(x) = &a.owner {
        parts.push(format!("owner={x}"));
    }
    if let Some(x) = &a.filter {
        parts.push(format!("filter={x}"));
    }
    for (on, name) in [
        (a.unassigned, "unassigned"),
        (a.mine, "mine"),
        (a.breached, "breached"),
        (a.at_risk, "at-risk"),
    ] {
        if on {
            parts.push(name.to_string());
        }
    }
    if let Some(n) = a.limit.as_ref().and_then(|l| l.n) {
        parts.push(format!("limit={n}"));
    }
    if parts.is_empty() {
        "all".to_string()
    } else {
        parts.join(" ")
    }
}
