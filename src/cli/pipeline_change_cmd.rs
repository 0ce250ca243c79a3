//! `pipeline diff FILE` and `pipeline apply FILE`: what a new pipeline
//! changes, and changing it.

use super::context::{Ctx, read_pipeline, validate};
use super::fmt::{print_json, table};
use crate::domain::Pipeline;
use crate::ops::pipeline_change::{self, diff};
use crate::present::clean;
use crate::store::Board;
use crate::store::pipelines as setup;
use anyhow::{Result, bail};
use serde_json::json;
use std::path::Path;

/// The stored pipeline in force, bound to the store so a write made under
/// it is refused if another is applied meanwhile.
fn in_force(store: &mut dyn Board) -> Result<(i64, Pipeline)> {
    let Some(c) = store.stored_pipeline()? else {
        bail!("the database holds no pipeline; adopt one first");
    };
    let label = format!("{} (pipeline v{})", store.label(), c.version);
    let p = validate(&label, &c.text)?;
    store.expect_pipeline(Some(c.hash));
    Ok((c.version, p))
}

pub fn diff(ctx: &Ctx, file: &Path, maps: &[(String, String)], as_json: bool) -> Result<()> {
    let text = read_pipeline(file)?;
    let new = validate(&file.display().to_string(), &text)?;
    let mut store = ctx.board()?;
    ctx.reader(&*store)?;
    let (version, old) = in_force(&mut *store)?;
    let plan = pipeline_change::preview(&*store, &old, &new, maps)?;
    let changes = diff::diff(&old, &new, &plan);
    if as_json {
        return print_json(&json!({
            "from_version": version,
            "file": file.display().to_string(),
            "same_text": setup::pipeline_hash(&text) == store.expected_pipeline().unwrap_or_default(),
            "changes": changes,
            "records_per_stage": plan.totals.iter().map(|(s, n)| json!({"stage": s, "records": n})).collect::<Vec<_>>(),
            "moves": plan.moves.iter().map(|m| json!({"from": m.from, "to": m.to, "records": m.records, "by": if m.mapped { "map" } else { "renamed_from" }})).collect::<Vec<_>>(),
            "stranded": plan.stranded,
            "would_apply": plan.stranded.is_empty(),
        }));
    }
    println!(
        "pipeline v{version} → {}",
        clean(&file.display().to_string())
    );
    if changes.is_empty() {
        println!("no changes to stages, transitions, roles, calendars, timers or fields");
    } else {
        let rows: Vec<Vec<String>> = changes
            .iter()
            .map(|c| {
                vec![
                    c.area.to_string(),
                    c.change.to_string(),
                    clean(&c.id),
                    c.records.map_or(String::new(), |n| n.to_string()),
                    clean(&c.detail),
                ]
            })
            .collect();
        print!(
            "{}",
            table(&["AREA", "CHANGE", "ID", "RECORDS", "DETAIL"], &rows)
        );
    }
    if plan.stranded.is_empty() {
        println!("apply would succeed");
    } else {
        println!("apply would be refused:");
        for s in &plan.stranded {
            println!("  {}", clean(s));
        }
    }
    Ok(())
}

pub fn apply(ctx: &Ctx, file: &Path, maps: &[(String, String)]) -> Result<()> {
    let text = read_pipeline(file)?;
    let new = validate(&file.display().to_string(), &text)?;
    let mut store = ctx.board()?;
    // The command changes the pipeline, so a different --pipeline is its
    // input, not a what-if: check identity and the clock only.
    let actor = ctx.reader(&*store)?;
    if ctx.now_given && !actor.trusted() {
        bail!("`pipeline apply` refused: --now dates no write outside a trust-mode database");
    }
    let (_, old) = in_force(&mut *store)?;
    let done = pipeline_change::apply(&mut *store, &actor, &old, &new, &text, maps, ctx.now())?;
    println!(
        "pipeline \"{}\" applied as version {}: {} record(s) carried to renamed stages, {} user(s) to renamed roles, {} open record(s) re-timed",
        clean(&new.name),
        done.version,
        done.moved,
        done.users,
        done.retimed
    );
    Ok(())
}
