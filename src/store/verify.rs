//! `verify`: SQLite's own checks, the event log's hash chain (including its
//! recorded head and length, so truncation shows), and that every record
//! equals the replay of its events. Streams; never loads the log.
//!
//! Everything is read in one snapshot, so a writer appending while verify
//! runs cannot make the chain and its recorded head disagree.

use super::events::{EventRow, GENESIS};
use super::users::{self, Member};
use super::{Result, Store, meta_get, records};
use super::{access, setup};
use crate::domain::Pipeline;
use crate::engine::Record;
use crate::engine::replay::{self, Step};
use rusqlite::{Connection, OptionalExtension};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events: i64,
    pub records: i64,
    pub users: i64,
    pub head: String,
    pub access_events: i64,
    pub access_head: String,
}

/// The first problem found, naming the event or record (never patient data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("integrity_check failed: {0}")]
    Integrity(String),
    #[error("foreign key check failed: a row of table {table} refers to a missing row of {parent}")]
    ForeignKey { table: String, parent: String },
    #[error("event {id}{}: {what}", of_record(*.record))]
    Event { id: i64, record: i64, what: String },
    #[error(
        "truncated: {recorded} events recorded, {present} present (events were cut off the end of the log)"
    )]
    Truncated { recorded: i64, present: i64 },
    #[error(
        "chain head mismatch: {recorded} events recorded, {present} present (events were added, or the recorded head edited, outside carequeue)"
    )]
    Head { recorded: i64, present: i64 },
    #[error("record {id}: its {what} does not match the replay of its events")]
    Record { id: i64, what: &'static str },
    #[error("user {name}: its {what} does not match the replay of the log")]
    User { name: String, what: &'static str },
    #[error("{0}")]
    Pipeline(String),
    #[error("{0}")]
    Access(String),
    #[error("{0}")]
    Trust(String),
    #[error(
        "the append-only trigger {0} is missing or altered: the log could be rewritten in place"
    )]
    Trigger(&'static str),
    #[error("record {0} has no events")]
    NoEvents(i64),
    #[error("events for record {0}, which does not exist")]
    Orphan(i64),
    #[error(
        "stage {stage}: the kept counts say {kept_total} records ({kept_unassigned} unassigned) but {total} ({unassigned} unassigned) are there"
    )]
    Counts {
        stage: String,
        kept_total: i64,
        kept_unassigned: i64,
        total: i64,
        unassigned: i64,
    },
}

fn of_record(r: i64) -> String {
    if r > 0 {
        format!(" (record {r})")
    } else {
        String::new()
    }
}

type Checked<T> = Result<std::result::Result<T, Problem>>;

/// Runs every check in order and stops at the first problem.
pub fn verify(p: &Pipeline, store: &Store) -> Checked<VerifyReport> {
    let conn = store.conn();
    // A deferred read transaction: one snapshot for all the checks. Dropped
    // (rolled back) at the end; verify writes nothing.
    let snapshot = conn.unchecked_transaction()?;
    if let Err(problem) = sqlite_checks(conn)? {
        return Ok(Err(problem));
    }
    let (count, head) = match chain(conn)? {
        Ok(tail) => tail,
        Err(problem) => return Ok(Err(problem)),
    };
    if let Err(problem) = triggers(conn)? {
        return Ok(Err(problem));
    }
    if let Err(problem) = trust(conn)? {
        return Ok(Err(problem));
    }
    let records = match replay_all(p, conn)? {
        Ok(n) => n,
        Err(problem) => return Ok(Err(problem)),
    };
    let (access_events, access_head) = match access::walk(conn)? {
        Ok(x) => x,
        Err(what) => return Ok(Err(Problem::Access(what))),
    };
    let users: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    drop(snapshot);
    Ok(Ok(VerifyReport {
        events: count,
        records,
        users,
        head,
        access_events,
        access_head,
    }))
}

/// The triggers that keep both logs append-only.
fn triggers(conn: &Connection) -> Checked<()> {
    for (name, table) in [
        ("events_no_update", "events"),
        ("events_no_delete", "events"),
        ("access_no_update", "access_log"),
        ("access_no_delete", "access_log"),
    ] {
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1 AND tbl_name = ?2",
                [name, table],
                |r| r.get(0),
            )
            .optional()?;
        let verb = if name.ends_with("update") {
            "UPDATE"
        } else {
            "DELETE"
        };
        let ok = sql.is_some_and(|s| {
            let s = s.to_ascii_uppercase();
            s.contains(&format!("BEFORE {verb} ON")) && s.contains("RAISE(ABORT")
        });
        if !ok {
            return Ok(Err(Problem::Trigger(name)));
        }
    }
    Ok(Ok(()))
}

/// The trust mode in `meta` is the one the `init` event fixed.
fn trust(conn: &Connection) -> Checked<()> {
    let mut st = conn.prepare("SELECT id, data FROM events WHERE kind = 'init' ORDER BY id")?;
    let inits: Vec<(i64, Option<String>)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let logged = match inits.as_slice() {
        [] => {
            return Ok(Err(Problem::Trust(
                "no init event fixes the trust mode".into(),
            )));
        }
        [(_, data)] => data
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .and_then(|d| d["trust"].as_bool()),
        [_, (id, _), ..] => {
            return Ok(Err(Problem::Trust(format!(
                "event {id} is a second init event: the trust mode is fixed once"
            ))));
        }
    };
    if logged != Some(setup::trust_mode(conn)?) {
        return Ok(Err(Problem::Trust(
            "the trust mode recorded in the database is not the one its init event fixed".into(),
        )));
    }
    Ok(Ok(()))
}

/// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`.
fn sqlite_checks(conn: &Connection) -> Checked<()> {
    let ic: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ic != "ok" {
        return Ok(Err(Problem::Integrity(ic)));
    }
    let mut st = conn.prepare("PRAGMA foreign_key_check")?;
    let mut rows = st.query([])?;
    if let Some(r) = rows.next()? {
        // (table, rowid, parent, fkid): names only, never the row's values.
        return Ok(Err(Problem::ForeignKey {
            table: r.get(0)?,
            parent: r.get(2)?,
        }));
    }
    Ok(Ok(()))
}

/// The hash chain in id order, then its recorded length and head. Returns
/// the number of events and the last hash.
fn chain(conn: &Connection) -> Checked<(i64, String)> {
    let mut prev = GENESIS.to_string();
    let mut count = 0i64;
    // Ids are handed out one after another from 1, so a gap is a removal.
    let mut next_id = 1i64;
    let mut st = conn.prepare(&format!(
        "SELECT {} FROM events ORDER BY id",
        EventRow::COLUMNS
    ))?;
    let mut rows = st.query([])?;
    while let Some(row) = rows.next()? {
        let e = EventRow::from_row(row)?;
        let what = if e.id != next_id {
            Some(
                "its link to the previous event is broken (an event before it was removed, reordered or altered)",
            )
        } else if e.expected_hash(&prev) != e.hash {
            Some("hash does not match its content (the event was altered)")
        } else {
            None
        };
        if let Some(what) = what {
            return Ok(Err(Problem::Event {
                id: e.id,
                record: e.record_id.unwrap_or(0),
                what: what.to_string(),
            }));
        }
        prev = e.hash;
        count += 1;
        next_id = e.id + 1;
    }
    let recorded: i64 = meta_get(conn, "chain_count")?
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let head = meta_get(conn, "chain_head")?.unwrap_or_else(|| GENESIS.to_string());
    if recorded > count {
        return Ok(Err(Problem::Truncated {
            recorded,
            present: count,
        }));
    }
    if recorded != count || head != prev {
        return Ok(Err(Problem::Head {
            recorded,
            present: count,
        }));
    }
    Ok(Ok((count, prev)))
}

/// The pipelines the log ran under, each with the id of the event that
/// put it in force.
struct Versions(Vec<(i64, Pipeline)>);

impl Versions {
    fn load(
        conn: &Connection,
        current: &Pipeline,
    ) -> Result<std::result::Result<Versions, Problem>> {
        let mut out = Vec::new();
        for v in setup::pipeline_versions(conn)? {
            if setup::pipeline_hash(&v.text) != v.hash {
                return Ok(Err(Problem::Pipeline(format!(
                    "pipeline version {} does not match its recorded hash (its text was edited)",
                    v.version
                ))));
            }
            let logged: Option<String> = conn
                .query_row(
                    "SELECT data FROM events WHERE id = ?1 AND kind = 'pipeline'",
                    [v.event_id],
                    |r| r.get(0),
                )
                .optional()?;
            let logged_hash = logged
                .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                .and_then(|d| d["hash"].as_str().map(str::to_string));
            if logged_hash.as_deref() != Some(v.hash.as_str()) {
                return Ok(Err(Problem::Pipeline(format!(
                    "pipeline version {} is not the one event {} logged",
                    v.version, v.event_id
                ))));
            }
            match crate::domain::check(&v.text).pipeline {
                Some(p) => out.push((v.event_id, p)),
                None => {
                    return Ok(Err(Problem::Pipeline(format!(
                        "pipeline version {} no longer passes its checks",
                        v.version
                    ))));
                }
            }
        }
        let _ = current;
        Ok(Ok(Versions(out)))
    }

    /// The pipeline in force for event `id`: the last put in force before
    /// it (events from before the first stored pipeline use the first).
    fn at<'a>(&'a self, id: i64, fallback: &'a Pipeline) -> &'a Pipeline {
        let i = self.0.partition_point(|(e, _)| *e < id);
        match i {
            0 => self.0.first().map_or(fallback, |(_, p)| p),
            i => &self.0[i - 1].1,
        }
    }

    /// The id of the first pipeline event: permission checks start there.
    fn first_event(&self) -> i64 {
        self.0.first().map_or(i64::MAX, |(e, _)| *e)
    }
}

/// Each user's roles over time, from the `user` events.
#[derive(Default)]
struct Roles(BTreeMap<String, Vec<(i64, Vec<String>)>>);

impl Roles {
    fn held(&self, name: &str, id: i64) -> Option<&[String]> {
        let h = self.0.get(name)?;
        let i = h.partition_point(|(e, _)| *e < id);
        (i > 0).then(|| h[i - 1].1.as_slice())
    }
}

/// The users table against the replay of the `user` events; returns each
/// user's roles over time for the transition checks.
fn replay_users(conn: &Connection) -> Checked<Roles> {
    let mut st =
        conn.prepare("SELECT id, at, to_stage, data FROM events WHERE kind = 'user' ORDER BY id")?;
    let mut rows = st.query([])?;
    let mut state: BTreeMap<String, Member> = BTreeMap::new();
    let mut roles = Roles::default();
    while let Some(r) = rows.next()? {
        let (id, at): (i64, i64) = (r.get(0)?, r.get(1)?);
        let name: Option<String> = r.get(2)?;
        let data: Option<String> = r.get(3)?;
        let Some(mut m) = data.and_then(|d| serde_json::from_str::<Member>(&d).ok()) else {
            return Ok(Err(Problem::Event {
                id,
                record: 0,
                what: "a user event that cannot be read".into(),
            }));
        };
        if name.as_deref() != Some(m.name.as_str()) {
            return Ok(Err(Problem::Event {
                id,
                record: 0,
                what: "a user event that names two users".into(),
            }));
        }
        m.created_at = state.get(&m.name).map_or(at, |old| old.created_at);
        roles
            .0
            .entry(m.name.clone())
            .or_default()
            .push((id, m.roles.clone()));
        state.insert(m.name.clone(), m);
    }
    let stored = users::members(conn)?;
    for u in &stored {
        match state.remove(&u.name) {
            None => {
                return Ok(Err(Problem::User {
                    name: u.name.clone(),
                    what: "no event created this user",
                }));
            }
            Some(m) => {
                let what = if m.roles != u.roles {
                    Some("roles")
                } else if m.login != u.login {
                    Some("login")
                } else if m.enabled != u.enabled {
                    Some("enabled flag")
                } else if m.created_at != u.created_at {
                    Some("created-at")
                } else {
                    None
                };
                if let Some(what) = what {
                    return Ok(Err(Problem::User {
                        name: u.name.clone(),
                        what,
                    }));
                }
            }
        }
    }
    if let Some(name) = state.into_keys().next() {
        return Ok(Err(Problem::User {
            name,
            what: "logged, but missing from the users table",
        }));
    }
    Ok(Ok(roles))
}

/// Whether the event `e` was allowed for its actor under `p`, with the
/// record in `before`. `None` if allowed, else why not.
fn not_allowed(p: &Pipeline, roles: &Roles, e: &Ev, before: &Record) -> Option<String> {
    let system = e.actor == crate::ops::SYSTEM;
    let machine_kind = matches!(e.kind.as_str(), "timer" | "escalation");
    if system != machine_kind {
        return Some(if system {
            format!(
                "`{}` by the system actor, which only fires timers and escalations",
                e.kind
            )
        } else {
            format!(
                "a `{}` by `{}`, but only the system fires those",
                e.kind, e.actor
            )
        });
    }
    let held = if system {
        &[][..]
    } else {
        match roles.held(&e.actor, e.id) {
            Some(r) => r,
            None => return Some(format!("by `{}`, who was not a user then", e.actor)),
        }
    };
    if !matches!(e.kind.as_str(), "transition" | "override" | "timer") {
        return None;
    }
    let event = e.event.as_deref().unwrap_or_default();
    let Some(tix) = p.transition_ix(event) else {
        return Some(format!(
            "event `{event}` is not in the pipeline in force then"
        ));
    };
    let t = p.transition(tix);
    let valid_from = p
        .stage_ix(&before.stage)
        .is_some_and(|s| t.from.contains(&s));
    if !valid_from {
        return Some(format!(
            "event `{event}` is not valid from stage `{}`",
            before.stage
        ));
    }
    if system {
        return None;
    }
    let may = t
        .roles
        .iter()
        .any(|r| held.iter().any(|h| *h == p.role(*r).id));
    if !may {
        return Some(format!(
            "`{}` (roles: {}) may not fire `{event}` under the pipeline in force then",
            e.actor,
            if held.is_empty() {
                "none".to_string()
            } else {
                held.join(", ")
            }
        ));
    }
    if e.kind == "override" && !p.roles.iter().any(|r| r.supervises && held.contains(&r.id)) {
        return Some(format!(
            "an override by `{}`, who holds no supervising role",
            e.actor
        ));
    }
    None
}

/// Every record against the replay of its events: two ordered scans (records
/// by id, events by record then id) merged. Returns the number of records.
fn replay_all(p: &Pipeline, conn: &Connection) -> Checked<i64> {
    let versions = match Versions::load(conn, p)? {
        Ok(v) => v,
        Err(problem) => return Ok(Err(problem)),
    };
    let roles = match replay_users(conn)? {
        Ok(r) => r,
        Err(problem) => return Ok(Err(problem)),
    };
    let checks_from = versions.first_event();
    let mut rec_st = conn.prepare(&format!(
        "SELECT {} FROM records ORDER BY id",
        records::COLUMNS
    ))?;
    let mut recs = rec_st.query([])?;
    let mut ev_st = conn.prepare(
        "SELECT id, record_id, at, actor, kind, event, to_stage, reason, data FROM events
         WHERE record_id IS NOT NULL ORDER BY record_id, id",
    )?;
    let mut evs = ev_st.query([])?;
    let mut pending = evs.next()?.map(ev_of).transpose()?;
    let mut n_records = 0i64;
    let mut tally: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    while let Some(row) = recs.next()? {
        let r = records::from_row(row)?;
        n_records += 1;
        let t = tally.entry(r.stage.clone()).or_default();
        t.0 += 1;
        t.1 += i64::from(r.assignee.is_none());
        let mut state = replay::empty(r.id);
        let mut seen = 0;
        while let Some(e) = pending.take() {
            if e.record < r.id {
                return Ok(Err(Problem::Orphan(e.record)));
            }
            if e.record > r.id {
                pending = Some(e);
                break;
            }
            let under = versions.at(e.id, p);
            if e.id > checks_from
                && let Some(what) = not_allowed(under, &roles, &e, &state)
            {
                return Ok(Err(Problem::Event {
                    id: e.id,
                    record: e.record,
                    what,
                }));
            }
            let step = Step {
                at: e.at,
                kind: &e.kind,
                to: e.to.as_deref(),
                reason: e.reason.as_deref(),
                data: e.data.as_deref(),
            };
            replay::apply(under, &mut state, &step);
            seen += 1;
            pending = evs.next()?.map(ev_of).transpose()?;
        }
        if seen == 0 {
            return Ok(Err(Problem::NoEvents(r.id)));
        }
        if let Some(what) = replay::difference(&r, &state) {
            return Ok(Err(Problem::Record { id: r.id, what }));
        }
    }
    if let Some(e) = pending {
        return Ok(Err(Problem::Orphan(e.record)));
    }
    if let Err(problem) = counts(conn, tally)? {
        return Ok(Err(problem));
    }
    Ok(Ok(n_records))
}

/// The per-stage counts the board reads (kept by triggers, or written by a
/// bulk load) against the records themselves.
fn counts(conn: &Connection, mut actual: BTreeMap<String, (i64, i64)>) -> Checked<()> {
    let mut st = conn.prepare("SELECT stage, total, unassigned FROM stage_counts")?;
    let kept: Vec<(String, i64, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut kept: BTreeMap<String, (i64, i64)> = kept
        .into_iter()
        .filter(|k| k.1 != 0 || k.2 != 0)
        .map(|(s, t, u)| (s, (t, u)))
        .collect();
    let stages: Vec<String> = kept.keys().chain(actual.keys()).cloned().collect();
    for stage in stages {
        let (kt, ku) = kept.remove(&stage).unwrap_or_default();
        let (t, u) = actual.remove(&stage).unwrap_or_default();
        if (kt, ku) != (t, u) {
            return Ok(Err(Problem::Counts {
                stage,
                kept_total: kt,
                kept_unassigned: ku,
                total: t,
                unassigned: u,
            }));
        }
    }
    Ok(Ok(()))
}

struct Ev {
    id: i64,
    record: i64,
    at: i64,
    actor: String,
    kind: String,
    event: Option<String>,
    to: Option<String>,
    reason: Option<String>,
    data: Option<String>,
}

fn ev_of(r: &rusqlite::Row) -> rusqlite::Result<Ev> {
    Ok(Ev {
        id: r.get(0)?,
        record: r.get(1)?,
        at: r.get(2)?,
        actor: r.get(3)?,
        kind: r.get(4)?,
        event: r.get(5)?,
        to: r.get(6)?,
        reason: r.get(7)?,
        data: r.get(8)?,
    })
}

/// The logs' counts and heads at one moment, to be kept outside the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub events: i64,
    pub head: String,
    pub access_events: i64,
    pub access_head: String,
    pub at: String,
}

/// The checkpoint of the logs as recorded now.
pub fn checkpoint(conn: &Connection, at: i64) -> Result<Checkpoint> {
    let count = |k: &str| -> Result<i64> {
        Ok(meta_get(conn, k)?.and_then(|c| c.parse().ok()).unwrap_or(0))
    };
    Ok(Checkpoint {
        events: count("chain_count")?,
        head: meta_get(conn, "chain_head")?.unwrap_or_else(|| GENESIS.to_string()),
        access_events: count("access_count")?,
        access_head: meta_get(conn, "access_head")?.unwrap_or_else(|| GENESIS.to_string()),
        at: chrono::DateTime::<chrono::Utc>::from_timestamp(at, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}
