//! `import` and `export`: records in and out as CSV / JSON.
//!
//! Export streams: one read transaction (a consistent snapshot), records in
//! id order through a single cursor, each written out as soon as it is read,
//! so memory stays flat at any database size. CSV cells are formula-safe
//! (see [`crate::ops::formula`]).

use super::args::Format;
use super::context::Ctx;
use super::fmt::{record_row, rfc3339};
use crate::log::AccessAction;
use crate::ops::{self, ImportError, formula};
use crate::present::clean;
use crate::store::{Board, StoreError};
use anyhow::{Context as _, Result, bail};
use serde_json::json;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

pub fn import(ctx: &Ctx, file: &Path) -> Result<()> {
    let name = file.display().to_string();
    let f = std::fs::File::open(file).with_context(|| format!("cannot read {name}"))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut store = ctx.db()?;
    let actor = ctx.writer(&*store, "import")?;
    ops::require_admin(&ctx.pipeline, &actor, "import")?;
    let input = BufReader::with_capacity(1 << 16, f);
    match ops::import_csv(
        &ctx.pipeline,
        &mut *store,
        &actor,
        &name,
        input,
        size,
        ctx.now(),
    ) {
        Ok(n) => {
            super::out::outln!("imported {n} records")?;
            Ok(())
        }
        Err(ImportError::Problems {
            file,
            problems,
            more,
        }) => {
            let stderr = std::io::stderr();
            let mut err = BufWriter::new(stderr.lock());
            for p in &problems {
                // Best effort: the summary below still fails the command.
                let _ = writeln!(err, "{}", clean(&p.to_string()));
            }
            let _ = err.flush();
            if more > 0 {
                bail!(
                    "{file}: {} problem(s); nothing imported (the first {} are shown)",
                    problems.len() + more,
                    problems.len()
                )
            }
            bail!("{file}: {} problem(s); nothing imported", problems.len())
        }
        Err(e) => Err(e.into()),
    }
}

/// `export`: to stdout, or with `--output FILE` to a new file (mode 0600,
/// never an existing file, never through a symbolic link; removed again if
/// the export fails part way, so nothing is left half-written).
pub fn export(ctx: &Ctx, format: Format, output: Option<&Path>) -> Result<()> {
    let mut store = ctx.board()?;
    let now = ctx.now();
    let actor = ctx.reader(&*store)?;
    ops::reads::authorise_export(&ctx.authority, &mut *store, &actor, now)?;
    let Some(path) = output else {
        // A reader that went away (`export | head`) is not an error of
        // ours: `cli::run` ends the command quietly.
        return write_export(ctx, &mut *store, &actor, format, &mut super::out::stdout());
    };
    let file = crate::store::os::create_new_private(path)?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let written = write_export(ctx, &mut *store, &actor, format, &mut out)
        .and_then(|()| Ok(out.into_inner().map_err(|e| e.into_error())?.sync_all()?));
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

/// A CSV write's error as the store passes it on: a closed pipe stays an
/// I/O error of that kind, so the command ends quietly.
fn csv_io(e: csv::Error) -> StoreError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => StoreError::Io(io),
        other => StoreError::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

/// Logs the export (before any row), then writes every record to `out`.
fn write_export(
    ctx: &Ctx,
    store: &mut dyn Board,
    actor: &ops::Actor,
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    let p = &ctx.pipeline;
    let now = ctx.now();
    let n = store.count(&Default::default(), now.timestamp())?;
    let detail = format!("{n} record(s) as {format:?}").to_lowercase();
    ops::reads::log_read(store, actor, AccessAction::Export, None, Some(&detail), now)?;
    let io = |e: std::io::Error| StoreError::Io(e);
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            let mut header: Vec<&str> =
                vec!["id", "patient", "stage", "substatus", "owner", "entered_at"];
            header.extend(p.fields.iter().map(|f| f.id.as_str()));
            w.write_record(&header)?;
            store.export_each(false, &mut |r, _| {
                let id = r.id.to_string();
                let entered = rfc3339(r.entered_at);
                let mut cells: Vec<&str> = vec![
                    &id,
                    &r.patient,
                    &r.stage,
                    r.substatus.as_deref().unwrap_or(""),
                    r.assignee.as_deref().unwrap_or(""),
                    &entered,
                ];
                cells.extend(
                    p.fields
                        .iter()
                        .map(|f| r.fields.get(&f.id).map_or("", String::as_str)),
                );
                for c in &cells {
                    w.write_field(formula::escape(c).as_bytes())
                        .map_err(csv_io)?;
                }
                w.write_record(None::<&[u8]>).map_err(csv_io)
            })?;
            w.flush()?;
        }
        Format::Json => {
            out.write_all(b"[")?;
            let mut first = true;
            store.export_each(true, &mut |r, events| {
                let mut v = record_row(p, &r, now);
                let history: Vec<serde_json::Value> = events
                    .iter()
                    .map(|e| {
                        json!({
                            "at": rfc3339(e.at), "actor": e.actor, "kind": e.kind,
                            "event": e.event, "from": e.from, "to": e.to,
                            "reason": e.reason, "note": e.note,
                        })
                    })
                    .collect();
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("fields".into(), json!(r.fields));
                    obj.insert("history".into(), json!(history));
                }
                out.write_all(if first { b"\n" } else { b",\n" })
                    .map_err(io)?;
                first = false;
                serde_json::to_writer(&mut *out, &v).map_err(|e| io(e.into()))
            })?;
            out.write_all(if first { b"]\n" } else { b"\n]\n" })?;
        }
        Format::Fhir => {
            // Each Task, then the Provenance of each of its events, one
            // resource a line, streamed from one snapshot.
            store.export_each(true, &mut |r, events| {
                serde_json::to_writer(&mut *out, &ops::fhir::task(p, &r))
                    .map_err(|e| io(e.into()))?;
                out.write_all(b"\n").map_err(io)?;
                for e in &events {
                    if let Some(v) = ops::fhir::provenance(p, e) {
                        serde_json::to_writer(&mut *out, &v).map_err(|e| io(e.into()))?;
                        out.write_all(b"\n").map_err(io)?;
                    }
                }
                Ok(())
            })?;
        }
    }
    out.flush()?;
    Ok(())
}
