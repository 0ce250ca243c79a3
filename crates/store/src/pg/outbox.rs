//! Webhook delivery state on PostgreSQL ([`crate::outbox`]), read and
//! written through the server's functions of schema step 5: the lease
//! holder's writes only, each message's record and kind taken from the
//! log by the server.

use super::store::PgStore;
use crate::Result;
use crate::outbox::{Delivery, DeliveryFilter, Lease, Outbox, Outcome, Status, Trouble};
use postgres::Row;

const COLUMNS: &str = "target, seq, record_id, kind, status, attempts::bigint, next_at, \
     first_failed_at, last_error, delivered_at";

fn delivery(r: &Row) -> Result<Delivery> {
    Ok(Delivery {
        target: r.try_get(0)?,
        seq: r.try_get(1)?,
        record_id: r.try_get(2)?,
        kind: r.try_get(3)?,
        status: Status::from_word(r.try_get::<_, &str>(4)?),
        attempts: r.try_get(5)?,
        next_at: r.try_get(6)?,
        first_failed_at: r.try_get(7)?,
        last_error: r.try_get(8)?,
        delivered_at: r.try_get(9)?,
    })
}

impl Outbox for PgStore {
    fn take_lease(&mut self, holder: &str, now: i64, ttl: i64) -> Result<Lease> {
        let r = self.row(
            "SELECT holder, expires FROM delivery_lease($1, $2, $3)",
            &[&holder, &now, &ttl],
        )?;
        let (who, expires): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
        Ok(Lease::read(holder, who, expires))
    }

    fn release_lease(&mut self, holder: &str) -> Result<()> {
        self.row("SELECT delivery_release($1)", &[&holder])?;
        Ok(())
    }

    fn delivery_cursor(&self, target: &str) -> Result<Option<i64>> {
        Ok(self
            .row("SELECT delivery_cursor($1)", &[&target])?
            .try_get(0)?)
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
        self.row(
            "SELECT delivery_enqueue($1, $2, $3, $4, $5, $6)",
            &[&holder, &target, &after, &upto, &seqs, &now],
        )?;
        Ok(())
    }

    fn due(&self, now: i64, targets: &[String], limit: i64) -> Result<Vec<Delivery>> {
        self.rows(
            &format!("SELECT {COLUMNS} FROM delivery_due($1, $2, $3)"),
            &[&now, &targets, &limit],
        )?
        .iter()
        .map(delivery)
        .collect()
    }

    fn settle(
        &mut self,
        holder: &str,
        target: &str,
        seq: i64,
        outcome: &Outcome,
        now: i64,
    ) -> Result<()> {
        let (status, error, next) = outcome.columns();
        self.row(
            "SELECT delivery_settle($1, $2, $3, $4, $5, $6, $7)",
            &[&holder, &target, &seq, &status, &error, &next, &now],
        )?;
        Ok(())
    }

    fn deliveries(&self, f: &DeliveryFilter) -> Result<Vec<Delivery>> {
        self.rows(
            &format!("SELECT {COLUMNS} FROM delivery_rows($1, $2, $3)"),
            &[&f.failed, &f.target, &f.limit],
        )?
        .iter()
        .map(delivery)
        .collect()
    }

    fn requeue(&mut self, target: &str, seq: Option<i64>, now: i64) -> Result<i64> {
        Ok(self
            .row(
                "SELECT delivery_requeue($1, $2, $3)",
                &[&target, &seq, &now],
            )?
            .try_get(0)?)
    }

    fn troubles(&self) -> Result<Vec<Trouble>> {
        self.rows(
            "SELECT target, dead, failing_since FROM delivery_troubles()",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(Trouble {
                target: r.try_get(0)?,
                dead: r.try_get(1)?,
                failing_since: r.try_get(2)?,
            })
        })
        .collect()
    }
}
