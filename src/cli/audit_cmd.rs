//! `audit`: the stage audit.

use super::context::Ctx;
use anyhow::{Result, bail};

pub fn run(_ctx: &Ctx, _since: Option<&str>, _until: Option<&str>, _json: bool) -> Result<()> {
    bail!("audit is not implemented yet")
}
