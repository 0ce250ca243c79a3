//! The bare `postgres::Client` side of the PostgreSQL rows: the same
//! statements carequeue's store sends at schema step 3, prepared once,
//! with nothing of carequeue's between them. A session logs its read
//! first (`log_access('console-open', …)`, its own statement, as the
//! console does at start: the server opens patient data to a member only
//! under an entry committed before); a change is `begin_change()` (the
//! server's time, the log's head taken), the record read through
//! `record_rows`, then `write_change`, which judges, writes, and numbers,
//! dates and seals the event on the server. No client computes a hash:
//! the chain is checked after the run with carequeue's own re-read
//! (`store::pg::chain::check`), as the schema's owner.

use super::pg_server::Server;
use carequeue::engine::Record;
use carequeue::engine::sla::ClockState;
use postgres::Statement;
use std::time::{Duration, Instant};

/// The bench's database on the server.
pub const DB: &str = "cqbench";
/// The login every bench session connects as: it may `SET ROLE` to each
/// demo user's login (a trust-mode database, as in tests/conformance.rs).
pub const DRIVER: &str = "driver";

/// The access entry each bench session logs before it reads, as its own
/// statement (the console's at start: it opens every record to the
/// session while it lives).
pub const OPEN: &str = "SELECT log_access('console-open', NULL, 'bench')";

/// A change as `write_change` takes it: the record's next state as the
/// schema's `records` row (JSON) and its event's content. The server
/// decides the actor, the event's id and its hash.
pub struct Change {
    pub json: String,
    pub kind: String,
    pub event: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub data: Option<String>,
}

/// A record's columns as the schema's `records` row, as the store sends
/// them to `write_change` (store::pg::chain::record_json).
pub fn record_json(r: &Record) -> String {
    serde_json::json!({
        "id": r.id, "patient": r.patient, "stage": r.stage, "substatus": r.substatus,
        "assignee": r.assignee, "owner_role": r.owner_role, "entered_at": r.entered_at,
        "due_at": r.due_at, "warn_at": r.warn_at, "paused_since": r.paused_since,
        "paused_left": r.paused_left,
        "sort_due": ClockState::of(r).sort_due(),
        "escalation": r.escalation, "priority": r.priority, "breach_reason": r.breach_reason,
        "fields": serde_json::to_string(&r.fields).unwrap_or_else(|_| "{}".into()),
        "created_at": r.created_at, "updated_at": r.updated_at, "version": r.version,
        "timer_at": r.timer_at, "notify_role": r.notify_role,
    })
    .to_string()
}

/// A bare session acting as one demo user's login, its read logged.
pub struct Bare {
    pub c: postgres::Client,
    begin: Statement,
    write: Statement,
    load: Statement,
    read: Statement,
    /// A trust-mode database (a demo): its clients date their own
    /// changes, as carequeue does there (`PgTx::dated`).
    trust: bool,
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// How a bare change ended.
pub enum Outcome {
    Applied,
    /// The record moved past the expected version.
    Stale,
}

impl Bare {
    pub fn new(srv: &Server, login: &str) -> Bare {
        let mut c = srv.connect(DRIVER, DB);
        c.batch_execute(&format!(
            "SET search_path = carequeue, pg_temp; SET ROLE {}",
            quoted(login)
        ))
        .expect("bare session: SET ROLE");
        // Its own transaction: the grant serves the ones after it.
        c.query_one(OPEN, &[])
            .expect("bare session: log_access('console-open')");
        let begin = c
            .prepare("SELECT actor, at FROM begin_change()")
            .expect("prepare begin_change");
        let write = c
            .prepare(
                "SELECT record_id, event_id FROM write_change($1::text::jsonb, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .expect("prepare write_change");
        let load = c
            .prepare(
                "SELECT version, updated_at, to_jsonb(r)::text FROM record_rows(ARRAY[$1::bigint]) r",
            )
            .expect("prepare load");
        let read = c
            .prepare("SELECT * FROM record_rows(ARRAY[$1::bigint])")
            .expect("prepare read");
        let trust = c
            .query_opt("SELECT value FROM meta WHERE key = 'trust'", &[])
            .expect("bare session: the trust flag")
            .and_then(|r| r.try_get::<_, String>(0).ok())
            .is_some_and(|v| v == "true");
        Bare {
            c,
            begin,
            write,
            load,
            read,
            trust,
        }
    }

    /// One change to record `id`, decided at version `expected`: BEGIN,
    /// begin_change, the record's row (through record_rows), write_change,
    /// COMMIT. `decide` gets the time to date the change and the stored
    /// row as JSON, and returns what to send; it is carequeue's work, so
    /// its own time is left out of the duration returned. The time is the
    /// one begin_change returns (the server's), or in a trust-mode
    /// database `now`, the client's, as carequeue dates it there; never
    /// before the record's latest change. A record past `expected` is
    /// stale, rolled back.
    pub fn change(
        &mut self,
        id: i64,
        expected: i64,
        now: i64,
        decide: impl FnOnce(i64, &str) -> Result<Change, String>,
    ) -> Result<(Outcome, Duration), String> {
        let s = |x: postgres::Error| x.to_string();
        let t0 = Instant::now();
        let mut tx = self.c.transaction().map_err(s)?;
        let server: i64 = tx
            .query_one(&self.begin, &[])
            .and_then(|r| r.try_get(1))
            .map_err(s)?;
        let row = tx
            .query_opt(&self.load, &[&id])
            .map_err(s)?
            .ok_or_else(|| format!("no record {id}"))?;
        let (version, latest, json): (i64, i64, String) = (
            row.try_get(0).map_err(s)?,
            row.try_get(1).map_err(s)?,
            row.try_get(2).map_err(s)?,
        );
        if version != expected {
            // Dropped: rolled back.
            return Ok((Outcome::Stale, t0.elapsed()));
        }
        let at = if self.trust { now } else { server }.max(latest);
        let d0 = Instant::now();
        let ch = decide(at, &json)?;
        let deciding = d0.elapsed();
        let wrote = tx.query_one(
            &self.write,
            &[
                &ch.json, &expected, &at, &ch.kind, &ch.event, &ch.from, &ch.to, &ch.reason,
                &ch.note, &ch.data, &NO_OP_ID,
            ],
        );
        match wrote {
            Ok(_) => {
                tx.commit().map_err(s)?;
                Ok((Outcome::Applied, t0.elapsed().saturating_sub(deciding)))
            }
            Err(x) if x.code().map(|c| c.code()) == Some("CQ409") => {
                Ok((Outcome::Stale, t0.elapsed()))
            }
            Err(x) => Err(x.to_string()),
        }
    }

    /// The record as carequeue reads it by id: its version.
    pub fn version(&mut self, id: i64) -> Result<i64, String> {
        self.c
            .query_one(&self.read, &[&id])
            .and_then(|r| r.try_get("version"))
            .map_err(|x| x.to_string())
    }

    /// A note on record `id`, decided at version `expected`: the stored
    /// row a version on, dated as [`Bare::change`] dates it.
    pub fn note(
        &mut self,
        id: i64,
        expected: i64,
        now: i64,
        text: &str,
    ) -> Result<Outcome, String> {
        self.change(id, expected, now, |at, json| {
            let mut next: serde_json::Value =
                serde_json::from_str(json).map_err(|e| format!("record {id} as JSON: {e}"))?;
            next["version"] = (expected + 1).into();
            next["updated_at"] = at.into();
            Ok(Change {
                json: next.to_string(),
                kind: "note".into(),
                event: None,
                from: None,
                to: None,
                reason: None,
                note: Some(text.into()),
                data: None,
            })
        })
        .map(|(o, _)| o)
    }
}

const NO_OP_ID: Option<&str> = None;
