//! `deliveries`: the webhook messages and where each stands (pending,
//! delivered, dead; attempts, next attempt, last error: a status or an
//! error class, never a response body), and `deliveries retry` to queue
//! dead or failing ones again.

use super::context::Ctx;
use super::out::outln;
use crate::store::outbox::{Delivery, DeliveryFilter, Status};
use anyhow::{Result, bail};
use serde_json::json;

fn instant(t: i64) -> String {
    crate::engine::clock::from_unix(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// When it is tried next: only a pending message is.
fn next(d: &Delivery) -> Option<String> {
    (d.status == Status::Pending).then(|| instant(d.next_at))
}

pub fn list(
    ctx: &Ctx,
    failed: bool,
    target: Option<&str>,
    limit: i64,
    as_json: bool,
) -> Result<()> {
    if limit < 1 {
        bail!("--limit {limit}: 1 or more");
    }
    let store = ctx.board()?;
    ctx.reader(&*store)?;
    let rows = store.deliveries(&DeliveryFilter {
        failed,
        target: target.map(str::to_string),
        limit,
    })?;
    if as_json {
        let v: Vec<_> = rows
            .iter()
            .map(|d| {
                json!({
                    "id": d.id(),
                    "target": d.target,
                    "seq": d.seq,
                    "record_id": d.record_id,
                    "kind": d.kind,
                    "status": d.status.as_str(),
                    "attempts": d.attempts,
                    "next_attempt": next(d),
                    "first_failed_at": d.first_failed_at.map(instant),
                    "last_error": d.last_error,
                    "delivered_at": d.delivered_at.map(instant),
                })
            })
            .collect();
        outln!("{}", serde_json::Value::Array(v))?;
        return Ok(());
    }
    outln!(
        "{:<24} {:<12} {:>7} {:>7} {:<12} {:<9} {:>8}  {:<20}  LAST ERROR",
        "ID",
        "TARGET",
        "SEQ",
        "RECORD",
        "KIND",
        "STATUS",
        "ATTEMPTS",
        "NEXT ATTEMPT"
    )?;
    for d in &rows {
        outln!(
            "{:<24} {:<12} {:>7} {:>7} {:<12} {:<9} {:>8}  {:<20}  {}",
            d.id(),
            d.target,
            d.seq,
            d.record_id,
            crate::present::clean(&d.kind),
            d.status.as_str(),
            d.attempts,
            next(d).unwrap_or_else(|| "-".into()),
            d.last_error.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}

/// `msg_<target>_<seq>` as its target and sequence number.
fn parse_id(id: &str) -> Option<(&str, i64)> {
    let (target, seq) = id.strip_prefix("msg_")?.rsplit_once('_')?;
    Some((target, seq.parse().ok()?)).filter(|(t, _)| !t.is_empty())
}

pub fn retry(ctx: &Ctx, id: Option<&str>, target: Option<&str>) -> Result<()> {
    let mut store = ctx.board()?;
    let actor = ctx.writer(&*store, "deliveries retry")?;
    let p = &*ctx.authority;
    if !crate::engine::authority::supervises(p, &actor)
        && !crate::engine::authority::is_admin(p, &actor)
    {
        bail!(
            "deliveries retry: `{}` holds no supervising or admin role; sending again what a receiver refused is theirs to decide",
            actor.name
        );
    }
    let now = ctx.now().timestamp();
    let n = match (id, target) {
        (Some(id), _) => {
            let Some((t, seq)) = parse_id(id) else {
                bail!(
                    "`{}` is not a message id (msg_<target>_<seq>, as `deliveries` lists them)",
                    crate::present::shown(id)
                );
            };
            let n = store.requeue(t, Some(seq), now)?;
            if n == 0 {
                bail!(
                    "{} is not a dead or failing message (`deliveries --failed` lists them)",
                    crate::present::shown(id)
                );
            }
            n
        }
        (None, Some(t)) => store.requeue(t, None, now)?,
        (None, None) => bail!("deliveries retry: name a message id or --target T"),
    };
    outln!("re-queued {n}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_parse_back_to_target_and_seq() {
        assert_eq!(super::parse_id("msg_ehr_12"), Some(("ehr", 12)));
        assert_eq!(super::parse_id("msg_sup_chat_3"), Some(("sup_chat", 3)));
        assert_eq!(super::parse_id("msg__3"), None);
        assert_eq!(super::parse_id("ehr_3"), None);
    }
}
