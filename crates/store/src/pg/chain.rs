//! Appending to the event chain on PostgreSQL: inside the caller's
//! transaction, lock the head (`lock_chain`), seal the event against it
//! with the same hash as on SQLite (its id the chain's next, its actor the
//! session's own user), and hand it to `append_event`, which checks the
//! head and takes the actor from the session itself. Writers wait their
//! turn on the lock rather than fail.

use crate::StoreError;
use crate::columns::{Col, Value};
use crate::events::{EventKind, GENESIS, NONE, NewEvent, chain_hash, event_hash, hex};
use carequeue_core::engine::Record;

/// The chain's previous hash as the hash input reads it (hex; the genesis
/// for an empty chain).
pub(super) fn prev_text(head: &[u8]) -> String {
    if head.is_empty() {
        GENESIS.to_string()
    } else {
        hex(head)
    }
}

/// An event's columns as the writer functions take them after their own
/// leading arguments: its content, then the head it was sealed against and
/// its hash.
pub(super) fn event_args<'a>(
    e: &'a NewEvent,
    head: &'a Vec<u8>,
    hash: &'a Vec<u8>,
) -> [&'a (dyn postgres::types::ToSql + Sync); 11] {
    [
        &e.at,
        kind_arg(e.kind),
        &e.event,
        &e.from,
        &e.to,
        &e.reason,
        &e.note,
        &e.data,
        &e.op_id,
        head,
        hash,
    ]
}

/// An event kind as a statement argument: its stored word, borrowed for
/// as long as the statement needs it.
pub(super) fn kind_arg(k: EventKind) -> &'static (dyn postgres::types::ToSql + Sync) {
    static WORDS: [&str; EventKind::ALL.len()] = {
        let mut words = [""; EventKind::ALL.len()];
        let mut i = 0;
        while i < words.len() {
            words[i] = EventKind::ALL[i].as_str();
            i += 1;
        }
        words
    };
    &WORDS[k as usize]
}

/// Locks the head and seals `e` against it (its id the next, its actor
/// the session's user): the head and the hash.
fn seal(tx: &mut postgres::Transaction, e: &NewEvent) -> crate::Result<(Vec<u8>, [u8; 32])> {
    let actor: String = tx
        .query_one("SELECT carequeue.session_actor()", &[])?
        .try_get(0)?;
    let row = tx.query_one(
        "SELECT length, head FROM carequeue.lock_chain('events')",
        &[],
    )?;
    let (length, head): (i64, Vec<u8>) = (super::col(&row, 0)?, super::col(&row, 1)?);
    let hash = event_hash(&mut Vec::new(), &prev_text(&head), length + 1, e, &actor);
    Ok((head, hash))
}

/// Appends `e` (its `actor` is ignored: the session's user is the actor)
/// and returns its id. Call inside a transaction: the head stays locked
/// until it commits or rolls back.
pub fn append(tx: &mut postgres::Transaction, e: &NewEvent) -> crate::Result<i64> {
    let (head, hash) = seal(tx, e)?;
    let sealed = hash.to_vec();
    let mut args: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![&e.record_id];
    args.extend(event_args(e, &head, &sealed));
    let id: i64 = tx
        .query_one(
            "SELECT carequeue.append_event($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &args,
        )?
        .try_get(0)?;
    Ok(id)
}

/// What a change came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Applied: its event's id.
    Applied(i64),
    /// Its op id was already in the log: not applied again (that event).
    Replayed(i64),
    /// The record moved past the version the change was decided on.
    Stale,
}

/// The record's columns as the schema's `records` row, for `write_change`.
pub(super) fn record_json(r: &Record) -> serde_json::Value {
    let row: serde_json::Map<String, serde_json::Value> = Col::ALL
        .iter()
        .map(|c| {
            let v = match c.value(r) {
                Value::Int(i) => serde_json::Value::from(i),
                Value::Text(t) => serde_json::Value::from(t),
                Value::Null => serde_json::Value::Null,
            };
            (c.name().to_string(), v)
        })
        .collect();
    serde_json::Value::Object(row)
}

/// One change in its own transaction: the record's new state `r` (written
/// only while the stored one is still at `expected`, 0 for a new record)
/// and its event `e`, together. A serialization failure or deadlock is
/// retried here, up to 5 times; with an op id a retry after an unknown
/// outcome never applies twice.
pub fn write(
    c: &mut postgres::Client,
    r: &Record,
    expected: i64,
    e: &NewEvent,
) -> crate::Result<Written> {
    let mut last = None;
    for _ in 0..5 {
        let mut tx = c.transaction()?;
        let attempt = (|| {
            let (head, hash) = seal(&mut tx, e)?;
            let json = record_json(r).to_string();
            let sealed = hash.to_vec();
            let mut args: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![&json, &expected];
            args.extend(event_args(e, &head, &sealed));
            tx.query_one(
                "SELECT carequeue.write_change($1::text::jsonb, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &args,
            )
            .and_then(|row| row.try_get::<_, i64>(0))
            .map_err(|x| {
                if super::error::is_stale(&x) {
                    None
                } else {
                    Some(StoreError::from(x))
                }
            })
        })();
        match attempt {
            Ok(id) if id < 0 => return Ok(Written::Replayed(-id)),
            Ok(id) => {
                tx.commit()?;
                return Ok(Written::Applied(id));
            }
            Err(None) => return Ok(Written::Stale),
            Err(Some(StoreError::Retryable(why))) => last = Some(why),
            Err(Some(e)) => return Err(e),
        }
    }
    Err(StoreError::Retryable(format!(
        "gave up after 5 tries: {}",
        last.unwrap_or_default()
    )))
}

/// Re-reads the whole chain and checks every hash against its content and
/// its predecessor, and the head against the last: the first event that
/// does not fit, or the count checked.
pub fn check(c: &mut postgres::Client) -> crate::Result<i64> {
    let rows = c
        .query(
            "SELECT id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, hash
             FROM carequeue.events ORDER BY id",
            &[],
        )?;
    let mut prev = GENESIS.to_string();
    let mut buf = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let id: i64 = super::col(r, 0)?;
        if id != i as i64 + 1 {
            return Err(StoreError::Broken(format!(
                "event {id}: the ids skip after {i}"
            )));
        }
        let (actor, kind): (String, String) = (super::col(r, 3)?, super::col(r, 4)?);
        let opt: Vec<Option<String>> = (5..=10)
            .map(|k| super::col(r, k))
            .collect::<Result<_, _>>()?;
        let o = |k: usize| opt[k].as_deref().unwrap_or(NONE);
        let want = chain_hash(
            &mut buf,
            &prev,
            [id, super::col(r, 2)?],
            super::col(r, 1)?,
            [&actor, &kind, o(0), o(1), o(2), o(3), o(4), o(5)],
        );
        let have: Vec<u8> = super::col(r, 11)?;
        if have != want {
            return Err(StoreError::Broken(format!(
                "event {id}: its hash does not match its content"
            )));
        }
        prev = hex(&want);
    }
    let head: Vec<u8> = c
        .query_one(
            "SELECT head FROM carequeue.chains WHERE name = 'events'",
            &[],
        )?
        .try_get(0)?;
    if prev_text(&head) != prev {
        return Err(StoreError::Broken(
            "the recorded head is not the last event's hash".into(),
        ));
    }
    Ok(rows.len() as i64)
}
