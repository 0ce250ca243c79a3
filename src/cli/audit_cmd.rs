//! `audit`: the stage audit (see `engine::audit` for every definition).

use super::context::Ctx;
use super::fmt::{local, print_json, table};
use super::out::out;
use crate::domain::Pipeline;
use crate::domain::duration::Secs;
use crate::engine::audit::{AuditRange, AuditReport};
use crate::engine::clock::parse_instant;
use crate::log::AccessAction;
use anyhow::{Result, anyhow, bail};
use chrono::{NaiveDate, TimeZone};

pub fn run(ctx: &Ctx, since: Option<&str>, until: Option<&str>, json: bool) -> Result<()> {
    let p = &ctx.pipeline;
    let range = AuditRange {
        since: since.map(|d| parse_bound(p, "--since", d)).transpose()?,
        until: until.map(|d| parse_bound(p, "--until", d)).transpose()?,
    };
    if let (Some(s), Some(u)) = (range.since, range.until)
        && s >= u
    {
        bail!("--since must be before --until (the range is [since, until))");
    }
    let mut store = ctx.board()?;
    let actor = ctx.reader(&*store)?;
    let detail = format!(
        "since={} until={}",
        since.unwrap_or("-"),
        until.unwrap_or("-")
    );
    crate::ops::reads::log_read(
        &mut *store,
        &actor,
        AccessAction::Audit,
        None,
        Some(&detail),
        ctx.now(),
    )?;
    let report = store.audit(p, range, ctx.now())?;
    if json {
        return print_json(&report);
    }
    out!("{}", crate::present::clean_lines(&human(p, &report)))?;
    Ok(())
}

/// `YYYY-MM-DD` (the start of that day in the pipeline's time zone) or an
/// RFC 3339 instant, as unix seconds.
pub(super) fn parse_bound(p: &Pipeline, flag: &str, text: &str) -> Result<i64> {
    let text = text.trim();
    if let Some(t) = parse_instant(text) {
        return Ok(t.timestamp());
    }
    let bad = || {
        anyhow!(
            "{flag} `{}` is not a date (YYYY-MM-DD) or an RFC 3339 time",
            crate::present::clean(text)
        )
    };
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?;
    // Midnight may not exist (a DST gap): take the first local hour that does.
    (0..3)
        .filter_map(|h| date.and_hms_opt(h, 0, 0))
        .find_map(|t| p.timezone.from_local_datetime(&t).earliest())
        .map(|t| t.timestamp())
        .ok_or_else(bad)
}

fn dur(v: Option<i64>) -> String {
    v.map_or("-".into(), |s| Secs(s).compact())
}

/// The aligned tables people read.
pub fn human(p: &Pipeline, r: &AuditReport) -> String {
    let range = match (r.since, r.until) {
        (None, None) => "all stays".to_string(),
        (Some(s), None) => format!("stays entered since {}", local(p, s)),
        (None, Some(u)) => format!("stays entered before {}", local(p, u)),
        (Some(s), Some(u)) => format!("stays entered {} – {}", local(p, s), local(p, u)),
    };
    let mut out = format!(
        "Stage audit of {}: {range}, as of {} ({} records, {} events)\n\
         Time in stage is working time under the stage's calendar, pauses excluded.\n\n",
        r.pipeline,
        local(p, r.as_of),
        r.records,
        r.events
    );
    if r.stays == crate::engine::audit::StaysUse::Rebuilding {
        out.push_str(
            "The stays table is being rebuilt after a pipeline change: these figures are read from the log.\n\n",
        );
    }
    let rows: Vec<Vec<String>> = r
        .stages
        .iter()
        .map(|s| {
            let mut mark = Vec::new();
            if s.highest_median {
                mark.push("▲ highest median for its SLA");
            }
            if s.widest_variance {
                mark.push("◆ widest variance for its SLA");
            }
            vec![
                s.stage.clone(),
                s.entered.to_string(),
                s.current.to_string(),
                dur(s.median_seconds),
                dur(s.p90_seconds),
                dur(s.stddev_seconds),
                dur(s.iqr_seconds),
                dur(s.median_wall_seconds),
                s.re_entries.to_string(),
                if s.terminal {
                    "-".into()
                } else {
                    s.breaches.to_string()
                },
                if s.terminal {
                    "-".into()
                } else {
                    s.no_owner_action.to_string()
                },
                mark.join(", "),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "STAGE",
            "ENTERED",
            "NOW",
            "MEDIAN",
            "P90",
            "STDDEV",
            "IQR",
            "WALL MED",
            "RE-ENTRIES",
            "BREACHES",
            "NO OWNER ACTION",
            "MARK",
        ],
        &rows,
    ));
    match &r.active_care_phase {
        None => {
            out.push_str("\nExits before Active Care: no phase is marked `active_care = true`.\n")
        }
        Some(ph) => {
            let name = p
                .phases
                .iter()
                .find(|x| &x.id == ph)
                .map_or(ph.as_str(), |x| &x.name);
            let total: u64 = r.exits_before_active_care.iter().map(|e| e.count).sum();
            out.push_str(&format!("\nExits before {name}: {total}\n"));
            if total > 0 {
                let rows: Vec<Vec<String>> = r
                    .exits_before_active_care
                    .iter()
                    .map(|e| vec![e.stage.clone(), e.name.clone(), e.count.to_string()])
                    .collect();
                out.push_str(&table(&["LEFT FROM", "NAME", "COUNT"], &rows));
            }
        }
    }
    let total: u64 = r.breaches_by_reason.iter().map(|e| e.count).sum();
    out.push_str(&format!("\nBreaches by reason: {total}\n"));
    if total > 0 {
        let rows: Vec<Vec<String>> = r
            .breaches_by_reason
            .iter()
            .map(|e| {
                vec![
                    e.reason.clone(),
                    e.label.clone().unwrap_or_default(),
                    e.count.to_string(),
                ]
            })
            .collect();
        out.push_str(&table(&["REASON", "LABEL", "COUNT"], &rows));
    }
    out
}
