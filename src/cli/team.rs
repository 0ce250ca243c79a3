//! `init` and `user`: the database and the team.

use super::context::Ctx;
use super::fmt::{print_json, table};
use crate::store::{Store, meta_get, meta_set};
use anyhow::{Result, bail};
use serde_json::json;

/// Opens the database, checking it was made for a pipeline of this name.
pub fn open(ctx: &Ctx) -> Result<Store> {
    Ok(Store::open_with(ctx.db_path(), ctx.allow_network_fs)?)
}

pub fn init(ctx: &Ctx) -> Result<()> {
    let existed = ctx.db_path().exists();
    let mut store = Store::create_with(ctx.db_path(), ctx.allow_network_fs)?;
    let name = ctx.pipeline.name.clone();
    store.write(|tx| -> crate::store::Result<()> {
        if meta_get(tx, "pipeline")?.is_none() {
            meta_set(tx, "pipeline", &name)?;
        }
        Ok(())
    })?;
    if existed {
        println!("{}: already initialised", ctx.db_path().display());
    } else {
        println!(
            "{}: created for pipeline \"{name}\"",
            ctx.db_path().display()
        );
    }
    Ok(())
}

pub fn add(ctx: &Ctx, name: &str, roles: &[String]) -> Result<()> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
        || name.len() > 64
    {
        bail!("user name must be 1-64 characters with no spaces or control characters");
    }
    if name == crate::ops::SYSTEM {
        bail!("`{name}` is reserved for timers and escalations");
    }
    for r in roles {
        if ctx.pipeline.role_ix(r).is_none() {
            let known: Vec<&str> = ctx.pipeline.roles.iter().map(|r| r.id.as_str()).collect();
            bail!(
                "unknown role `{r}` (the pipeline's roles: {})",
                known.join(", ")
            );
        }
    }
    let mut store = open(ctx)?;
    let u = store.upsert_user(name, roles, ctx.now().timestamp())?;
    println!("{}: {}", u.name, u.roles.join(", "));
    Ok(())
}

pub fn list(ctx: &Ctx, as_json: bool) -> Result<()> {
    let store = open(ctx)?;
    let users = store.users()?;
    if as_json {
        let rows: Vec<_> = users
            .iter()
            .map(|u| json!({"name": u.name, "roles": u.roles}))
            .collect();
        return print_json(&rows);
    }
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| vec![u.name.clone(), u.roles.join(", ")])
        .collect();
    print!("{}", table(&["NAME", "ROLES"], &rows));
    Ok(())
}
