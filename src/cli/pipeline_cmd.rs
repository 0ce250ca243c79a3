//! `check` and `pipeline`: the pipeline file, validated and resolved.

use super::args::Cli;
use super::context::{Ctx, pipeline_source, read_pipeline, validate};
use super::fmt::{print_json, table};
use crate::domain::{self, Located, Severity};
use crate::ops;
use anyhow::{Result, bail};
use serde_json::json;
use std::path::Path;

pub fn check(cli: &Cli, as_json: bool) -> Result<()> {
    let (file, text) = pipeline_source(cli)?;
    let checked = domain::check(&text);
    let located: Vec<Located> = checked
        .diagnostics
        .iter()
        .map(|d| Located::new(&file, &text, d))
        .collect();
    let errors = located
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = located.len() - errors;
    if as_json {
        print_json(&json!({
            "file": file,
            "ok": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": located,
        }))?;
    } else {
        for d in &located {
            println!("{d}");
        }
        if errors == 0
            && let Some(p) = &checked.pipeline
        {
            {
                println!(
                    "{file}: ok: {} phases, {} stages, {} transitions, {} timers ({warnings} warning(s))",
                    p.phases.len(),
                    p.stages.len(),
                    p.transitions.len(),
                    p.timers.len()
                );
            }
        }
    }
    if errors > 0 {
        bail!("{file}: {errors} error(s), {warnings} warning(s)");
    }
    Ok(())
}

pub fn show(ctx: &Ctx, p: &domain::Pipeline, as_json: bool) -> Result<()> {
    let store = ctx.board()?;
    ctx.reader(&*store)?;
    print_pipeline(p, &ctx.pipeline_file, as_json)
}

/// `pipeline show [--version N] [--toml]`: a stored version, resolved or
/// as its text.
pub fn show_version(ctx: &Ctx, version: Option<i64>, toml: bool, as_json: bool) -> Result<()> {
    let store = ctx.board()?;
    ctx.reader(&*store)?;
    let stored = match version {
        Some(v) => match store.pipeline_version(v)? {
            Some(s) => s,
            None => {
                let last = store.stored_pipeline()?.map_or(0, |c| c.version);
                bail!("--version {v}: the database holds pipeline versions 1 to {last}")
            }
        },
        None => match store.stored_pipeline()? {
            Some(s) => s,
            None => bail!("the database holds no pipeline"),
        },
    };
    if toml {
        print!("{}", stored.text);
        return Ok(());
    }
    let label = format!("{} (pipeline v{})", store.label(), stored.version);
    let p = validate(&label, &stored.text)?;
    print_pipeline(&p, &label, as_json)
}

fn print_pipeline(p: &domain::Pipeline, label: &str, as_json: bool) -> Result<()> {
    let stage_json = |ix: crate::domain::StageIx| {
        let s = p.stage(ix);
        json!({
            "id": s.id,
            "name": s.name,
            "owner": s.owner.map(|o| p.role(o).id.clone()),
            "terminal": s.terminal,
            "disposition": s.disposition,
            "sla_seconds": s.sla.as_ref().map(|x| x.max.0),
            "warn_seconds": s.sla.as_ref().map(|x| x.warn.0),
            "calendar": s.sla.as_ref().and_then(|x| x.calendar).map(|c| p.calendars[c.0].id.clone()),
            "substatuses": s.substatuses.iter().map(|x| json!({"id": x.id, "label": x.label, "pauses": x.pauses})).collect::<Vec<_>>(),
            "breach_reasons": s.breach_reasons,
        })
    };
    if as_json {
        return print_json(&json!({
            "name": p.name,
            "timezone": p.timezone.name(),
            "entry": p.stage(p.entry).id,
            "roles": p.roles.iter().map(|r| json!({"id": r.id, "name": r.name, "supervises": r.supervises, "admin": r.admin})).collect::<Vec<_>>(),
            "phases": p.phases.iter().map(|ph| json!({
                "id": ph.id,
                "name": ph.name,
                "active_care": ph.active_care,
                "stages": ph.stages.iter().map(|s| stage_json(*s)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "transitions": p.transitions.iter().map(|t| json!({
                "event": t.event,
                "label": t.label,
                "from": t.from.iter().map(|s| p.stage(*s).id.clone()).collect::<Vec<_>>(),
                "to": p.stage(t.to).id,
                "roles": t.roles.iter().map(|r| p.role(*r).id.clone()).collect::<Vec<_>>(),
                "requires": t.guards.list(),
                "reasons": t.reasons,
            })).collect::<Vec<_>>(),
            "reasons": p.reasons.iter().map(|r| json!({"code": r.code, "label": r.label})).collect::<Vec<_>>(),
        }));
    }
    println!(
        "{} ({})",
        crate::present::clean(&p.name),
        crate::present::clean(label)
    );
    let mut rows = Vec::new();
    for ph in &p.phases {
        for s in &ph.stages {
            let st = p.stage(*s);
            rows.push(vec![
                ph.name.clone(),
                st.id.clone(),
                st.name.clone(),
                st.owner.map_or("-".into(), |o| p.role(o).id.clone()),
                st.sla.as_ref().map_or(
                    if st.terminal {
                        "terminal".into()
                    } else {
                        "-".into()
                    },
                    |x| format!("{} (warn {})", x.max, x.warn),
                ),
            ]);
        }
    }
    print!(
        "{}",
        table(&["PHASE", "STAGE", "NAME", "OWNER", "SLA"], &rows)
    );
    Ok(())
}

pub fn adopt(ctx: &Ctx, file: &Path) -> Result<()> {
    if ctx.now_given {
        bail!("`pipeline adopt` refused: --now dates no write on a database outside trust mode");
    }
    let text = read_pipeline(file)?;
    let p = validate(&file.display().to_string(), &text)?;
    let mut store = ctx.store()?;
    let n = ops::team::adopt(&p, &mut store, &text, ctx.now())?;
    println!(
        "{}: adopted pipeline \"{}\" ({}); {n} record(s) snapshotted into the log",
        ctx.db_path().display(),
        p.name,
        file.display()
    );
    Ok(())
}

pub fn history(ctx: &Ctx, as_json: bool) -> Result<()> {
    let store = ctx.board()?;
    ctx.reader(&*store)?;
    let rows = store.pipeline_history()?;
    if as_json {
        let out: Vec<_> = rows
            .iter()
            .map(|c| {
                json!({"version": c.version, "at": super::fmt::rfc3339(c.at), "by": c.actor,
                       "how": c.how, "hash": c.hash})
            })
            .collect();
        return print_json(&out);
    }
    let t: Vec<Vec<String>> = rows
        .iter()
        .map(|c| {
            vec![
                c.version.to_string(),
                super::fmt::rfc3339(c.at),
                crate::present::clean(&c.actor),
                c.how.clone(),
                c.hash.chars().take(16).collect(),
            ]
        })
        .collect();
    print!("{}", table(&["VERSION", "AT", "BY", "HOW", "HASH"], &t));
    Ok(())
}
