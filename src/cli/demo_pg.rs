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
use crate::store::pg::{self, conninfo, schema};
use crate::store::{Store, events, users};
use anyhow::{Result, anyhow, bail};

/// What was built, for the caller to report or open.
pub struct Built {
    pub demo: crate::demo::Demo,
    pub label: String,
}

pub fn build(ctx: &Ctx, a: &DemoArgs, url: &str) -> Result<Built> {
    let info = conninfo::parse(url, &conninfo::ProcessEnv).map_err(|e| anyhow!("--db: {e}"))?;
    let mut c = pg::connect(&info).map_err(|e| anyhow!(e))?;
    let err = |e: postgres::Error| anyhow!(pg::db_error(e));
    let me: String = c
        .query_one("SELECT session_user::text", &[])
        .map_err(err)?
        .try_get(0)
        .map_err(err)?;
    let db = {
        let mut tx = c.transaction().map_err(err)?;
        let db = schema::database(&mut tx).map_err(|e| anyhow!(e))?;
        if schema::installed(&mut tx).map_err(|e| anyhow!(e))? {
            let demo: Option<String> = tx
                .query_opt("SELECT value FROM carequeue.meta WHERE key = 'demo'", &[])
                .map_err(err)?
                .map(|r| r.try_get(0))
                .transpose()
                .map_err(err)?;
            if demo.as_deref() != Some("true") {
                bail!(
                    "database {} holds a carequeue database that is not a demo; refusing to overwrite it (choose another --db)",
                    crate::present::clean(&db)
                );
            }
            tx.batch_execute("DROP SCHEMA carequeue CASCADE")
                .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        db
    };
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
    for u in &demo.team {
        let r = role(&u.name);
        let have: bool = c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
                &[&r],
            )
            .map_err(err)?
            .try_get(0)
            .map_err(err)?;
        if !have {
            c.batch_execute(&format!("CREATE ROLE {} NOLOGIN", quote(&r)))
                .map_err(err)?;
        }
    }
    let p = &ctx.pipeline;
    let admins: Vec<String> = demo
        .team
        .iter()
        .filter(|u| ops::is_admin(p, u))
        .map(|u| u.name.clone())
        .collect();
    pg::migrate::run(&store, &mut c, &admins, &ops::log_readers(p)).map_err(|e| anyhow!(e))?;
    drop(store);
    let (member, admin) = schema::roles(&db);
    for u in &demo.team {
        let r = quote(&role(&u.name));
        let mut grants = format!(
            "GRANT {} TO {r}; GRANT {r} TO {}",
            quote(&member),
            quote(&me)
        );
        if admins.contains(&u.name) {
            grants.push_str(&format!("; GRANT {} TO {r}", quote(&admin)));
        }
        c.batch_execute(&grants).map_err(err)?;
    }
    let host: Vec<String> = info
        .hosts
        .iter()
        .map(|h| format!("{}:{}", h.name, h.port))
        .collect();
    Ok(Built {
        demo,
        label: format!(
            "database {} at {}",
            crate::present::clean(&info.dbname),
            crate::present::clean(&host.join(","))
        ),
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
    store.write(|tx| -> crate::store::Result<()> {
        let mut chain = events::Appender::load(tx)?;
        for u in &demo.team {
            if let Some(mut m) = users::member(tx, &u.name)? {
                m.login = Some(role(&u.name));
                users::save(tx, &mut chain, &admin, &m, at)?;
            }
        }
        chain.finish(tx)
    })?;
    Ok(())
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
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
