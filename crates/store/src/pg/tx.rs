//! One write transaction on PostgreSQL. It starts with `begin_change`:
//! the server says who writes and when (the transaction's own time, which
//! dates every change in it outside trust mode, so the engine computes
//! each record at the instant the server records it), and takes the event
//! log's head for the rest of the transaction, so writers take turns as
//! under SQLite's `BEGIN IMMEDIATE` and what one reads is what it writes
//! over. Each change goes to `write_change` as what the user asked for
//! plus the engine's record: the server judges it by the pipeline's rules,
//! writes the record, and numbers, dates and seals its event itself.

use super::bulk::Staged;
use super::chain::{event_args, record_json};
use super::prepared::Prepared;
use super::rows;
use crate::db::Tx;
use crate::events::NewEvent;
use crate::in_use::InUse;
use crate::pipelines::StoredPipeline;
use crate::team::Member;
use crate::{Result, StoreError};
use carequeue_core::engine::Record;
use carequeue_core::engine::retime::Stay;
use carequeue_core::log::EventKind;
use postgres::types::ToSql;

pub struct PgTx<'c> {
    tx: postgres::Transaction<'c>,
    prepared: &'c Prepared,
    /// The server's time for this transaction (its start), which dates
    /// every change in it; None in a trust-mode database, whose clients
    /// date their own.
    dated: Option<i64>,
    /// An import's new records and events, sent by COPY (after `bulk_load`).
    staged: Option<Staged>,
}

impl<'c> PgTx<'c> {
    pub fn begin(
        mut tx: postgres::Transaction<'c>,
        prepared: &'c Prepared,
        trust: bool,
    ) -> Result<PgTx<'c>> {
        // Who writes, and when, with the log's head taken, in one round trip.
        let st = prepared.get(&mut tx, "SELECT actor, at FROM begin_change()")?;
        let row = tx.query_one(&st, &[])?;
        // A login linked to no enabled user is refused here, before
        // anything is decided.
        let _actor: String = row.try_get(0)?;
        Ok(PgTx {
            dated: if trust { None } else { Some(row.try_get(1)?) },
            tx,
            prepared,
            staged: None,
        })
    }

    /// `sql`, prepared once per session.
    fn st(&mut self, sql: &str) -> Result<postgres::Statement> {
        self.prepared.get(&mut self.tx, sql)
    }

    /// Refuses to go on if the pipeline in force is no longer `expected`.
    pub fn check_pipeline(&mut self, expected: &str) -> Result<()> {
        let st = self.st(rows::CURRENT_PIPELINE)?;
        let row = self.tx.query_opt(&st, &[])?;
        match row {
            Some(r) if r.try_get::<_, String>(1)? == expected => Ok(()),
            Some(r) => Err(StoreError::PipelineChanged {
                version: r.try_get(0)?,
            }),
            None => Err(StoreError::PipelineChanged { version: 0 }),
        }
    }

    /// Writes what is staged: every check the server makes has run after.
    pub fn finish(&mut self) -> Result<()> {
        match self.staged.take() {
            Some(s) => s.finish(&mut self.tx),
            None => Ok(()),
        }
    }

    /// Settles the stays of the records this transaction wrote about.
    pub fn settle_stays(&mut self, p: &carequeue_core::domain::Pipeline, key: &str) -> Result<()> {
        super::stays::settle(&mut self.tx, self.prepared, p, key)
    }

    pub fn commit(mut self) -> Result<()> {
        self.finish()?;
        self.tx.commit().map_err(StoreError::from)
    }
}

impl Tx for PgTx<'_> {
    fn op_seen(&mut self, op: &str) -> Result<Option<i64>> {
        let st = self.st("SELECT coalesce(record_id, 0) FROM events WHERE op_id = $1")?;
        let row = self.tx.query_opt(&st, &[&op])?;
        row.map(|r| r.try_get(0).map_err(StoreError::from))
            .transpose()
    }

    fn op_kind(&mut self, op: &str) -> Result<Option<(i64, crate::events::StoredKind)>> {
        let st = self.st("SELECT coalesce(record_id, 0), kind FROM events WHERE op_id = $1")?;
        let row = self.tx.query_opt(&st, &[&op])?;
        row.map(|r| -> Result<_> {
            let kind: String = r.try_get(1)?;
            Ok((r.try_get(0)?, kind.into()))
        })
        .transpose()
    }

    fn exists(&mut self, id: i64) -> Result<bool> {
        let st = self.st("SELECT EXISTS (SELECT 1 FROM records WHERE id = $1)")?;
        Ok(self.tx.query_one(&st, &[&id])?.try_get(0)?)
    }

    fn load(&mut self, id: i64) -> Result<Record> {
        let st = self.st(&rows::load_sql())?;
        self.tx
            .query_opt(&st, &[&id])?
            .map(|r| rows::record(&r))
            .ok_or(StoreError::NoRecord(id))?
    }

    fn save(&mut self, cur: Option<&Record>, next: &mut Record, e: &NewEvent) -> Result<()> {
        if self.staged.is_some() {
            return self.stage(cur, next, e);
        }
        let expected = match cur {
            Some(cur) => {
                next.version = cur.version + 1;
                cur.version
            }
            None => {
                // The server gives a new record the next id, under the
                // log's lock, so no other writer takes it.
                next.id = 0;
                next.version = 1;
                0
            }
        };
        let mut e = e.clone();
        e.record_id = (next.id > 0).then_some(next.id);
        // The sweep's timers and escalations are the system's; a rename
        // is `pipeline apply`'s (admins); everything else is the session's
        // own user's. The server decides either way.
        let write = if e.actor == carequeue_core::engine::SYSTEM {
            "write_system_change"
        } else if e.kind == EventKind::Rename {
            "write_admin_change"
        } else {
            "write_change"
        };
        let json = record_json(next).to_string();
        let st = self.st(&format!(
            "SELECT record_id, event_id FROM {write}($1::text::jsonb, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))?;
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&json, &expected];
        args.extend(event_args(&e));
        let row = self.tx.query_one(&st, &args).map_err(|x| {
            if super::error::is_stale(&x) {
                StoreError::Stale {
                    id: next.id,
                    expected,
                    actual: None,
                }
            } else {
                x.into()
            }
        })?;
        let (record, event): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if event < 0 {
            return Err(StoreError::Server(format!(
                "operation id was already applied (event {})",
                -event
            )));
        }
        next.id = record;
        Ok(())
    }

    fn member(&mut self, name: &str) -> Result<Option<Member>> {
        self.member_where("name", name)
    }

    fn member_by_login(&mut self, login: &str) -> Result<Option<Member>> {
        self.member_where("login", login)
    }

    fn members(&mut self) -> Result<Vec<Member>> {
        let sql = format!(
            "SELECT {} FROM users ORDER BY name COLLATE \"C\"",
            rows::MEMBER
        );
        let found = self.tx.query(&sql, &[])?;
        found.iter().map(rows::member).collect()
    }

    fn save_user(&mut self, _actor: &str, m: &Member, _admin: bool, at: i64) -> Result<()> {
        // The server links the login's roles by the pipeline's rules, and
        // dates the user's creation itself.
        let data = serde_json::to_string(m).unwrap_or_default();
        self.tx.query_one(
            "SELECT write_user($1, $2, $3, $4, $5, $6)",
            &[
                &m.name,
                &m.roles.join(" "),
                &m.login,
                &m.enabled,
                &at,
                &data,
            ],
        )?;
        Ok(())
    }

    fn append(&mut self, e: &NewEvent) -> Result<()> {
        match self.staged.as_mut() {
            Some(_) => self.stage_event(e),
            None => Err(StoreError::Refused(
                "on PostgreSQL an event without its change is written only by an import".into(),
            )),
        }
    }

    fn dated(&self) -> Option<i64> {
        self.dated
    }

    fn imports_in_bulk(&self) -> bool {
        true
    }

    fn bulk_load(&mut self, _rows: i64) -> Result<()> {
        // New records and their events go by COPY from here on.
        if self.staged.is_none() {
            self.staged = Some(super::bulk::begin(&mut self.tx)?);
        }
        Ok(())
    }

    fn in_use(&mut self) -> &mut dyn InUse {
        &mut self.tx
    }

    fn current_pipeline(&mut self) -> Result<Option<StoredPipeline>> {
        let st = self.st(rows::CURRENT_PIPELINE)?;
        let row = self.tx.query_opt(&st, &[])?;
        row.map(|r| rows::pipeline(&r)).transpose()
    }

    fn ids_in_stage(&mut self, stage: &str) -> Result<Vec<i64>> {
        let found = self.tx.query(
            "SELECT id FROM records WHERE stage = $1 ORDER BY id",
            &[&stage],
        )?;
        found
            .iter()
            .map(|r| r.try_get(0).map_err(StoreError::from))
            .collect()
    }

    fn stay(&mut self, r: &Record) -> Result<Stay> {
        // The marks after the last event that entered a stage (as on SQLite).
        let found = self.tx.query(
            "SELECT at, kind FROM events WHERE record_id = $1 AND kind IN ('pause', 'resume')
                   AND id > (SELECT coalesce(max(id), 0) FROM events WHERE record_id = $1
                             AND kind IN ('create', 'transition', 'timer', 'override'))
                 ORDER BY id",
            &[&r.id],
        )?;
        let marks = found
            .iter()
            .map(|row| {
                let kind: &str = row.try_get(1)?;
                let kind: EventKind = kind.parse()?;
                Ok((row.try_get(0)?, kind == EventKind::Pause))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Stay { marks })
    }

    fn rewrite_clock(&mut self, _old: &Record, r: &Record) -> Result<()> {
        let sort_due = carequeue_core::engine::sla::ClockState::of(r).sort_due();
        self.tx.execute(
            "SELECT retime_record($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &r.id,
                &r.due_at,
                &r.warn_at,
                &r.paused_since,
                &r.paused_left,
                &sort_due,
                &r.timer_at,
                &r.owner_role,
                &r.notify_role,
                &r.warning_at,
            ],
        )?;
        Ok(())
    }

    fn rename_role_in_records(&mut self, old: &str, new: &str) -> Result<()> {
        self.tx
            .execute("SELECT rename_role($1, $2)", &[&old, &new])?;
        Ok(())
    }

    fn store_pipeline(
        &mut self,
        _actor: &str,
        how: &str,
        text: &str,
        at: i64,
        log_readers: &[String],
    ) -> Result<i64> {
        let version = self.current_pipeline()?.map_or(1, |p| p.version + 1);
        let (kind, hash, data) = crate::pipelines::pipeline_event(version, how, text);
        let rules = super::rules::of_text(version, text)?.to_string();
        let version32 = i32::try_from(version)
            .map_err(|_| StoreError::Server(format!("pipeline version {version}")))?;
        self.tx.query_one(
            "SELECT store_pipeline($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)",
            &[
                &version32,
                &hash,
                &text,
                &at,
                &kind.as_str(),
                &data,
                &log_readers.join(" "),
                &rules,
            ],
        )?;
        Ok(version)
    }

    fn index_fields(&mut self, _fields: &[&str]) -> Result<()> {
        // The server plans its own; field filters read `fields` as json.
        Ok(())
    }

    fn initialised(&mut self) -> Result<bool> {
        // A server database is laid down whole (`init`, `migrate`): it holds
        // its first event from the start.
        Ok(true)
    }

    fn record_init(
        &mut self,
        _actor: &str,
        _trust: bool,
        _group: Option<&str>,
        _at: i64,
    ) -> Result<()> {
        Err(StoreError::Refused(
            "a PostgreSQL database's first events are made on SQLite and laid down whole (`init`, `migrate`)".into(),
        ))
    }

    fn record_ids(&mut self) -> Result<Vec<i64>> {
        let rows = self.tx.query("SELECT id FROM records ORDER BY id", &[])?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    fn mark_demo(&mut self, _pipeline: &str, _seed: u64, _generator: &str) -> Result<()> {
        Err(StoreError::Refused(
            "a demo on PostgreSQL is built on SQLite and laid down whole".into(),
        ))
    }

    fn held_by(&mut self, user: &str) -> Result<Vec<(i64, String)>> {
        let found = self.tx.query(
            "SELECT id, stage FROM records WHERE assignee = $1 ORDER BY id",
            &[&user],
        )?;
        found
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}

impl PgTx<'_> {
    /// A new record and its first event, staged for COPY.
    fn stage(&mut self, cur: Option<&Record>, next: &mut Record, e: &NewEvent) -> Result<()> {
        let Some(staged) = self.staged.as_mut() else {
            return Err(StoreError::Server("nothing is being staged".into()));
        };
        if cur.is_some() || e.op_id.is_some() {
            return Err(StoreError::Server(
                "a bulk load only creates records".into(),
            ));
        }
        staged.record(next);
        next.version = next.version.max(1);
        let mut e = e.clone();
        e.record_id = Some(next.id);
        self.stage_event(&e)
    }

    /// `e`, staged: the server numbers and seals it at `import_finish`.
    fn stage_event(&mut self, e: &NewEvent) -> Result<()> {
        let Some(staged) = self.staged.as_mut() else {
            return Err(StoreError::Server("nothing is being staged".into()));
        };
        staged.event(e)?;
        staged.send(&mut self.tx, false)
    }

    fn member_where(&mut self, column: &str, value: &str) -> Result<Option<Member>> {
        let st = self.st(&format!(
            "SELECT {} FROM users WHERE {column} = $1",
            rows::MEMBER
        ))?;
        let row = self.tx.query_opt(&st, &[&value])?;
        row.map(|r| rows::member(&r)).transpose()
    }
}
