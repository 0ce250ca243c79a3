//! `verify`: integrity of the database and its event log.

use super::context::Ctx;
use anyhow::{Result, bail};

pub fn run(_ctx: &Ctx) -> Result<()> {
    bail!("verify is not implemented yet")
}
