//! `events`: the event log as a feed, from a sequence number on. Each line
//! one event: its sequence number (`seq`), record, the record's stage
//! after it, kind, actor and time; never patient data unless
//! `--with-patient` is asked for by a user allowed to export (then logged
//! as an export first). `--follow` keeps reading: a new event shows within
//! a second of its commit. A consumer that keeps the last `seq` it read
//! and starts again from it (`--since SEQ`) misses nothing and repeats
//! nothing, since the sequence numbers are the log's own ids (see
//! `store::feed`).

use super::context::Ctx;
use crate::log::{AccessAction, EventKind};
use crate::store::feed::{FeedEvent, FeedQuery};
use anyhow::{Result, bail};
use serde_json::Value;
use std::io::Write;
use std::time::Duration;

/// How often `--follow` asks for new events: well within a second.
const POLL: Duration = Duration::from_millis(200);
/// Events read a query.
const BATCH: usize = 1000;

/// What `events` was asked for.
pub struct Args<'a> {
    pub since: i64,
    pub follow: bool,
    pub kinds: &'a [String],
    pub with_patient: bool,
    pub limit: Option<usize>,
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: &Args) -> Result<()> {
    if a.since < 0 {
        bail!("--since {}: a sequence number is 0 or more", a.since);
    }
    let mut kinds = Vec::new();
    for k in a.kinds {
        match k.parse::<EventKind>() {
            Ok(kind) => kinds.push(kind),
            Err(_) => bail!(
                "--kind `{}` is not an event kind (one of {})",
                crate::present::shown(k),
                EventKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    let mut store = ctx.board()?;
    let now = ctx.now();
    let actor = ctx.reader(&*store)?;
    if a.with_patient {
        crate::ops::reads::authorise_export(&ctx.authority, &mut *store, &actor, now)?;
        let detail = format!(
            "events since {}{}{}",
            a.since,
            if a.follow { ", following" } else { "" },
            if kinds.is_empty() {
                String::new()
            } else {
                format!(
                    ", kinds {}",
                    kinds
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
        );
        crate::ops::reads::log_read(
            &mut *store,
            &actor,
            AccessAction::Export,
            None,
            Some(&detail),
            now,
        )?;
    }
    let mut q = FeedQuery {
        after: a.since,
        kinds,
        limit: BATCH,
        with_phi: a.with_patient,
    };
    let mut left = a.limit.unwrap_or(usize::MAX);
    let mut out = super::out::stdout();
    while left > 0 {
        q.limit = BATCH.min(left);
        let rows = store.feed(&q)?;
        for e in &rows {
            if a.json {
                serde_json::to_writer(&mut out, &line(e, a.with_patient))?;
                out.write_all(b"\n")?;
            } else {
                writeln!(out, "{}", human(ctx, e))?;
            }
        }
        out.flush()?;
        left -= rows.len();
        let Some(last) = rows.last() else {
            if !a.follow {
                break;
            }
            std::thread::sleep(POLL);
            continue;
        };
        q.after = last.seq;
        if rows.len() < q.limit && !a.follow {
            break;
        }
    }
    Ok(())
}

/// One NDJSON line: the ids the log keeps; with patient data, the note
/// and (for a record's creation) the patient and fields, or the event's
/// data as logged.
fn line(e: &FeedEvent, with_patient: bool) -> Value {
    let mut v = e.line();
    if with_patient && let Some(obj) = v.as_object_mut() {
        e.add_patient(obj);
    }
    v
}

/// One line for people: sequence, local time, record, kind, stage, actor.
fn human(ctx: &Ctx, e: &FeedEvent) -> String {
    let p = &ctx.pipeline;
    let record = e.record_id.map_or("-".to_string(), |r| format!("#{r}"));
    let stage = e
        .stage
        .as_deref()
        .map(|s| {
            p.stage_ix(s)
                .map_or_else(|| s.to_string(), |ix| p.stage(ix).name.clone())
        })
        .unwrap_or_else(|| "-".into());
    let what = match (&e.event, e.kind.known()) {
        (Some(ev), _) => ev.clone(),
        (None, Some(EventKind::Claim | EventKind::Assign)) => {
            format!("to {}", e.to.as_deref().unwrap_or("?"))
        }
        _ => String::new(),
    };
    crate::present::clean(&format!(
        "{:>8}  {}  {:<8} {:<11} {:<24} {:<12} {}",
        e.seq,
        crate::present::local(p, e.at),
        record,
        e.kind.as_str(),
        stage,
        e.actor,
        what
    ))
    .trim_end()
    .to_string()
}
