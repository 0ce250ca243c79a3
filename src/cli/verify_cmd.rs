//! `verify`: integrity of the database and its event log.

use super::context::Ctx;
use super::team::open;
use crate::store::verify::verify;
use anyhow::{Result, bail};

pub fn run(ctx: &Ctx) -> Result<()> {
    let store = open(ctx)?;
    match verify(&ctx.pipeline, &store)? {
        Ok(r) => {
            let head: String = r.head.chars().take(12).collect();
            println!(
                "ok: {} events, {} records, chain head {head}",
                r.events, r.records
            );
            Ok(())
        }
        Err(problem) => bail!("{problem}"),
    }
}
