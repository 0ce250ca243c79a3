//! The store on PostgreSQL: one session, its identity the server's (the
//! login, or in a trust-mode database the login `act_as` switched to with
//! `SET ROLE`). Reads are plain queries the member role may make; every
//! write goes through the schema's `SECURITY DEFINER` functions.

use super::conninfo::{self, ConnInfo};
use super::prepared::Prepared;
use super::query::{self, refs};
use super::rows;
use super::tx::PgTx;
use crate::db::{Db, Tx};
use crate::team::Member;
use crate::{EventRow, ListFilter, Result, StoreError};
use carequeue_core::engine::Record;
use carequeue_core::log::{AccessAction, Grant};
use postgres::Row;
use postgres::types::ToSql;
use std::cell::RefCell;

pub struct PgStore {
    pub(super) client: RefCell<postgres::Client>,
    /// The session's prepared statements.
    prepared: Prepared,
    /// The last breach groups read, with the time and the chain's length
    /// they were read at: the board's counts and its breach panel ask for
    /// the same groups one after the other.
    pub(super) groups_memo: RefCell<Option<super::counts::Memo>>,
    /// Where it connects: a lost session is opened again from these.
    info: ConnInfo,
    /// The login `act_as` switched to, switched to again on a new session.
    acting: RefCell<Option<String>>,
    /// While set, every write runs whole and is then rolled back.
    dry_run: bool,
    label: String,
    trust: bool,
    /// The pipeline the caller decided under: each write checks it is
    /// still the one in force, inside its own transaction.
    expected_pipeline: Option<String>,
    /// What tells a console of other people's commits, once it listens
    /// (on this same session).
    pub(super) live: RefCell<Option<super::live::Live>>,
    /// Whether the login owns the schema (and reads every table).
    owner: bool,
    /// The access entry that opened every record to this session, logged
    /// again (as a reopening) when a lost session is replaced.
    reading: RefCell<Option<(AccessAction, Option<String>)>>,
    /// The records entries of this session opened one by one.
    records_opened: RefCell<std::collections::HashSet<i64>>,
    /// The stored pipeline the stays are settled under, and its key.
    pub(super) stays: super::stays::Shared,
}

impl PgStore {
    /// Connects to `url` (with the libpq environment and password file)
    /// and sets the session up.
    pub fn open(url: &str) -> Result<PgStore> {
        let info = conninfo::parse(url, &conninfo::ProcessEnv)
            .map_err(|e| StoreError::Server(format!("--db: {e}")))?;
        PgStore::connect(&info)
    }

    pub fn connect(info: &ConnInfo) -> Result<PgStore> {
        let mut c = super::connect(info)?;
        super::schema::session(&mut c)?;
        let trust: Option<String> =
            match c.query_opt("SELECT value FROM meta WHERE key = 'trust'", &[]) {
                Ok(row) => row.map(|r| r.try_get(0)).transpose()?,
                Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => {
                    return Err(no_schema(&mut c, info));
                }
                Err(e) => return Err(e.into()),
            };
        super::schema::upgrade(&mut c)?;
        let owner = super::schema::owns(&mut c)?;
        let host = info
            .hosts
            .iter()
            .map(|h| format!("{}:{}", h.name, h.port))
            .collect::<Vec<_>>()
            .join(",");
        Ok(PgStore {
            client: RefCell::new(c),
            prepared: Prepared::default(),
            groups_memo: RefCell::new(None),
            info: info.clone(),
            acting: RefCell::new(None),
            dry_run: false,
            label: format!("postgres://{}@{host}/{}", info.user, info.dbname),
            trust: trust.as_deref() == Some("true"),
            expected_pipeline: None,
            live: RefCell::new(None),
            owner,
            reading: RefCell::new(None),
            records_opened: RefCell::default(),
            stays: None,
        })
    }

    pub fn expect_pipeline(&mut self, hash: Option<String>) {
        self.expected_pipeline = hash;
    }

    pub fn expected_pipeline(&self) -> Option<&str> {
        self.expected_pipeline.as_deref()
    }

    pub fn set_dry_run(&mut self, on: bool) {
        self.dry_run = on;
    }

    pub fn info(&self) -> &ConnInfo {
        &self.info
    }

    /// The session, opened again (as the same acting login) if the server
    /// closed it: after a restart or a failover the next request goes on
    /// by itself. The request that met the loss has failed already.
    pub(super) fn client(&self) -> Result<std::cell::RefMut<'_, postgres::Client>> {
        let mut c = self.client.borrow_mut();
        if c.is_closed() {
            let mut fresh = super::connect(&self.info)?;
            super::schema::session(&mut fresh)?;
            if let Some(login) = self.acting.borrow().as_deref() {
                fresh.batch_execute(&set_role(login))?;
            }
            // The server ended the old session's grants with it: the entry
            // that opened every record is logged again, as a reopening.
            if let Some((action, detail)) = self.reading.borrow().as_ref() {
                let detail = match detail {
                    Some(d) => format!("session reopened after a lost connection; {d}"),
                    None => "session reopened after a lost connection".to_string(),
                };
                fresh.query_one(
                    "SELECT log_access($1, NULL, $2)",
                    &[&action.as_str(), &detail],
                )?;
            }
            // A listening session listens again, and catches up.
            if let Some(live) = self.live.borrow_mut().as_mut() {
                live.resubscribe(&mut fresh)?;
            }
            *c = fresh;
            self.prepared.clear();
            // Records opened one by one are opened again when read again.
            self.records_opened.borrow_mut().clear();
        }
        Ok(c)
    }

    /// Whether the session is known to be lost (it is opened again on the
    /// next request).
    pub(super) fn client_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    /// The rows of `sql` (prepared once per session) with `args`.
    pub(super) fn rows(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let mut c = self.client()?;
        let st = self.prepared.get(&mut *c, sql)?;
        c.query(&st, args).map_err(StoreError::from)
    }

    /// The one row of `sql`, if any (prepared once per session).
    pub(super) fn row_opt(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let mut c = self.client()?;
        let st = self.prepared.get(&mut *c, sql)?;
        c.query_opt(&st, args).map_err(StoreError::from)
    }

    /// The one row of `sql` (prepared once per session).
    pub(super) fn row(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        let mut c = self.client()?;
        let st = self.prepared.get(&mut *c, sql)?;
        c.query_one(&st, args).map_err(StoreError::from)
    }

    /// A second session on the same database as the same acting login.
    pub fn reopen(&self) -> Result<PgStore> {
        let mut s = PgStore::connect(&self.info)?;
        if let Some(login) = self.acting.borrow().as_deref() {
            s.client.get_mut().batch_execute(&set_role(login))?;
            *s.acting.borrow_mut() = Some(login.to_string());
        }
        s.expected_pipeline = self.expected_pipeline.clone();
        s.stays = self.stays.clone();
        Ok(s)
    }

    /// The pipeline in force: its version, hash and text.
    pub fn current_pipeline(&self) -> Result<Option<crate::pipelines::StoredPipeline>> {
        let row = self.row_opt(rows::CURRENT_PIPELINE, &[])?;
        row.map(|r| rows::pipeline(&r)).transpose()
    }

    fn members_where(&self, column: &str, value: &str) -> Result<Option<Member>> {
        let sql = format!("SELECT {} FROM users WHERE {column} = $1", rows::MEMBER);
        let row = self.row_opt(&sql, &[&value])?;
        row.map(|r| rows::member(&r)).transpose()
    }
}

/// Why a session finds no `carequeue.meta`: the database holds no
/// carequeue schema, or it does and this login may not use it (linked to
/// no user).
fn no_schema(c: &mut postgres::Client, info: &ConnInfo) -> StoreError {
    let there = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'carequeue'), session_user::text",
            &[],
        )
        .and_then(|r| Ok((r.try_get::<_, bool>(0)?, r.try_get::<_, String>(1)?)));
    let db = carequeue_core::text::shown(&info.dbname);
    match there {
        Ok((true, login)) => {
            let login = carequeue_core::text::shown(&login);
            StoreError::Denied(format!(
                "database login `{login}` is not linked to a carequeue user of database {db}; an admin links it with `carequeue user add NAME --role ROLE --login {login}`"
            ))
        }
        _ => StoreError::Server(format!(
            "database {db} holds no carequeue schema (create it with `carequeue init --db postgres://…` or `carequeue migrate`)"
        )),
    }
}

/// A read-only REPEATABLE READ transaction: every read in it sees one
/// snapshot.
pub(super) fn snapshot(c: &mut postgres::Client) -> Result<postgres::Transaction<'_>> {
    c.build_transaction()
        .read_only(true)
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .start()
        .map_err(StoreError::from)
}

/// `SET ROLE` to `login`, quoted.
fn set_role(login: &str) -> String {
    format!("SET ROLE \"{}\"", login.replace('"', "\"\""))
}

impl Db for PgStore {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn store_name(&self) -> &'static str {
        "postgres"
    }

    fn login_noun(&self) -> &'static str {
        "database login"
    }

    fn read_only(&self) -> bool {
        false
    }

    fn reads_unlogged(&self) -> bool {
        false
    }

    fn logs_before_reading(&self) -> bool {
        !self.owner
    }

    fn reads_covered(&self, record: Option<i64>) -> bool {
        self.owner
            || self.reading.borrow().is_some()
            || record.is_some_and(|id| self.records_opened.borrow().contains(&id))
    }

    fn trust_mode(&self) -> Result<bool> {
        Ok(self.trust)
    }

    fn login(&self) -> Result<String> {
        self.row("SELECT session_login()", &[])?
            .try_get(0)
            .map_err(StoreError::from)
    }

    fn unlinked_hint(&self, login: &str) -> String {
        format!(
            "database login `{login}` is linked to no carequeue user; an admin can link you with `carequeue user add NAME --role ROLE --login {login}`"
        )
    }

    fn act_as(&self, m: &Member) -> Result<()> {
        let Some(login) = m.login.as_deref().filter(|l| !l.is_empty()) else {
            return Err(StoreError::Server(format!(
                "user `{}` has no database login to act as",
                m.name
            )));
        };
        let mut c = self.client()?;
        // Its own login: nothing to switch (and SET ROLE would need it to
        // be a member of itself, which it is not).
        let me: String = c.query_one("SELECT session_user::text", &[])?.try_get(0)?;
        if me == login {
            return Ok(());
        }
        c.batch_execute(&set_role(login)).map_err(|e| {
            StoreError::Server(format!(
                "acting as `{}` (login {login}): {}",
                m.name,
                StoreError::from(e)
            ))
        })?;
        *self.acting.borrow_mut() = Some(login.to_string());
        Ok(())
    }

    fn member(&self, name: &str) -> Result<Option<Member>> {
        self.members_where("name", name)
    }

    fn member_by_login(&self, login: &str) -> Result<Option<Member>> {
        self.members_where("login", login)
    }

    fn first_user(&self) -> Result<Option<String>> {
        let row = self.client()?.query_opt(
            "SELECT to_stage FROM events WHERE kind = 'user' ORDER BY id LIMIT 1",
            &[],
        )?;
        Ok(row
            .map(|r| r.try_get::<_, Option<String>>(0))
            .transpose()?
            .flatten())
    }

    fn record(&self, id: i64) -> Result<Record> {
        self.row_opt(&rows::load_sql(), &[&id])?
            .map(|r| rows::record(&r))
            .ok_or(StoreError::NoRecord(id))?
    }

    fn records(&self, ids: &[i64]) -> Result<Vec<Record>> {
        // Read through the server, which checks each id against the
        // session's access entries (at most 10,000 at a time).
        let sql = format!("SELECT {} FROM record_rows($1)", query::columns());
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(10_000) {
            for r in self.rows(&sql, &[&chunk])? {
                out.push(rows::record(&r)?);
            }
        }
        Ok(out)
    }

    fn history(&self, id: i64) -> Result<Vec<EventRow>> {
        let sql = format!("SELECT {} FROM history_rows($1) ORDER BY id", rows::EVENT);
        let found = self.rows(&sql, &[&id])?;
        found.iter().map(rows::event).collect()
    }

    fn count(&self, f: &ListFilter, now: i64) -> Result<i64> {
        let mut n: i64 = match self.quick_count(f)? {
            Some(n) => n,
            None => {
                let (sql, args) = query::count_sql(f, now);
                self.row(&sql, &refs(&args))?.try_get(0)?
            }
        };
        if let Some(limit) = f.limit {
            n = n.min(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        Ok(n)
    }

    fn each_listed(
        &self,
        f: &ListFilter,
        now: i64,
        each: &mut dyn FnMut(Record) -> Result<()>,
    ) -> Result<()> {
        use postgres::fallible_iterator::FallibleIterator;
        let (sql, args) = query::select_sql(f, now);
        let mut c = self.client()?;
        // A portal inside one read-only snapshot: rows stream in as they
        // are read, memory does not grow with the count.
        let mut tx = snapshot(&mut c)?;
        {
            let mut it = tx.query_raw(sql.as_str(), refs(&args))?;
            while let Some(row) = it.next()? {
                each(rows::record(&row)?)?;
            }
        }
        tx.commit().map_err(StoreError::from)
    }

    fn snapshot(&self) -> Result<Box<dyn crate::db::Snapshot + '_>> {
        Ok(Box::new(()))
    }

    fn log_read(
        &mut self,
        at: i64,
        _actor: &str,
        action: carequeue_core::log::AccessAction,
        record: Option<i64>,
        detail: Option<&str>,
    ) -> Result<()> {
        // The server dates, seals and attributes the entry itself: `at`
        // (the real clock's, here) is for SQLite, which has no server.
        let _ = at;
        let mut c = self.client()?;
        let st = self
            .prepared
            .get(&mut *c, "SELECT log_access($1, $2, $3)")?;
        c.query_one(&st, &[&action.as_str(), &record, &detail])?;
        match action.grant(record) {
            Grant::Every => {
                *self.reading.borrow_mut() = Some((action, detail.map(str::to_string)));
            }
            Grant::Record => {
                if let Some(id) = record {
                    self.records_opened.borrow_mut().insert(id);
                }
            }
            Grant::Nothing if action == AccessAction::ConsoleClose => {
                *self.reading.borrow_mut() = None;
                self.records_opened.borrow_mut().clear();
            }
            Grant::Nothing => {}
        }
        Ok(())
    }

    fn transact(&mut self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let dry_run = self.dry_run;
        let mut c = self.client()?;
        let tx = c.transaction()?;
        let mut t = PgTx::begin(tx, &self.prepared, self.trust)?;
        if let Some(expected) = &self.expected_pipeline {
            t.check_pipeline(expected)?;
        }
        f(&mut t)?;
        t.finish()?;
        if let Some((p, key)) = &self.stays {
            t.settle_stays(p, key)?;
        }
        if dry_run {
            // Dropped unfinished: rolled back, after every check ran.
            return Ok(());
        }
        t.commit()
    }
}
