//! The stays table on PostgreSQL (schema step 7): the server marks every
//! record an event is appended about; the writer settles them before its
//! commit through the checked `stays_settle`, as on SQLite
//! (`sqlite::stays`). A rebuild reads the whole log, so it needs a session
//! that may read every record (its audit read logged).

use super::PgStore;
use super::prepared::Prepared;
use crate::{Result, StoreError};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::audit::{
    AuditEvent, AuditRange, AuditReport, Auditor, StayRow, StaysUse, stays_key,
};
use carequeue_core::log::EventKind;
use postgres::GenericClient;
use std::sync::Arc;

/// The stored pipeline the stays are settled under, and its key.
pub type Shared = Option<(Arc<Pipeline>, String)>;

/// Records a commit settles at most; more wait (the table then reads as
/// settling, and the audit reads the log) for the next commits.
const SETTLE_MAX: i64 = 2_000;

fn row_json(r: &StayRow) -> serde_json::Value {
    serde_json::json!({
        "record_id": r.record_id,
        "visit": r.visit,
        "stage": r.stage,
        "entered_at": r.entered,
        "left_at": r.left,
        "working": r.working,
        "paused": r.paused,
        "paused_since": r.paused_since,
        "owner_acted": r.owner_acted,
        "paused_after_action": r.paused_after_action,
        "assigned": r.assigned,
        "re_entry": r.re_entry,
        "ever_active": r.ever_active,
        "ack": r.ack,
        "exit_kind": r.exit_kind.map(|k| k.as_str()),
        "exit_from": r.exit_from,
        "exit_to": r.exit_to,
        "exit_reason": r.exit_reason,
        "events": r.events,
    })
}

fn meta(c: &mut impl GenericClient, key: &str) -> Result<Option<String>> {
    Ok(
        c.query_opt("SELECT value FROM carequeue.meta WHERE key = $1", &[&key])?
            .map(|r| r.try_get(0))
            .transpose()?,
    )
}

/// An event of record `id` as the audit reads it, from columns `at`,
/// `actor`, `kind`, `from_stage`, `to_stage`, `reason`, `data` starting at
/// `first`; None for a kind this carequeue does not know.
fn event_of(r: &postgres::Row, id: i64, first: usize) -> Result<Option<AuditEvent<'_>>> {
    let kind: &str = r.try_get(first + 2)?;
    let Ok(kind) = kind.parse::<EventKind>() else {
        return Ok(None);
    };
    Ok(Some(AuditEvent {
        record_id: id,
        at: r.try_get(first)?,
        actor: r.try_get(first + 1)?,
        kind,
        from: r.try_get(first + 3)?,
        to: r.try_get(first + 4)?,
        reason: r.try_get(first + 5)?,
        data: r.try_get(first + 6)?,
    }))
}

/// Settles every record an event was appended about in this transaction
/// (or left unsettled before), under pipeline `p` with key `key`.
pub fn settle(
    tx: &mut postgres::Transaction,
    prepared: &Prepared,
    p: &Pipeline,
    key: &str,
) -> Result<()> {
    let st = prepared.get(
        tx,
        "SELECT record_id FROM carequeue.stays_dirty ORDER BY record_id LIMIT $1",
    )?;
    let mut built = meta(tx, "stays_key")?;
    if built.is_none() {
        let start = prepared.get(tx, "SELECT carequeue.stays_start_empty($1)")?;
        if tx.query_one(&start, &[&key])?.try_get::<_, bool>(0)? {
            built = Some(key.to_string());
        }
    }
    if built.as_deref() != Some(key) {
        return Ok(());
    }
    let ids: Vec<i64> = tx
        .query(&st, &[&SETTLE_MAX])?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
    let events = prepared.get(
        tx,
        "SELECT at, actor, kind, from_stage, to_stage, reason, data FROM carequeue.stay_events($1)",
    )?;
    let open = prepared.get(
        tx,
        "SELECT coalesce(max(visit), 0) FROM carequeue.stays WHERE record_id = $1",
    )?;
    let put = prepared.get(
        tx,
        "SELECT carequeue.stays_settle($1, $2, $3, $4::text::jsonb)",
    )?;
    for id in ids {
        let rows = tx.query(&events, &[&id])?;
        let mut history = Vec::with_capacity(rows.len());
        for r in &rows {
            history.extend(event_of(r, id, 0)?);
        }
        let built = Auditor::stays_of(p, history);
        let from: i32 = tx.query_one(&open, &[&id])?.try_get(0)?;
        let json: Vec<serde_json::Value> = built
            .iter()
            .filter(|r| i64::from(r.visit) >= i64::from(from))
            .map(row_json)
            .collect();
        let text = serde_json::Value::Array(json).to_string();
        tx.query_one(&put, &[&key, &id, &from, &text])?;
    }
    Ok(())
}

/// Builds the table again from the whole log under `p`, in one
/// transaction (a session that may read every record).
pub fn rebuild(store: &PgStore, p: &Pipeline) -> Result<()> {
    use postgres::fallible_iterator::FallibleIterator;
    let mut c = store.client()?;
    let mut tx = c.transaction()?;
    tx.batch_execute("SELECT carequeue.stays_rebuild_start()")?;
    let mut b = Auditor::stays_builder(p, chrono::Utc::now().timestamp());
    let mut through = 0i64;
    let mut batch: Vec<serde_json::Value> = Vec::new();
    let flush =
        |tx: &mut postgres::Transaction, batch: &mut Vec<serde_json::Value>| -> Result<()> {
            if batch.is_empty() {
                return Ok(());
            }
            let text = serde_json::Value::Array(std::mem::take(batch)).to_string();
            tx.query_one(
                "SELECT carequeue.stays_rebuild_rows($1::text::jsonb)",
                &[&text],
            )?;
            Ok(())
        };
    {
        let none: [&(dyn postgres::types::ToSql + Sync); 0] = [];
        let mut rows = Vec::new();
        {
            let mut it = tx.query_raw(
                "SELECT record_id, at, actor, kind, from_stage, to_stage, reason, data \
                 FROM carequeue.events_read WHERE record_id IS NOT NULL ORDER BY id",
                none,
            )?;
            while let Some(r) = it.next()? {
                if let Some(e) = event_of(&r, r.try_get(0)?, 1)? {
                    through = through.max(e.at);
                    b.push(&e);
                    rows.extend(b.drain_stays());
                }
            }
        }
        rows.extend(b.finish_stays());
        for r in &rows {
            batch.push(row_json(r));
            if batch.len() >= 2_000 {
                flush(&mut tx, &mut batch)?;
            }
        }
        flush(&mut tx, &mut batch)?;
    }
    tx.execute(
        "SELECT carequeue.stays_rebuild_end($1, $2)",
        &[&stays_key(p), &through],
    )?;
    tx.commit().map_err(StoreError::from)
}

/// Whether the table answers for `p` (built under its key, every record
/// settled), and the latest event it holds.
fn answers(
    c: &mut impl GenericClient,
    p: &Pipeline,
    stored_key: Option<&str>,
) -> Result<std::result::Result<i64, StaysUse>> {
    let key = stays_key(p);
    let built = meta(c, "stays_key")?;
    let waiting = c
        .query_opt("SELECT 1 FROM carequeue.stays_dirty LIMIT 1", &[])?
        .is_some();
    if built.as_deref() != Some(key.as_str()) || waiting {
        return Ok(Err(if stored_key == Some(key.as_str()) {
            StaysUse::Rebuilding
        } else {
            StaysUse::Log
        }));
    }
    Ok(Ok(meta(c, "stays_through")?
        .and_then(|t| t.parse().ok())
        .unwrap_or(i64::MIN)))
}

fn opt_i64(r: &postgres::Row, i: usize) -> Result<Option<i64>> {
    Ok(r.try_get(i)?)
}

/// The audit over stays when the table answers for `p` as of `now`; else
/// why it must be read from the log.
pub fn audit(
    c: &mut postgres::Client,
    p: &Pipeline,
    stored_key: Option<&str>,
    range: AuditRange,
    now: i64,
) -> Result<std::result::Result<AuditReport, StaysUse>> {
    use postgres::fallible_iterator::FallibleIterator;
    let mut tx = super::store::snapshot(c)?;
    let through = match answers(&mut tx, p, stored_key)? {
        Ok(t) => t,
        Err(why) => return Ok(Err(why)),
    };
    if through > now {
        return Ok(Err(StaysUse::Log));
    }
    let mut a = Auditor::over_stays(p, range, now);
    {
        let none: [&(dyn postgres::types::ToSql + Sync); 0] = [];
        let mut it = tx.query_raw(
            "SELECT record_id, visit, stage, entered_at, left_at, working, paused, paused_since, \
             owner_acted, paused_after_action, assigned, re_entry, ever_active, ack, exit_kind, \
             exit_from, exit_to, exit_reason, events FROM carequeue.stays ORDER BY record_id, visit",
            none,
        )?;
        while let Some(r) = it.next()? {
            let kind: Option<&str> = r.try_get(14)?;
            let visit: i32 = r.try_get(1)?;
            let events: i32 = r.try_get(18)?;
            a.push_stay(&StayRow {
                record_id: r.try_get(0)?,
                visit: u32::try_from(visit).unwrap_or(0),
                stage: r.try_get(2)?,
                entered: r.try_get(3)?,
                left: opt_i64(&r, 4)?,
                working: opt_i64(&r, 5)?,
                paused: r.try_get(6)?,
                paused_since: opt_i64(&r, 7)?,
                owner_acted: opt_i64(&r, 8)?,
                paused_after_action: r.try_get(9)?,
                assigned: r.try_get(10)?,
                re_entry: r.try_get(11)?,
                ever_active: r.try_get(12)?,
                ack: r.try_get(13)?,
                exit_kind: kind.and_then(|k| k.parse().ok()),
                exit_from: r.try_get(15)?,
                exit_to: r.try_get(16)?,
                exit_reason: r.try_get(17)?,
                events: u32::try_from(events).unwrap_or(0),
            });
        }
    }
    tx.commit().map_err(StoreError::from)?;
    Ok(Ok(a.finish()))
}

/// The table's state, as `carequeue stays status` shows it.
pub fn status(store: &PgStore, stored_key: Option<&str>) -> Result<crate::board::StaysStatus> {
    let mut c = store.client()?;
    let built = meta(&mut *c, "stays_key")?;
    let rows: i64 = c
        .query_one("SELECT count(*) FROM carequeue.stays", &[])?
        .try_get(0)?;
    let waiting: i64 = c
        .query_one("SELECT count(*) FROM carequeue.stays_dirty", &[])?
        .try_get(0)?;
    let built_for = stored_key.is_some() && built.as_deref() == stored_key;
    Ok(crate::board::StaysStatus {
        current: built_for && waiting == 0,
        built_for_pipeline: built_for,
        rows,
        waiting,
    })
}

impl PgStore {
    /// Hands over the stored pipeline (hash `hash`) already parsed: each
    /// write settles the stays of the records it wrote under it.
    pub fn share_pipeline(&mut self, hash: &str, p: Arc<carequeue_core::domain::Pipeline>) {
        if self.expected_pipeline() == Some(hash) {
            let key = carequeue_core::engine::audit::stays_key(&p);
            self.stays = Some((p, key));
        }
    }

    /// The stays table's state under the stored pipeline (current, built
    /// for it, rows, records waiting).
    pub fn stays_status(&self) -> Result<crate::board::StaysStatus> {
        status(self, self.stays.as_ref().map(|s| s.1.as_str()))
    }

    /// Builds the stays table again under the stored pipeline.
    pub fn rebuild_stays(&self) -> Result<bool> {
        match &self.stays {
            Some((p, _)) => rebuild(self, p).map(|_| true),
            None => Ok(false),
        }
    }
}
