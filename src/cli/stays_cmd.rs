//! `carequeue stays status|rebuild`: the table of stays the audit reads,
//! kept current by every write and rebuilt after a pipeline change of
//! calendars or pause rules.

use super::args::StaysCmd;
use super::context::Ctx;
use super::out::outln;
use crate::log::AccessAction;
use crate::store::board::StaysStatus as Status;
use anyhow::Result;

pub fn run(ctx: &Ctx, cmd: &StaysCmd) -> Result<()> {
    let mut store = ctx.board()?;
    let actor = ctx.reader(&*store)?;
    let json = match cmd {
        StaysCmd::Status { json } => *json,
        StaysCmd::Rebuild { json } => {
            if ctx.what_if {
                anyhow::bail!(
                    "stays are built under the database's own pipeline: run without --pipeline"
                );
            }
            // A rebuild reads the whole log, as an audit does.
            crate::ops::reads::log_read(
                &mut *store,
                &actor,
                AccessAction::Audit,
                None,
                Some("to rebuild the stays"),
                ctx.now(),
            )?;
            let started = std::time::Instant::now();
            store.rebuild_stays()?;
            if !json {
                outln!(
                    "stays rebuilt from the log in {:.1} s",
                    started.elapsed().as_secs_f64()
                )?;
            }
            *json
        }
    };
    let s = store.stays_status()?;
    if json {
        outln!("{}", serde_json::to_string(&as_json(&s))?)?;
    } else {
        outln!("{}", line(&s))?;
    }
    Ok(())
}

fn state(s: &Status) -> &'static str {
    match (s.current, s.built_for_pipeline) {
        (true, _) => "current",
        (false, true) => "settling",
        (false, false) => "stale",
    }
}

fn as_json(s: &Status) -> serde_json::Value {
    serde_json::json!({
        "state": state(s),
        "rows": s.rows,
        "records_waiting": s.waiting,
    })
}

fn line(s: &Status) -> String {
    match state(s) {
        "current" => format!(
            "stays: current ({} rows); the audit reads them",
            s.rows
        ),
        "settling" => format!(
            "stays: {} records wait to be settled by the next write; the audit reads the log meanwhile",
            s.waiting
        ),
        _ => "stays: stale (built under another pipeline, or never); the audit reads the log until `carequeue stays rebuild` or an open console rebuilds them".to_string(),
    }
}
