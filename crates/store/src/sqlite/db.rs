//! [`Db`] and [`Tx`] on SQLite: the caller's `BEGIN IMMEDIATE` transaction
//! and its chain appender.

use super::events;
use super::in_use::{self, Reads};
use super::{Store, access, records, setup, users};
use crate::db::{Batch, Db, Snapshot, Tx};
use crate::in_use::InUse;
use crate::pipelines::StoredPipeline;
use crate::team::Member;
use crate::{EventRow, ListFilter, NewEvent, Result};
use carequeue_core::engine::Record;
use carequeue_core::engine::retime::Stay;

impl Snapshot for rusqlite::Transaction<'_> {}

/// [`Tx`] on SQLite: the caller's transaction and its chain appender.
pub struct SqliteTx<'a> {
    pub conn: &'a rusqlite::Connection,
    pub chain: &'a mut events::Appender,
    /// Indexes a bulk load dropped, rebuilt before the commit.
    pub dropped: Option<super::bulk::DroppedIndexes>,
    /// While every record of a bulk load into an empty table came through
    /// this transaction as it was stored: the counts to rebuild from.
    pub tally: Option<super::bulk::Tally>,
}

impl Tx for SqliteTx<'_> {
    fn op_seen(&mut self, op: &str) -> Result<Option<i64>> {
        events::op_seen(self.conn, op)
    }

    fn op_kind(&mut self, op: &str) -> Result<Option<(i64, crate::events::StoredKind)>> {
        Ok(events::op_kind(self.conn, op)?.map(|(id, k)| (id, k.into())))
    }

    fn load(&mut self, id: i64) -> Result<Record> {
        records::load(self.conn, id)
    }

    fn save(&mut self, cur: Option<&Record>, next: &mut Record, e: &NewEvent) -> Result<()> {
        let mut e = e.clone();
        match cur {
            Some(cur) => {
                next.version = cur.version;
                next.version = records::update(self.conn, cur, next)?;
                // A stage or owner changed: the counts are read again.
                self.tally = None;
            }
            None => {
                next.id = records::insert(self.conn, next)?;
                next.version = next.version.max(1);
                e.record_id = Some(next.id);
                if let Some(t) = &mut self.tally {
                    t.add(&next.stage, next.assignee.is_none());
                }
            }
        }
        self.chain.append(self.conn, &e)?;
        Ok(())
    }

    fn member(&mut self, name: &str) -> Result<Option<Member>> {
        users::member(self.conn, name)
    }

    fn member_by_login(&mut self, login: &str) -> Result<Option<Member>> {
        users::member_by_login(self.conn, login)
    }

    fn members(&mut self) -> Result<Vec<Member>> {
        users::members(self.conn)
    }

    fn save_user(&mut self, actor: &str, m: &Member, _admin: bool, at: i64) -> Result<()> {
        users::save(self.conn, self.chain, actor, m, at)
    }

    fn held_by(&mut self, user: &str) -> Result<Vec<(i64, String)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, stage FROM records WHERE assignee = ?1 ORDER BY id")?;
        let rows = st.query_map([user], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn append(&mut self, e: &NewEvent) -> Result<()> {
        self.chain.append(self.conn, e)?;
        Ok(())
    }

    fn in_use(&mut self) -> &mut dyn InUse {
        self
    }

    fn current_pipeline(&mut self) -> Result<Option<StoredPipeline>> {
        setup::current_pipeline(self.conn)
    }

    fn ids_in_stage(&mut self, stage: &str) -> Result<Vec<i64>> {
        in_use::ids_in_stage(self.conn, stage)
    }

    fn stay(&mut self, r: &Record) -> Result<Stay> {
        in_use::stay(self.conn, r)
    }

    fn rewrite_clock(&mut self, old: &Record, r: &Record) -> Result<()> {
        in_use::rewrite_clock(self.conn, old, r)
    }

    fn rename_role_in_records(&mut self, old: &str, new: &str) -> Result<()> {
        in_use::rename_role_in_records(self.conn, old, new)
    }

    fn store_pipeline(
        &mut self,
        actor: &str,
        how: &str,
        text: &str,
        at: i64,
        _log_readers: &[String],
    ) -> Result<i64> {
        setup::store_pipeline(self.conn, self.chain, actor, how, text, at)
    }

    fn index_fields(&mut self, fields: &[&str]) -> Result<()> {
        super::filter::index_fields(self.conn, fields)
    }

    fn bulk_load(&mut self, rows: i64) -> Result<()> {
        // Rebuilding pays off when the load is large, and not small beside
        // what the database already holds.
        let existing: i64 = self.conn.query_row(
            "SELECT coalesce(sum(total), 0) FROM stage_counts",
            [],
            |r| r.get(0),
        )?;
        if self.dropped.is_none() && rows >= existing {
            self.dropped = Some(super::bulk::drop_indexes(self.conn)?);
            if existing == 0 {
                self.tally = Some(super::bulk::Tally::default());
            }
        }
        Ok(())
    }

    fn initialised(&mut self) -> Result<bool> {
        Ok(setup::initialised(self.conn)? || setup::current_pipeline(self.conn)?.is_some())
    }

    fn record_init(
        &mut self,
        actor: &str,
        trust: bool,
        group: Option<&str>,
        at: i64,
    ) -> Result<()> {
        setup::record_init(self.conn, self.chain, actor, trust, group, at)
    }

    fn record_ids(&mut self) -> Result<Vec<i64>> {
        let mut st = self.conn.prepare("SELECT id FROM records ORDER BY id")?;
        let ids = st.query_map([], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn mark_demo(&mut self, pipeline: &str, seed: u64, generator: &str) -> Result<()> {
        super::meta_set(self.conn, "demo", "true")?;
        super::meta_set(self.conn, "pipeline", pipeline)?;
        super::meta_set(self.conn, "demo_seed", &seed.to_string())?;
        super::meta_set(self.conn, "demo_generator", generator)
    }

    fn load_batches(&mut self, next: &mut (dyn FnMut() -> Option<Batch> + Send)) -> Result<i64> {
        super::bulk::load_batches(self, next)
    }
}

impl Db for Store {
    fn label(&self) -> String {
        self.path().display().to_string()
    }

    fn store_name(&self) -> &'static str {
        "sqlite"
    }

    fn login_noun(&self) -> &'static str {
        "OS account"
    }

    fn read_only(&self) -> bool {
        Store::read_only(self)
    }

    fn reads_unlogged(&self) -> bool {
        Store::reads_unlogged(self)
    }

    fn trust_mode(&self) -> Result<bool> {
        setup::trust_mode(self.conn())
    }

    fn login(&self) -> Result<String> {
        crate::os::login()
    }

    fn unlinked_hint(&self, login: &str) -> String {
        format!(
            "OS account `{login}` is linked to no carequeue user; an admin can add you with `carequeue user add NAME --role ROLE --login {login}`"
        )
    }

    fn act_as(&self, _m: &Member) -> Result<()> {
        // One process, one file: the actor is carried by each operation.
        Ok(())
    }

    fn member(&self, name: &str) -> Result<Option<Member>> {
        users::member(self.conn(), name)
    }

    fn member_by_login(&self, login: &str) -> Result<Option<Member>> {
        users::member_by_login(self.conn(), login)
    }

    fn first_user(&self) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .query_row(
                "SELECT to_stage FROM events WHERE kind = 'user' ORDER BY id LIMIT 1",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?)
    }

    fn record(&self, id: i64) -> Result<Record> {
        Store::record(self, id)
    }

    fn history(&self, id: i64) -> Result<Vec<EventRow>> {
        events::history(self.conn(), id)
    }

    fn count(&self, f: &ListFilter, now: i64) -> Result<i64> {
        Store::count(self, f, now)
    }

    fn each_listed(
        &self,
        f: &ListFilter,
        now: i64,
        each: &mut dyn FnMut(Record) -> Result<()>,
    ) -> Result<()> {
        // One query: its rows come from one snapshot (a caller making
        // several passes holds a [`Db::snapshot`] across them).
        Store::each_listed(self, f, now, each)
    }

    fn snapshot(&self) -> Result<Box<dyn Snapshot + '_>> {
        Ok(Box::new(self.conn().unchecked_transaction()?))
    }

    fn log_read(
        &mut self,
        at: i64,
        actor: &str,
        action: carequeue_core::log::AccessAction,
        record: Option<i64>,
        detail: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| access::append(tx, at, actor, action.as_str(), record, detail))?;
        Ok(())
    }

    fn transact(&mut self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        self.write(|tx| {
            let mut chain = events::Appender::load(tx)?;
            let mut t = SqliteTx {
                conn: tx,
                chain: &mut chain,
                dropped: None,
                tally: None,
            };
            f(&mut t)?;
            let (dropped, tally) = (t.dropped.take(), t.tally.take());
            chain.finish(tx)?;
            if let Some(d) = dropped {
                super::bulk::restore_indexes(tx, d, tally)?;
            }
            Ok(())
        })
    }
}

impl InUse for SqliteTx<'_> {
    fn stage_totals(&mut self) -> Result<Vec<(String, i64)>> {
        Reads(self.conn).stage_totals()
    }
    fn substatus_totals(&mut self) -> Result<Vec<(String, String, i64)>> {
        Reads(self.conn).substatus_totals()
    }
    fn field_values(&mut self, field: &str) -> Result<Vec<(String, i64)>> {
        Reads(self.conn).field_values(field)
    }
    fn waiting_on_timers(&mut self, stage: &str) -> Result<i64> {
        Reads(self.conn).waiting_on_timers(stage)
    }
    fn members(&mut self) -> Result<Vec<Member>> {
        Reads(self.conn).members()
    }
}
