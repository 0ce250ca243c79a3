//! `report --since D --until D [--by week] --out FILE.html`: one
//! self-contained page to forward: the stage audit of the range as a table
//! and the trend as inline SVG charts (plotters' SVG backend), in the
//! pipeline's time zone, with no patient named and nothing fetched when it
//! is opened (no script, no stylesheet, no image, no font from elsewhere).

use super::audit_cmd::parse_bound;
use super::context::Ctx;
use super::out::outln;
use super::report_charts::{breach_svg, cycle_svg, flow_svg};
use crate::domain::Pipeline;
use crate::domain::duration::Secs;
use crate::engine::audit::{AuditRange, AuditReport};
use crate::log::AccessAction;
use crate::ops::trend::{By, Trend, compute};
use anyhow::{Context as _, Result, bail};
use std::io::Write;
use std::path::Path;

/// Buckets a report holds at most.
const MAX_BUCKETS: usize = 366;

/// Text for HTML, escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn dur(s: Option<i64>) -> String {
    s.map_or("–".into(), |s| Secs(s).compact())
}

pub fn run(ctx: &Ctx, since: &str, until: &str, by: &str, out_file: &Path) -> Result<()> {
    let p = &ctx.pipeline;
    let Some(by) = By::parse(by) else {
        bail!(
            "--by `{}` is not day, week or month",
            crate::present::shown(by)
        );
    };
    let since = parse_bound(p, "--since", since)?;
    let until = parse_bound(p, "--until", until)?;
    if since >= until {
        bail!("--since must be before --until (the range is [since, until))");
    }
    if crate::ops::trend::edges(p, since, until, by, MAX_BUCKETS).len() > MAX_BUCKETS + 1 {
        bail!("the range holds more than {MAX_BUCKETS} buckets: narrow it or use a larger --by");
    }
    let now = ctx.now();
    let mut store = ctx.board()?;
    let actor = ctx.reader(&*store)?;
    crate::ops::reads::log_read(
        &mut *store,
        &actor,
        AccessAction::Audit,
        None,
        Some("report"),
        now,
    )?;
    let range = AuditRange {
        since: Some(since),
        until: Some(until),
    };
    let audit = store.audit(p, range, now)?;
    let trend = compute(p, &*store, (since, until), by, MAX_BUCKETS, now)?;
    let html = page(p, &audit, &trend, (since, until), now.timestamp())?;
    let file = crate::store::os::create_new_private(out_file)?;
    let mut w = std::io::BufWriter::new(file);
    let written = w
        .write_all(html.as_bytes())
        .and_then(|()| w.flush())
        .context("writing the report");
    if written.is_err() {
        let _ = std::fs::remove_file(out_file);
    }
    written?;
    outln!("{} written ({} bytes)", out_file.display(), html.len())?;
    Ok(())
}

/// The page.
fn page(
    p: &Pipeline,
    a: &AuditReport,
    t: &Trend,
    (since, until): (i64, i64),
    now: i64,
) -> Result<String> {
    let local = |x: i64| crate::present::local(p, x);
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str(&format!(
        "<title>{} · audit and trends</title>",
        esc(&p.name)
    ));
    h.push_str(
        "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}\
         table{border-collapse:collapse;font-size:14px}th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}\
         th:first-child,td:first-child{text-align:left}h2{margin-top:1.6em}.note{color:#666;font-size:13px}</style>",
    );
    h.push_str("</head><body>");
    h.push_str(&format!(
        "<h1>{}</h1><p>Stage audit and trends from {} to {} (by {}), as of {}. Times are the pipeline's ({}). No patient is named.</p>",
        esc(&p.name),
        esc(&local(since)),
        esc(&local(until)),
        esc(&t.by),
        esc(&local(now)),
        esc(&p.timezone.to_string())
    ));
    h.push_str("<h2>Stage audit</h2><table><tr><th>Stage</th><th>Entered</th><th>Now</th><th>Median</th><th>P90</th><th>Breached</th><th>No owner action</th><th>Re-entries</th></tr>");
    for s in &a.stages {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.name),
            s.entered,
            s.current,
            dur(s.median_seconds),
            dur(s.p90_seconds),
            if s.terminal { "–".into() } else { s.breaches.to_string() },
            if s.terminal { "–".into() } else { s.no_owner_action.to_string() },
            s.re_entries
        ));
    }
    h.push_str("</table>");
    if !a.breaches_by_reason.is_empty() {
        h.push_str("<h2>Breaches by reason</h2><table><tr><th>Reason</th><th>Breaches</th></tr>");
        for r in &a.breaches_by_reason {
            let label = r.label.clone().unwrap_or_else(|| r.reason.clone());
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(&label),
                r.count
            ));
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Records in each phase</h2>");
    h.push_str(&flow_svg(p, t)?);
    h.push_str("<h2>Breach rate by stage</h2><p class=\"note\">Of the stays that entered the stage in the bucket, the share that breached; the six stages with the most breaches.</p>");
    h.push_str(&breach_svg(p, t)?);
    h.push_str("<h2>Cycle time to active care</h2>");
    let c = &t.cycle_control;
    h.push_str(&format!(
        "<p class=\"note\">Each record's time from creation to its first entry into active care; mean {}, control limits {} to {}; {} records.</p>",
        dur(c.mean_seconds),
        dur(c.lower_seconds),
        dur(c.upper_seconds),
        c.points.len()
    ));
    h.push_str(&cycle_svg(t)?);
    h.push_str("</body></html>\n");
    Ok(h)
}
