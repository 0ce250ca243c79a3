//! The bare `postgres::Client` side of the PostgreSQL rows: the same
//! statements carequeue's store sends (`lock_chain`, `write_change`, the
//! queue's SELECT), prepared once, with nothing of carequeue's between
//! them. Its events are sealed with carequeue's own hash (rewritten here:
//! the crate keeps `chain_hash` to itself), so the chain stays sound and
//! [`chain_check`] can re-hash every event the bench appended, both sides'.

use super::pg_server::Server;
use carequeue::engine::Record;
use carequeue::engine::sla::ClockState;
use postgres::Statement;
use sha2::{Digest, Sha256};

/// The bench's database on the server.
pub const DB: &str = "cqbench";
/// The login every bench session connects as: it may `SET ROLE` to each
/// demo user's login (a trust-mode database, as in tests/conformance.rs).
pub const DRIVER: &str = "driver";

const NONE: &str = "\u{0}";
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event as the hash reads it.
pub struct Ev<'a> {
    pub record: Option<i64>,
    pub at: i64,
    pub actor: &'a str,
    pub kind: &'a str,
    pub event: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub note: Option<&'a str>,
    pub data: Option<&'a str>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn prev_text(head: &[u8]) -> String {
    if head.is_empty() {
        GENESIS.to_string()
    } else {
        hex(head)
    }
}

/// carequeue's event hash (store::events::chain_hash): SHA-256 over the
/// previous hash as hex, then id, record id and time in decimal and each
/// text, every part length-prefixed; an absent value is `\0`.
pub fn seal(head: &[u8], id: i64, e: &Ev) -> [u8; 32] {
    fn part(buf: &mut Vec<u8>, b: &[u8]) {
        buf.extend_from_slice(&(b.len() as u64).to_le_bytes());
        buf.extend_from_slice(b);
    }
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(prev_text(head).as_bytes());
    part(&mut buf, id.to_string().as_bytes());
    match e.record {
        Some(r) => part(&mut buf, r.to_string().as_bytes()),
        None => part(&mut buf, NONE.as_bytes()),
    }
    part(&mut buf, e.at.to_string().as_bytes());
    for t in [
        Some(e.actor),
        Some(e.kind),
        e.event,
        e.from,
        e.to,
        e.reason,
        e.note,
        e.data,
    ] {
        part(&mut buf, t.unwrap_or(NONE).as_bytes());
    }
    Sha256::digest(&buf).into()
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

/// A bare session acting as one demo user's login.
pub struct Bare {
    pub c: postgres::Client,
    lock: Statement,
    write: Statement,
    load: Statement,
    read: Statement,
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
        let lock = c
            .prepare("SELECT length, head FROM lock_chain('events')")
            .expect("prepare lock_chain");
        let write = c
            .prepare(
                "SELECT write_change($1::text::jsonb, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .expect("prepare write_change");
        let load = c
            .prepare("SELECT version, to_jsonb(r)::text FROM records r WHERE id = $1")
            .expect("prepare load");
        let read = c
            .prepare("SELECT * FROM records WHERE id = $1")
            .expect("prepare read");
        Bare {
            c,
            lock,
            write,
            load,
            read,
        }
    }

    /// BEGIN, lock_chain, write_change, COMMIT: `json` is the record's
    /// next state, decided at version `expected`; `actor` the session's
    /// user (the hash names it).
    pub fn change(&mut self, json: &str, expected: i64, e: &Ev) -> Result<Outcome, String> {
        let mut tx = self.c.transaction().map_err(|x| x.to_string())?;
        let row = tx.query_one(&self.lock, &[]).map_err(|x| x.to_string())?;
        let (length, head): (i64, Vec<u8>) = (
            row.try_get(0).map_err(|x| x.to_string())?,
            row.try_get(1).map_err(|x| x.to_string())?,
        );
        let hash = seal(&head, length + 1, e).to_vec();
        let json = json.to_string();
        let wrote = tx.query_one(&self.write, &write_args(&json, &expected, e, &head, &hash));
        match wrote {
            Ok(_) => {
                tx.commit().map_err(|x| x.to_string())?;
                Ok(Outcome::Applied)
            }
            // Dropped: rolled back.
            Err(x) if x.code().map(|c| c.code()) == Some("CQ409") => Ok(Outcome::Stale),
            Err(x) => Err(x.to_string()),
        }
    }

    /// The record as a view reads it: its version.
    pub fn version(&mut self, id: i64) -> Result<i64, String> {
        self.c
            .query_one(&self.read, &[&id])
            .and_then(|r| r.try_get("version"))
            .map_err(|x| x.to_string())
    }

    /// A note on record `id`, decided at version `expected`: BEGIN,
    /// lock_chain, the record's row, write_change (its version and time
    /// moved on), COMMIT; a record past `expected` is stale, rolled back.
    pub fn note(
        &mut self,
        actor: &str,
        id: i64,
        expected: i64,
        at: i64,
        text: &str,
    ) -> Result<Outcome, String> {
        let s = |x: postgres::Error| x.to_string();
        let mut tx = self.c.transaction().map_err(s)?;
        let row = tx.query_one(&self.lock, &[]).map_err(s)?;
        let (length, head): (i64, Vec<u8>) =
            (row.try_get(0).map_err(s)?, row.try_get(1).map_err(s)?);
        let row = tx.query_one(&self.load, &[&id]).map_err(s)?;
        let (version, json): (i64, String) =
            (row.try_get(0).map_err(s)?, row.try_get(1).map_err(s)?);
        if version != expected {
            return Ok(Outcome::Stale);
        }
        let mut next: serde_json::Value =
            serde_json::from_str(&json).map_err(|e| format!("record {id} as JSON: {e}"))?;
        let at = at.max(next["updated_at"].as_i64().unwrap_or(at));
        next["version"] = (version + 1).into();
        next["updated_at"] = at.into();
        let e = Ev {
            record: Some(id),
            at,
            actor,
            kind: "note",
            event: None,
            from: None,
            to: None,
            reason: None,
            note: Some(text),
            data: None,
        };
        let hash = seal(&head, length + 1, &e).to_vec();
        let next = next.to_string();
        let wrote = tx.query_one(&self.write, &write_args(&next, &expected, &e, &head, &hash));
        match wrote {
            Ok(_) => {
                tx.commit().map_err(s)?;
                Ok(Outcome::Applied)
            }
            Err(x) if x.code().map(|c| c.code()) == Some("CQ409") => Ok(Outcome::Stale),
            Err(x) => Err(x.to_string()),
        }
    }
}

/// Re-hashes every event after `from` (both sides' appends) against its
/// predecessor, and the chain's head against the last: how many were
/// checked, or the first that does not fit.
pub fn chain_check(c: &mut postgres::Client, from: i64) -> Result<i64, String> {
    let s = |x: postgres::Error| x.to_string();
    let rows = c
        .query(
            "SELECT id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, hash
             FROM carequeue.events WHERE id >= $1 ORDER BY id",
            &[&from],
        )
        .map_err(s)?;
    let mut prev: Option<Vec<u8>> = None;
    let mut checked = 0;
    for r in &rows {
        let id: i64 = r.try_get(0).map_err(s)?;
        let hash: Vec<u8> = r.try_get(11).map_err(s)?;
        if let Some(p) = &prev {
            let t = |k: usize| r.try_get::<_, Option<String>>(k);
            let (actor, kind): (String, String) =
                (r.try_get(3).map_err(s)?, r.try_get(4).map_err(s)?);
            let texts: Vec<Option<String>> =
                (5..=10).map(t).collect::<Result<_, _>>().map_err(s)?;
            let e = Ev {
                record: r.try_get(1).map_err(s)?,
                at: r.try_get(2).map_err(s)?,
                actor: &actor,
                kind: &kind,
                event: texts[0].as_deref(),
                from: texts[1].as_deref(),
                to: texts[2].as_deref(),
                reason: texts[3].as_deref(),
                note: texts[4].as_deref(),
                data: texts[5].as_deref(),
            };
            if seal(p, id, &e)[..] != hash[..] {
                return Err(format!("event {id}: its hash does not match its content"));
            }
            checked += 1;
        }
        prev = Some(hash);
    }
    let head: Vec<u8> = c
        .query_one(
            "SELECT head FROM carequeue.chains WHERE name = 'events'",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .map_err(s)?;
    if prev.as_deref() != Some(&head[..]) {
        return Err("the chain's head is not the last event's hash".into());
    }
    Ok(checked)
}

/// `write_change`'s arguments: the record's next state, the version it was
/// decided at, the event (no op id), the head it was sealed against, its hash.
fn write_args<'a>(
    json: &'a String,
    expected: &'a i64,
    e: &'a Ev,
    head: &'a Vec<u8>,
    hash: &'a Vec<u8>,
) -> [&'a (dyn postgres::types::ToSql + Sync); 13] {
    [
        json, expected, &e.at, &e.kind, &e.event, &e.from, &e.to, &e.reason, &e.note, &e.data,
        &NO_OP_ID, head, hash,
    ]
}

const NO_OP_ID: Option<&str> = None;
