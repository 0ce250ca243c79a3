//! Webhook delivery state on SQLite ([`crate::outbox`]): each change one
//! `BEGIN IMMEDIATE` transaction, so taking the lease and checking it
//! before a write are atomic.

use super::{Result, Store, StoreError};
use crate::outbox::{Delivery, DeliveryFilter, Lease, Outbox, Outcome, Settled, Status, Trouble};
use rusqlite::{Connection, OptionalExtension, Row, params};

const COLUMNS: &str = "d.target, d.seq, d.record_id, d.kind, d.status, d.attempts, d.next_at, \
     d.first_failed_at, d.last_error, d.delivered_at";

fn delivery(r: &Row) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        target: r.get(0)?,
        seq: r.get(1)?,
        record_id: r.get(2)?,
        kind: r.get(3)?,
        status: Status::from_word(&r.get::<_, String>(4)?),
        attempts: r.get(5)?,
        next_at: r.get(6)?,
        first_failed_at: r.get(7)?,
        last_error: r.get(8)?,
        delivered_at: r.get(9)?,
    })
}

/// Refuses a write by anyone but the lease's live holder.
fn holds(tx: &Connection, holder: &str, now: i64) -> Result<()> {
    let mine: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM delivery_lease WHERE id = 1 AND holder = ?1 AND expires >= ?2",
            params![holder, now],
            |r| r.get(0),
        )
        .optional()?;
    match mine {
        Some(_) => Ok(()),
        None => Err(StoreError::Refused(
            "this deliverer does not hold the delivery lease".into(),
        )),
    }
}

impl Outbox for Store {
    fn take_lease(&mut self, holder: &str, now: i64, ttl: i64) -> Result<Lease> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO delivery_lease (id, holder, expires) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
                 WHERE delivery_lease.holder = excluded.holder OR delivery_lease.expires < ?3",
                params![holder, now.saturating_add(ttl), now],
            )?;
            let (who, expires): (String, i64) = tx.query_row(
                "SELECT holder, expires FROM delivery_lease WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok(Lease::read(holder, who, expires))
        })
    }

    fn release_lease(&mut self, holder: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM delivery_lease WHERE id = 1 AND holder = ?1",
                [holder],
            )?;
            Ok(())
        })
    }

    fn delivery_cursor(&self, target: &str) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT seq FROM delivery_cursors WHERE target = ?1",
                [target],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn enqueue(
        &mut self,
        holder: &str,
        target: &str,
        after: Option<i64>,
        upto: i64,
        seqs: &[i64],
        now: i64,
    ) -> Result<()> {
        self.write(|tx| {
            holds(tx, holder, now)?;
            let at: Option<i64> = tx
                .query_row(
                    "SELECT seq FROM delivery_cursors WHERE target = ?1",
                    [target],
                    |r| r.get(0),
                )
                .optional()?;
            if at != after || upto < after.unwrap_or(0) {
                return Err(StoreError::Refused(format!(
                    "target {target}: its cursor moved meanwhile"
                )));
            }
            let mut add = tx.prepare_cached(
                "INSERT INTO deliveries (target, seq, record_id, kind, next_at)
                 SELECT ?1, e.id, e.record_id, e.kind, ?2 FROM events e
                 WHERE e.id = ?3 AND e.record_id IS NOT NULL",
            )?;
            for &seq in seqs {
                if seq <= after.unwrap_or(i64::MIN) || seq > upto {
                    return Err(StoreError::Refused(format!(
                        "event {seq} is not after the cursor of target {target}"
                    )));
                }
                if add.execute(params![target, now, seq])? != 1 {
                    return Err(StoreError::Refused(format!(
                        "event {seq} is no event of a record"
                    )));
                }
            }
            tx.execute(
                "INSERT INTO delivery_cursors (target, seq) VALUES (?1, ?2)
                 ON CONFLICT (target) DO UPDATE SET seq = excluded.seq",
                params![target, upto],
            )?;
            Ok(())
        })
    }

    fn due(&self, now: i64, targets: &[String], limit: i64) -> Result<Vec<Delivery>> {
        let names = serde_json::to_string(targets).unwrap_or_else(|_| "[]".into());
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM deliveries d
             WHERE d.status = 'pending' AND d.next_at <= ?1
               AND d.target IN (SELECT value FROM json_each(?3))
               AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.target = d.target
                   AND o.record_id = d.record_id AND o.seq < d.seq AND o.status <> 'delivered')
             ORDER BY d.seq LIMIT ?2"
        ))?;
        let rows = st.query_map(params![now, limit, names], delivery)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn settle(
        &mut self,
        holder: &str,
        target: &str,
        seq: i64,
        outcome: &Outcome,
        now: i64,
    ) -> Result<()> {
        self.write(|tx| {
            holds(tx, holder, now)?;
            settle_in(tx, target, seq, outcome, now)
        })
    }

    fn settle_all(&mut self, holder: &str, done: &[Settled], now: i64) -> Result<()> {
        self.write(|tx| {
            holds(tx, holder, now)?;
            for (target, seq, outcome, at) in done {
                settle_in(tx, target, *seq, outcome, *at)?;
            }
            Ok(())
        })
    }

    fn deliveries(&self, f: &DeliveryFilter) -> Result<Vec<Delivery>> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM deliveries d
             WHERE (?1 IS NULL OR d.target = ?1)
               AND (NOT ?2 OR d.status = 'dead' OR (d.status = 'pending' AND d.attempts > 0))
             ORDER BY d.seq DESC, d.target LIMIT ?3"
        ))?;
        let rows = st.query_map(params![f.target, f.failed, f.limit], delivery)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn requeue(&mut self, target: &str, seq: Option<i64>, now: i64) -> Result<i64> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE deliveries SET status = 'pending', next_at = ?3, first_failed_at = NULL
                 WHERE target = ?1 AND (?2 IS NULL OR seq = ?2)
                   AND (status = 'dead' OR (status = 'pending' AND attempts > 0))",
                params![target, seq, now],
            )?;
            Ok(n as i64)
        })
    }

    fn troubles(&self) -> Result<Vec<Trouble>> {
        let mut st = self.conn().prepare_cached(
            "SELECT target, count(*) FILTER (WHERE status = 'dead'),
                    min(first_failed_at) FILTER (WHERE status = 'pending')
             FROM deliveries
             WHERE status = 'dead' OR (status = 'pending' AND first_failed_at IS NOT NULL)
             GROUP BY target ORDER BY target",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Trouble {
                target: r.get(0)?,
                dead: r.get(1)?,
                failing_since: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// One attempt's outcome on a pending message, in `tx`.
fn settle_in(tx: &Connection, target: &str, seq: i64, outcome: &Outcome, now: i64) -> Result<()> {
    let (status, error, next) = outcome.columns();
    let n = tx
        .prepare_cached(
            "UPDATE deliveries SET status = ?3, attempts = attempts + 1,
               next_at = coalesce(?5, next_at),
               first_failed_at = CASE WHEN ?4 IS NULL THEN first_failed_at
                                      ELSE coalesce(first_failed_at, ?6) END,
               last_error = coalesce(?4, last_error),
               delivered_at = CASE WHEN ?3 = 'delivered' THEN ?6 END
             WHERE target = ?1 AND seq = ?2 AND status = 'pending'",
        )?
        .execute(params![target, seq, status, error, next, now])?;
    if n != 1 {
        return Err(StoreError::Refused(format!(
            "{} is not a pending message",
            crate::outbox::message_id(target, seq)
        )));
    }
    Ok(())
}
