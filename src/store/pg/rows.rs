//! PostgreSQL rows as the store's types: records, events, users.

use super::query::columns;
use super::store::server;
use crate::engine::Record;
use crate::store::events::hex;
use crate::store::users::Member;
use crate::store::{EventRow, Result, StoreError};

pub const EVENT: &str =
    "id, record_id, at, actor, kind, event, from_stage, to_stage, reason, note, data, hash";
pub const MEMBER: &str = "name, roles, login, enabled, created_at";

/// A `records` row selected with [`columns`].
pub fn record(r: &postgres::Row) -> Record {
    let fields: String = r.get(14);
    Record {
        id: r.get(0),
        patient: r.get(1),
        stage: r.get(2),
        substatus: r.get(3),
        assignee: r.get(4),
        owner_role: r.get(5),
        entered_at: r.get(6),
        due_at: r.get(7),
        warn_at: r.get(8),
        paused_since: r.get(9),
        paused_left: r.get(10),
        escalation: r.get(11),
        priority: r.get(12),
        breach_reason: r.get(13),
        // As on SQLite: a corrupt fields text shows as no fields.
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        created_at: r.get(15),
        updated_at: r.get(16),
        version: r.get(17),
        timer_at: r.get(18),
        notify_role: r.get(19),
    }
}

/// One record by id, in the client's (or its transaction's) snapshot.
pub fn load(c: &mut impl postgres::GenericClient, id: i64) -> Result<Record> {
    let sql = format!("SELECT {} FROM records WHERE id = $1", columns());
    c.query_opt(&sql, &[&id])
        .map_err(server)?
        .map(|r| record(&r))
        .ok_or(StoreError::NoRecord(id))
}

pub fn event(r: &postgres::Row) -> EventRow {
    let hash: Vec<u8> = r.get(11);
    EventRow {
        id: r.get(0),
        record_id: r.get(1),
        at: r.get(2),
        actor: r.get(3),
        kind: r.get(4),
        event: r.get(5),
        from: r.get(6),
        to: r.get(7),
        reason: r.get(8),
        note: r.get(9),
        data: r.get(10),
        hash: hex(&hash),
    }
}

pub fn member(r: &postgres::Row) -> Member {
    let roles: String = r.get(1);
    Member {
        name: r.get(0),
        roles: roles.split_whitespace().map(str::to_string).collect(),
        login: r.get(2),
        enabled: r.get(3),
        created_at: r.get(4),
    }
}
