//! `import` and `export`: records in and out as CSV / JSON.

use super::args::Format;
use super::context::Ctx;
use anyhow::{Result, bail};
use std::path::Path;

pub fn import(_ctx: &Ctx, _file: &Path) -> Result<()> {
    bail!("import is not implemented yet")
}

pub fn export(_ctx: &Ctx, _format: Format) -> Result<()> {
    bail!("export is not implemented yet")
}
