//! The store as `ops` sees it: what an operation reads, and the one
//! transaction in which a change writes a record's state and its event
//! together. SQLite (`sqlite::Store`) and PostgreSQL (`pg::PgStore`)
//! implement it; nothing above the store names either one's types.

use crate::in_use::InUse;
use crate::pipelines::StoredPipeline;
use crate::team::Member;
use crate::{EventRow, ListFilter, NewEvent, Result, StoreError};
use carequeue_core::engine::Record;
use carequeue_core::engine::retime::Stay;

/// One write transaction: all of it lands, or none.
pub trait Tx {
    /// The record an operation id was already applied to (0 for an
    /// operation about no record), if it was.
    fn op_seen(&mut self, op: &str) -> Result<Option<i64>>;
    /// [`Tx::op_seen`] with the kind (its stored word) of the event the
    /// operation made, so a reused id on another kind of operation is told
    /// from a retry.
    fn op_kind(&mut self, op: &str) -> Result<Option<(i64, crate::events::StoredKind)>>;
    /// The record as it is now, inside this transaction.
    fn load(&mut self, id: i64) -> Result<Record>;
    /// Whether a record has id `id`, inside this transaction (reading no
    /// patient data: on PostgreSQL ids are open to every member).
    fn exists(&mut self, id: i64) -> Result<bool> {
        match self.load(id) {
            Ok(_) => Ok(true),
            Err(StoreError::NoRecord(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
    /// Stores `next` and appends its event `e`, together. `cur` is the
    /// state `next` was decided from (None for a new record, whose id is
    /// assigned here: `next.id` and `e.record_id` are set to it). A record
    /// no longer at `cur.version` is refused as stale. On return
    /// `next.version` is the stored version.
    fn save(&mut self, cur: Option<&Record>, next: &mut Record, e: &NewEvent) -> Result<()>;
    /// One user by name, enabled or not, inside this transaction.
    fn member(&mut self, name: &str) -> Result<Option<Member>>;
    fn member_by_login(&mut self, login: &str) -> Result<Option<Member>>;
    /// Every user, by name.
    fn members(&mut self) -> Result<Vec<Member>>;
    /// Writes `m` and its `user` event by `actor` (admins; on PostgreSQL
    /// the server checks, and links `m`'s login: the member role, and the
    /// admin role where `admin`).
    fn save_user(&mut self, actor: &str, m: &Member, admin: bool, at: i64) -> Result<()>;
    /// The records `user` holds, with their stages, by id.
    fn held_by(&mut self, user: &str) -> Result<Vec<(i64, String)>>;
    /// Appends `e` about a record already saved in this transaction,
    /// whose state it leaves as it is (an import's later events).
    fn append(&mut self, e: &NewEvent) -> Result<()>;
    /// The time the store dates this transaction's changes by, where that
    /// is the store's to decide (PostgreSQL outside trust mode: the
    /// server's clock, at the transaction's start); None: the caller's.
    /// A change is computed at this time, since it is recorded at it.
    fn dated(&self) -> Option<i64> {
        None
    }
    /// Whether an import's records go by the bulk path however few
    /// (PostgreSQL, whose server judges an import whole there).
    fn imports_in_bulk(&self) -> bool {
        false
    }
    /// About `rows` new records follow (a large load): the store may
    /// prepare for them (SQLite drops the secondary indexes when the load
    /// is not small beside what it holds, and rebuilds them before commit).
    fn bulk_load(&mut self, rows: i64) -> Result<()>;

    // What `pipeline apply` changes, inside its one transaction.
    /// What the records and the team hold of the pipeline, read here.
    fn in_use(&mut self) -> &mut dyn InUse;
    fn current_pipeline(&mut self) -> Result<Option<StoredPipeline>>;
    /// The ids of the records in `stage`, in id order.
    fn ids_in_stage(&mut self, stage: &str) -> Result<Vec<i64>>;
    /// The pauses and resumes of `r`'s current stay.
    fn stay(&mut self, r: &Record) -> Result<Stay>;
    /// Writes `r`'s clock, timer and escalation-role columns where they
    /// differ from `old`: no event, no new version (replay recomputes the
    /// same under the new pipeline).
    fn rewrite_clock(&mut self, old: &Record, r: &Record) -> Result<()>;
    /// Every record's owner and notified role `old` becomes `new`.
    fn rename_role_in_records(&mut self, old: &str, new: &str) -> Result<()>;
    /// Stores `text` as the next pipeline version, logged by `actor` (`how`:
    /// init, adopt or apply); `log_readers` the roles that may read the
    /// access log under it. Returns the version.
    fn store_pipeline(
        &mut self,
        actor: &str,
        how: &str,
        text: &str,
        at: i64,
        log_readers: &[String],
    ) -> Result<i64>;
    /// Indexes the pipeline's filterable fields (SQLite; the server plans
    /// its own).
    fn index_fields(&mut self, fields: &[&str]) -> Result<()>;

    // What `init` and `adopt` lay down, inside their one transaction.
    /// Whether the database's first event (its trust mode) was written.
    fn initialised(&mut self) -> Result<bool>;
    /// Writes the database's first event: its trust mode (and the group a
    /// shared file belongs to), fixed for good, by `actor`.
    fn record_init(&mut self, actor: &str, trust: bool, group: Option<&str>, at: i64)
    -> Result<()>;
    /// Every record's id, in order.
    fn record_ids(&mut self) -> Result<Vec<i64>>;
    /// Marks the database a demo (so `demo` may rebuild it), with what
    /// made it.
    fn mark_demo(&mut self, pipeline: &str, seed: u64, generator: &str) -> Result<()>;

    /// Appends new records with their whole histories, batch by batch
    /// until `next` has none: each record gets the next id, each event is
    /// sealed in the order given. A store may load them faster than one
    /// [`Tx::save`] each (SQLite seals on one thread while it inserts on
    /// another); the outcome is the same. Returns how many records.
    fn load_batches(&mut self, next: &mut (dyn FnMut() -> Option<Batch> + Send)) -> Result<i64> {
        let mut n = 0;
        while let Some(b) = next() {
            let mut ids: Vec<Option<i64>> = vec![None; b.records.len()];
            let mut records = b.records;
            for e in &b.events {
                let r = e.record;
                match ids.get(r).copied().flatten() {
                    Some(id) => self.append(&e.new_event(id))?,
                    None => {
                        let rec = records.get_mut(r).ok_or_else(|| {
                            StoreError::Broken(format!(
                                "a batch event names record {r} of {}",
                                ids.len()
                            ))
                        })?;
                        rec.id = 0;
                        self.save(None, rec, &e.new_event(0))?;
                        ids[r] = Some(rec.id);
                        n += 1;
                    }
                }
            }
        }
        Ok(n)
    }
}

/// New records and their events, for [`Tx::load_batches`]: each event
/// names its record by its place in `records`, whose state is the one its
/// last event left (the first event of each is its `create`).
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub records: Vec<Record>,
    /// In the order they are to be sealed.
    pub events: Vec<BatchEvent>,
}

/// One event of a [`Batch`].
#[derive(Debug, Clone)]
pub struct BatchEvent {
    /// Its record's place in the batch.
    pub record: usize,
    pub at: i64,
    pub actor: String,
    pub kind: carequeue_core::log::EventKind,
    pub event: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub data: Option<String>,
}

impl BatchEvent {
    /// As the log appends it, about record `id`.
    pub fn new_event(&self, id: i64) -> NewEvent<'_> {
        NewEvent {
            record_id: Some(id),
            at: self.at,
            actor: &self.actor,
            kind: self.kind,
            event: self.event.as_deref(),
            from: self.from.as_deref(),
            to: self.to.as_deref(),
            reason: self.reason.as_deref(),
            note: self.note.as_deref(),
            data: self.data.as_deref(),
            op_id: None,
        }
    }
}

/// A database, either kind.
pub trait Db {
    /// What to call it in messages: a path, or a URL without its password.
    fn label(&self) -> String;
    /// Which store it is, as `info` names it: `sqlite` or `postgres`.
    fn store_name(&self) -> &'static str;
    /// What a login is here, in words: an OS account, or a database login.
    fn login_noun(&self) -> &'static str;
    /// Opened for reading only (a file this process may not write).
    fn read_only(&self) -> bool;
    /// Read-only for its own owner, whose reads cannot be logged.
    fn reads_unlogged(&self) -> bool;
    /// Whether a read of patient data must be logged before it is made:
    /// on PostgreSQL the server lets a member's session read only what an
    /// access entry it committed earlier covers (SQLite logs after reading,
    /// so a failed read leaves no entry).
    fn logs_before_reading(&self) -> bool {
        false
    }
    /// Whether this session may already read `record` (with none, every
    /// record): no entry is needed (SQLite, PostgreSQL's schema owner), or
    /// one it logged covers it (a list, a console opened, a `show`, ...).
    fn reads_covered(&self, record: Option<i64>) -> bool {
        let _ = record;
        true
    }
    /// Whether `--as` and `--now` are honoured.
    fn trust_mode(&self) -> Result<bool>;
    /// Who this process is to the database: the OS account (SQLite) or the
    /// server login (PostgreSQL).
    fn login(&self) -> Result<String>;
    /// What to tell a login linked to no user.
    fn unlinked_hint(&self, login: &str) -> String;
    /// Acts as `m` from now on (trust mode): on PostgreSQL the session
    /// switches to `m`'s login, so the server's rules apply to it.
    fn act_as(&self, m: &Member) -> Result<()>;
    fn member(&self, name: &str) -> Result<Option<Member>>;
    fn member_by_login(&self, login: &str) -> Result<Option<Member>>;
    /// The first user made (`init`'s admin).
    fn first_user(&self) -> Result<Option<String>>;
    fn record(&self, id: i64) -> Result<Record>;
    /// The records of `ids` that exist, in no particular order: one read
    /// where the store can (the sweep judges its candidates on it).
    fn records(&self, ids: &[i64]) -> Result<Vec<Record>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.record(*id) {
                Ok(r) => out.push(r),
                Err(super::StoreError::NoRecord(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
    fn history(&self, id: i64) -> Result<Vec<EventRow>>;
    /// How many records `f` selects (ignoring its limit).
    fn count(&self, f: &ListFilter, now: i64) -> Result<i64>;
    /// Every record `f` selects (up to its limit), most urgent first, each
    /// handed over as it is read, from one snapshot.
    fn each_listed(
        &self,
        f: &ListFilter,
        now: i64,
        each: &mut dyn FnMut(Record) -> Result<()>,
    ) -> Result<()>;
    /// Holds one read snapshot while the guard lives, so several passes
    /// of [`Db::each_listed`] see the same rows (SQLite; on PostgreSQL each
    /// pass is one snapshot of its own).
    fn snapshot(&self) -> Result<Box<dyn Snapshot + '_>>;
    /// Appends one entry to the access log.
    fn log_read(
        &mut self,
        at: i64,
        actor: &str,
        action: carequeue_core::log::AccessAction,
        record: Option<i64>,
        detail: Option<&str>,
    ) -> Result<()>;
    /// Runs `f` in one write transaction; an error rolls it back.
    fn transact(&mut self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;
}

/// A read snapshot held open (see [`Db::snapshot`]).
pub trait Snapshot {}
impl Snapshot for () {}

/// Runs `f` in one write transaction of `db` and returns what it made. An
/// error of `f`'s own kind (an operation's refusal) rolls the transaction
/// back and comes back unchanged.
pub fn write<T, E: From<StoreError>>(
    db: &mut dyn Db,
    f: impl FnOnce(&mut dyn Tx) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let mut f = Some(f);
    let mut out: Option<std::result::Result<T, E>> = None;
    let ran = db.transact(&mut |tx| {
        let Some(f) = f.take() else {
            return Err(StoreError::Aborted);
        };
        match f(tx) {
            Ok(v) => {
                out = Some(Ok(v));
                Ok(())
            }
            Err(e) => {
                out = Some(Err(e));
                Err(StoreError::Aborted)
            }
        }
    });
    match (ran, out) {
        (Err(StoreError::Aborted), Some(Err(e))) => Err(e),
        (Ok(()), Some(Ok(v))) => Ok(v),
        (Err(e), _) => Err(e.into()),
        (Ok(()), _) => Err(StoreError::Aborted.into()),
    }
}
