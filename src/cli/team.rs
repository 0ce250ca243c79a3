//! `init`, `user` and `info`: the database and the team.

use super::args::InitArgs;
use super::context::Ctx;
use super::fmt::{print_json, table};
use super::out::{out, outln};
use crate::ops;
use crate::store::Store;
use crate::store::pg::{self, conninfo};
use anyhow::{Context as _, Result, bail};
use serde_json::json;

/// The database, for a command that has loaded its context.
pub fn open(ctx: &Ctx) -> Result<Store> {
    ctx.store()
}

pub fn init(ctx: &Ctx, a: &InitArgs) -> Result<()> {
    let path = ctx.db_path();
    if let Some(url) = path.to_str().filter(|u| conninfo::is_url(u)) {
        return init_pg(ctx, a, url);
    }
    if path.exists() {
        bail!(
            "{} already exists; `init` creates a new database",
            path.display()
        );
    }
    let login = ops::identity::os_login()?;
    // In trust mode `--as` may name the first admin; elsewhere it is you.
    let admin = match (&ctx.user, a.trust) {
        (Some(u), true) => u.clone(),
        (Some(u), false) if *u != login => bail!(
            "--as `{u}` refused: outside trust mode the first admin is your OS account `{login}` (use `init --trust` for a demo or test database)"
        ),
        _ => login.clone(),
    };
    if let Some(g) = &a.group {
        super::group::prepare(path, g)?;
    }
    let mut store = Store::create_with(path, ctx.allow_network_fs)?;
    if let Some(g) = &a.group {
        super::group::share(path, g)?;
    }
    let done = ops::team::init_db(
        &ctx.pipeline,
        &mut store,
        &ctx.pipeline_text,
        &admin,
        &login,
        a.trust,
        a.group.as_deref(),
        ctx.now(),
    );
    if let Err(e) = done {
        drop(store);
        // Nothing half-made is left behind.
        for suffix in ["", "-wal", "-shm"] {
            let mut f = path.as_os_str().to_owned();
            f.push(suffix);
            let _ = std::fs::remove_file(&f);
        }
        return Err(e.into());
    }
    let name = &ctx.pipeline.name;
    outln!(
        "{}: created for pipeline \"{name}\"{}; admin user `{}` (OS account `{login}`)",
        path.display(),
        if a.trust { " in trust mode" } else { "" },
        admin.to_ascii_lowercase()
    )?;
    if a.group.is_some() {
        eprintln!("{}", super::group::TRUSTED);
    }
    Ok(())
}

pub fn add(ctx: &Ctx, name: &str, roles: &[String], login: Option<&str>) -> Result<()> {
    let mut store = ctx.board()?;
    let actor = ctx.writer(&*store, "user add")?;
    let m = ops::team::add_user(
        &ctx.pipeline,
        &mut *store,
        &actor,
        name,
        roles,
        login,
        ctx.now(),
    )?;
    let account = store.login_noun();
    outln!(
        "{}: {} ({account} {})",
        m.name,
        m.roles.join(", "),
        m.login.as_deref().unwrap_or("-")
    )?;
    Ok(())
}

pub fn disable(ctx: &Ctx, name: &str) -> Result<()> {
    let mut store = ctx.db()?;
    let actor = ctx.writer(&*store, "user disable")?;
    let n = ops::team::disable_user(&ctx.pipeline, &mut *store, &actor, name, ctx.now())?;
    outln!("{name}: disabled; {n} record(s) released")?;
    Ok(())
}

pub fn revoke(ctx: &Ctx, name: &str, roles: &[String]) -> Result<()> {
    let mut store = ctx.db()?;
    let actor = ctx.writer(&*store, "user revoke")?;
    let (m, n) =
        ops::team::revoke_roles(&ctx.pipeline, &mut *store, &actor, name, roles, ctx.now())?;
    println!(
        "{}: {}; {n} record(s) released",
        m.name,
        if m.roles.is_empty() {
            "no roles".to_string()
        } else {
            m.roles.join(", ")
        }
    );
    Ok(())
}

pub fn list(ctx: &Ctx, as_json: bool) -> Result<()> {
    let store = ctx.board()?;
    ctx.reader(&*store)?;
    let all = store.members().context("reading the team")?;
    if as_json {
        let rows: Vec<_> = all
            .iter()
            .map(|u| json!({"name": u.name, "roles": u.roles, "login": u.login, "enabled": u.enabled}))
            .collect();
        return print_json(&rows);
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|u| {
            vec![
                u.name.clone(),
                u.roles.join(", "),
                u.login.clone().unwrap_or_default(),
                if u.enabled { "" } else { "disabled" }.to_string(),
            ]
        })
        .collect();
    out!("{}", table(&["NAME", "ROLES", "LOGIN", ""], &rows))?;
    Ok(())
}

/// `init --db postgres://…`, run as the database's owner (CREATEROLE, owns
/// the database; no superuser): the first events are made as on SQLite, in
/// a private in-memory database, then laid down on the server the way
/// `migrate` copies a database (schema, rows, heads, the admin's login
/// linked to the member and admin roles), verified before it commits.
fn init_pg(ctx: &Ctx, a: &InitArgs, url: &str) -> Result<()> {
    if a.group.is_some() {
        bail!(
            "--group shares a SQLite file with an OS group; on PostgreSQL the server's roles decide who may connect"
        );
    }
    let mut server = pg::Setup::open(url, "--db")?;
    let login = server.login()?;
    let admin = match (&ctx.user, a.trust) {
        (Some(u), true) => u.clone(),
        (Some(u), false) if *u != login => bail!(
            "--as `{u}` refused: outside trust mode the first admin is your database login `{login}` (use `init --trust` for a demo or test database)"
        ),
        _ => login.clone(),
    };
    let mut scratch = Store::scratch()?;
    ops::team::init_db(
        &ctx.pipeline,
        &mut scratch,
        &ctx.pipeline_text,
        &admin,
        &login,
        a.trust,
        None,
        ctx.now(),
    )?;
    let admins = vec![admin.to_ascii_lowercase()];
    let readers = ops::log_readers(&ctx.pipeline);
    server.lay_down(&scratch, &admins, &readers, &ops::verify::verify_stored)?;
    outln!(
        "{}: created for pipeline \"{}\"{}; admin user `{}` (database login `{login}`)",
        server.place(),
        ctx.pipeline.name,
        if a.trust { " in trust mode" } else { "" },
        admin.to_ascii_lowercase()
    )?;
    Ok(())
}
