//! What a database is bound to: its trust mode (fixed at `init`, logged in
//! the first event) and the pipeline texts it has run under (each stored
//! with its hash and logged as a `pipeline` event).

use super::events;
use super::{Result, meta_get, meta_set};
use crate::pipelines::{PipelineChange, StoredPipeline, how_stored, pipeline_event};
use carequeue_core::log::EventKind;
use rusqlite::{Connection, OptionalExtension};

/// The pipeline in force: the highest stored version.
pub fn current_pipeline(conn: &Connection) -> Result<Option<StoredPipeline>> {
    Ok(conn
        .prepare_cached(
            "SELECT version, hash, text, event_id FROM pipelines ORDER BY version DESC LIMIT 1",
        )?
        .query_row([], row)
        .optional()?)
}

/// One stored version by number.
pub fn pipeline_version(conn: &Connection, version: i64) -> Result<Option<StoredPipeline>> {
    Ok(conn
        .prepare("SELECT version, hash, text, event_id FROM pipelines WHERE version = ?1")?
        .query_row([version], row)
        .optional()?)
}

/// Every stored version, oldest first.
pub fn pipeline_versions(conn: &Connection) -> Result<Vec<StoredPipeline>> {
    let mut st =
        conn.prepare("SELECT version, hash, text, event_id FROM pipelines ORDER BY version")?;
    let rows = st.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Every version with when, by whom and how it was stored, oldest first.
pub fn pipeline_history(conn: &Connection) -> Result<Vec<PipelineChange>> {
    let mut st = conn.prepare(
        "SELECT p.version, e.at, e.actor, p.hash, e.data FROM pipelines p
         JOIN events e ON e.id = p.event_id ORDER BY p.version",
    )?;
    let rows = st.query_map([], |r| {
        let data: Option<String> = r.get(4)?;
        Ok(PipelineChange {
            version: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            hash: r.get(3)?,
            how: how_stored(data.as_deref()),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<StoredPipeline> {
    Ok(StoredPipeline {
        version: r.get(0)?,
        hash: r.get(1)?,
        text: r.get(2)?,
        event_id: r.get(3)?,
    })
}

/// Stores `text` as the next pipeline version, logged as a `pipeline`
/// event (`kind` says how: `init`, `adopt` or `apply`) by `actor`.
pub fn store_pipeline(
    conn: &Connection,
    chain: &mut events::Appender,
    actor: &str,
    how: &str,
    text: &str,
    now: i64,
) -> Result<i64> {
    let version = current_pipeline(conn)?.map_or(1, |p| p.version + 1);
    let (kind, hash, data) = pipeline_event(version, how, text);
    let event_id = chain.append_about(conn, actor, kind, None, &data, now)?;
    conn.execute(
        "INSERT INTO pipelines (version, hash, text, event_id) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![version, hash, text, event_id],
    )?;
    meta_set(conn, "pipeline_hash", &hash)?;
    Ok(version)
}

/// Fixes the trust mode in the database's first event.
pub fn record_init(
    conn: &Connection,
    chain: &mut events::Appender,
    actor: &str,
    trust: bool,
    group: Option<&str>,
    now: i64,
) -> Result<()> {
    let data = serde_json::json!({"trust": trust, "group": group}).to_string();
    chain.append_about(conn, actor, EventKind::Init, None, &data, now)?;
    meta_set(conn, "trust", if trust { "1" } else { "0" })
}

/// Whether `init --trust` (or `demo`) made this database.
pub fn trust_mode(conn: &Connection) -> Result<bool> {
    Ok(meta_get(conn, "trust")?.as_deref() == Some("1"))
}

/// Whether the database was initialised (its trust mode is fixed).
pub fn initialised(conn: &Connection) -> Result<bool> {
    Ok(meta_get(conn, "trust")?.is_some())
}
