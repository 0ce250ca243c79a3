//! PostgreSQL rows as the store's types: records, events, users.

use super::query::columns;
use super::store::server;
use crate::events::hex;
use crate::team::Member;
use crate::{EventRow, Result};
use carequeue_core::engine::Record;

pub const EVENT: &str =
    "id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, hash";
pub const MEMBER: &str = "name, roles, login, enabled, created_at";
/// The pipeline in force, for [`pipeline`].
pub const CURRENT_PIPELINE: &str =
    "SELECT version::bigint, hash, text, event_id FROM pipelines ORDER BY version DESC LIMIT 1";

/// A `records` row selected with [`columns`]; a column of another type
/// than the schema's is an error, never a panic.
pub fn record(r: &postgres::Row) -> Result<Record> {
    let fields: String = r.try_get(14).map_err(server)?;
    Ok(Record {
        id: r.try_get(0).map_err(server)?,
        patient: r.try_get(1).map_err(server)?,
        stage: r.try_get(2).map_err(server)?,
        substatus: r.try_get(3).map_err(server)?,
        assignee: r.try_get(4).map_err(server)?,
        owner_role: r.try_get(5).map_err(server)?,
        entered_at: r.try_get(6).map_err(server)?,
        due_at: r.try_get(7).map_err(server)?,
        warn_at: r.try_get(8).map_err(server)?,
        paused_since: r.try_get(9).map_err(server)?,
        paused_left: r.try_get(10).map_err(server)?,
        escalation: r.try_get(11).map_err(server)?,
        priority: r.try_get(12).map_err(server)?,
        breach_reason: r.try_get(13).map_err(server)?,
        // As on SQLite: a corrupt fields text shows as no fields.
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        created_at: r.try_get(15).map_err(server)?,
        updated_at: r.try_get(16).map_err(server)?,
        version: r.try_get(17).map_err(server)?,
        timer_at: r.try_get(18).map_err(server)?,
        notify_role: r.try_get(19).map_err(server)?,
    })
}

/// One record by id.
pub fn load_sql() -> String {
    format!("SELECT {} FROM records WHERE id = $1", columns())
}

pub fn event(r: &postgres::Row) -> Result<EventRow> {
    let hash: Vec<u8> = r.try_get(11).map_err(server)?;
    Ok(EventRow {
        id: r.try_get(0).map_err(server)?,
        record_id: r.try_get(1).map_err(server)?,
        at: r.try_get(2).map_err(server)?,
        actor: r.try_get(3).map_err(server)?,
        kind: r.try_get::<_, &str>(4).map_err(server)?.into(),
        event: r.try_get(5).map_err(server)?,
        from: r.try_get(6).map_err(server)?,
        to: r.try_get(7).map_err(server)?,
        reason: r.try_get(8).map_err(server)?,
        note: r.try_get(9).map_err(server)?,
        data: r.try_get(10).map_err(server)?,
        hash: hex(&hash),
    })
}

pub fn member(r: &postgres::Row) -> Result<Member> {
    let roles: String = r.try_get(1).map_err(server)?;
    Ok(Member {
        name: r.try_get(0).map_err(server)?,
        roles: roles.split_whitespace().map(str::to_string).collect(),
        login: r.try_get(2).map_err(server)?,
        enabled: r.try_get(3).map_err(server)?,
        created_at: r.try_get(4).map_err(server)?,
    })
}

/// A `pipelines` row selected as `version::bigint, hash, text, event_id`.
pub fn pipeline(r: &postgres::Row) -> Result<crate::pipelines::StoredPipeline> {
    Ok(crate::pipelines::StoredPipeline {
        version: r.try_get(0).map_err(server)?,
        hash: r.try_get(1).map_err(server)?,
        text: r.try_get(2).map_err(server)?,
        event_id: r.try_get(3).map_err(server)?,
    })
}
