//! `trend [--since D] [--until D] [--by day|week|month] [--json]`: the
//! pipeline bucket by bucket (see `ops::trend` for every definition): the
//! event feed read once in log order, and the stage audit of each bucket's
//! range for the breach rates. Logged as an audit read.

use super::audit_cmd::parse_bound;
use super::context::Ctx;
use super::fmt::print_json;
use super::out::out;
use crate::log::AccessAction;
use crate::ops::trend::{By, Trend, compute, edges};
use anyhow::{Result, bail};

/// Buckets a trend shows at most.
const MAX_BUCKETS: usize = 366;
/// Buckets when `--since` is not given.
const DEFAULT_BUCKETS: i64 = 12;

pub fn run(
    ctx: &Ctx,
    since: Option<&str>,
    until: Option<&str>,
    by: &str,
    json: bool,
) -> Result<()> {
    let p = &ctx.pipeline;
    let Some(by) = By::parse(by) else {
        bail!(
            "--by `{}` is not day, week or month",
            crate::present::shown(by)
        );
    };
    let now = ctx.now();
    let until = match until {
        Some(u) => parse_bound(p, "--until", u)?,
        None => now.timestamp(),
    };
    let span = match by {
        By::Day => 86_400,
        By::Week => 7 * 86_400,
        By::Month => 31 * 86_400,
    };
    let since = match since {
        Some(s) => parse_bound(p, "--since", s)?,
        None => until - DEFAULT_BUCKETS * span + 1,
    };
    if since >= until {
        bail!("--since must be before --until (the range is [since, until))");
    }
    let edges = edges(p, since, until, by, MAX_BUCKETS);
    if edges.len() > MAX_BUCKETS + 1 {
        bail!("the range holds more than {MAX_BUCKETS} buckets: narrow it or use a larger --by");
    }
    let mut store = ctx.board()?;
    let actor = ctx.reader(&*store)?;
    crate::ops::reads::log_read(
        &mut *store,
        &actor,
        AccessAction::Audit,
        None,
        Some("trend"),
        now,
    )?;
    let report = compute(p, &*store, (since, until), by, MAX_BUCKETS, now)?;
    if json {
        return print_json(&report);
    }
    out!("{}", crate::present::clean_lines(&human(ctx, &report)))?;
    Ok(())
}

fn dur(s: Option<i64>) -> String {
    s.map_or("-".into(), |s| crate::domain::duration::Secs(s).compact())
}

fn human(ctx: &Ctx, r: &Trend) -> String {
    let p = &ctx.pipeline;
    let mut out = String::new();
    let phases: Vec<&str> = p.phases.iter().map(|ph| ph.id.as_str()).collect();
    out.push_str(&format!("{} by {}\n\n", r.pipeline, r.by));
    let mut head = format!("{:<11}", "FROM");
    for ph in &p.phases {
        head.push_str(&format!(" {:>9}", crate::ui::fit(&ph.name, 9)));
    }
    head.push_str("  INTO CARE  EXITS  CYCLE MED  CYCLE P90  WORST BREACH RATE");
    out.push_str(&head);
    out.push('\n');
    for b in &r.buckets {
        let mut line = format!("{:<11}", &b.start[..10.min(b.start.len())]);
        for ph in &phases {
            line.push_str(&format!(" {:>9}", b.flow.get(*ph).copied().unwrap_or(0)));
        }
        let exits: u64 = b.exits.values().sum();
        let worst = b
            .breach_rate
            .iter()
            .max_by(|a, c| a.rate.total_cmp(&c.rate))
            .map(|s| {
                format!(
                    "{} {:.0}% ({}/{})",
                    crate::present::stage_name(p, &s.stage),
                    s.rate * 100.0,
                    s.breaches,
                    s.stays
                )
            })
            .unwrap_or_else(|| "-".into());
        line.push_str(&format!(
            "  {:>9}  {:>5}  {:>9}  {:>9}  {worst}",
            b.entered_active_care,
            exits,
            dur(b.cycle.median_seconds),
            dur(b.cycle.p90_seconds)
        ));
        out.push_str(&line);
        out.push('\n');
    }
    let c = &r.cycle_control;
    out.push_str(&format!(
        "\ncycle time to active care: mean {}, control limits {} – {}, {} records\n",
        dur(c.mean_seconds),
        dur(c.lower_seconds),
        dur(c.upper_seconds),
        c.points.len()
    ));
    out
}
