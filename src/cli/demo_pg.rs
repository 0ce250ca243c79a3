//! `demo --db postgres://…`: the demo built as on SQLite, in a private
//! temporary file, then moved onto the server as `migrate` moves a team's
//! database. Each demo user is linked (by a `user` event) to a role of its
//! own, `DB_NAME`, that cannot log in; the login running the demo may
//! `SET ROLE` to each, so `--as` picks the team member there too, with the
//! server's rules applied to that member. A database holding anything but
//! an earlier demo is refused and left as it was.

use super::args::DemoArgs;
use super::context::Ctx;
use crate::ops;
use crate::store::Store;
use crate::store::pg;
use anyhow::Result;

/// What was built, for the caller to report or open.
pub struct Built {
    pub demo: crate::demo::Demo,
    pub label: String,
}

pub fn build(ctx: &Ctx, a: &DemoArgs, url: &str) -> Result<Built> {
    let mut server = pg::Setup::open(url, "--db")?;
    let db = server.clear_demo()?;
    let dir = Scratch::new()?;
    let path = dir.0.join("demo.db");
    let opts = crate::demo::DemoOptions {
        records: a.records,
        seed: a.seed,
        allow_network_fs: false,
    };
    let now = ctx.now();
    let demo = crate::demo::build(&ctx.pipeline, &ctx.pipeline_text, &path, &opts, now)?;
    let mut store = Store::open(&path)?;
    let role = |name: &str| format!("{db}_{name}");
    link_roles(&mut store, &demo, &role, now.timestamp())?;
    let roles: Vec<String> = demo.team.iter().map(|u| role(&u.name)).collect();
    server.nologin_roles(&roles)?;
    let p = &ctx.pipeline;
    let admins: Vec<String> = demo
        .team
        .iter()
        .filter(|u| ops::is_admin(p, u))
        .map(|u| u.name.clone())
        .collect();
    server.migrate(
        &store,
        &admins,
        &ops::log_readers(p),
        &ops::verify::verify_stored,
    )?;
    drop(store);
    for u in &demo.team {
        server.grant_demo_role(&db, &role(&u.name), admins.contains(&u.name))?;
    }
    Ok(Built {
        demo,
        label: server.place(),
    })
}

/// Links each demo user to its role's name, one `user` event each.
fn link_roles(
    store: &mut Store,
    demo: &crate::demo::Demo,
    role: &dyn Fn(&str) -> String,
    at: i64,
) -> Result<()> {
    let admin = demo.supervisor.clone();
    crate::store::db::write(store, |tx| -> crate::store::Result<()> {
        for u in &demo.team {
            if let Some(mut m) = tx.member(&u.name)? {
                m.login = Some(role(&u.name));
                tx.save_user(&admin, &m, false, at)?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// A private folder (0700) for the demo's build, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        use std::os::unix::fs::DirBuilderExt;
        let nonce: u64 = rand::random();
        let dir = std::env::temp_dir().join(format!("carequeue-demo-{nonce:016x}"));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
