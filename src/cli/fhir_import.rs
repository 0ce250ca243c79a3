//! `import --format fhir FILE`: the Tasks of a FHIR R4 NDJSON file back
//! into records, through the CSV import's checks and its one transaction
//! (see `ops::fhir::read_tasks`). Faults name the line and the Task
//! element; a Task whose record is already here is passed over, so the
//! same file imported twice adds nothing.

use super::context::Ctx;
use super::out::outln;
use crate::ops::{self, ImportError};
use crate::present::clean;
use crate::store::ListFilter;
use anyhow::{Context as _, Result, bail};
use std::path::Path;

/// Faults named one by one; past this, a count.
const NAMED: usize = 100;

pub fn run(ctx: &Ctx, file: &Path) -> Result<()> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read {name} (UTF-8 NDJSON)"))?;
    let mut store = ctx.db()?;
    let actor = ctx.writer(&*store, "import")?;
    ops::require_admin(&ctx.pipeline, &actor, "import")?;
    let now = ctx.now();
    let p = &ctx.pipeline;
    let mut failed: Option<crate::store::StoreError> = None;
    let read = ops::fhir::read_tasks(p, &text, &mut |id| {
        let f = ListFilter {
            id: Some(id),
            ..Default::default()
        };
        match store.count(&f, now.timestamp()) {
            Ok(n) => n > 0,
            Err(e) => {
                failed.get_or_insert(e);
                false
            }
        }
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    if !read.faults.is_empty() {
        for (line, element, what) in read.faults.iter().take(NAMED) {
            eprintln!("{}:{line}:{element}: {}", clean(&name), clean(what));
        }
        bail!("{name}: {} problem(s); nothing imported", read.faults.len());
    }
    let n = if read.lines.is_empty() {
        0
    } else {
        match ops::import_csv(p, &mut *store, &actor, &name, read.csv.as_slice(), 0, now) {
            Ok(n) => n,
            Err(ImportError::Problems { problems, more, .. }) => {
                for pr in &problems {
                    // CSV row 2 is the first Task written.
                    let line = usize::try_from(pr.row)
                        .ok()
                        .and_then(|r| r.checked_sub(2))
                        .and_then(|i| read.lines.get(i))
                        .copied()
                        .unwrap_or(0);
                    let element = ops::fhir::element_of(&pr.column);
                    eprintln!("{}:{line}:{element}: {}", clean(&name), clean(&pr.message));
                }
                bail!(
                    "{name}: {} problem(s); nothing imported",
                    problems.len() + more
                );
            }
            Err(e) => return Err(e.into()),
        }
    };
    outln!("imported {n} records ({} already here)", read.present)?;
    Ok(())
}
