//! PostgreSQL rows as the store's types: records, events, users.

use super::query::columns;
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
    crate::columns::record_from(r)
}

impl crate::columns::Cells for postgres::Row {
    type Error = crate::StoreError;
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.try_get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.try_get(i)?)
    }
    fn text(&self, i: usize) -> Result<String> {
        Ok(self.try_get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.try_get(i)?)
    }
}

/// One record by id.
pub fn load_sql() -> String {
    format!("SELECT {} FROM record_rows(ARRAY[$1::bigint])", columns())
}

pub fn event(r: &postgres::Row) -> Result<EventRow> {
    let hash: Vec<u8> = r.try_get(11)?;
    Ok(EventRow {
        id: r.try_get(0)?,
        record_id: r.try_get(1)?,
        at: r.try_get(2)?,
        actor: r.try_get(3)?,
        kind: r.try_get::<_, &str>(4)?.into(),
        event: r.try_get(5)?,
        from: r.try_get(6)?,
        to: r.try_get(7)?,
        reason: r.try_get(8)?,
        note: r.try_get(9)?,
        data: r.try_get(10)?,
        hash: hex(&hash),
    })
}

pub fn member(r: &postgres::Row) -> Result<Member> {
    let roles: String = r.try_get(1)?;
    Ok(Member {
        name: r.try_get(0)?,
        roles: roles.split_whitespace().map(str::to_string).collect(),
        login: r.try_get(2)?,
        enabled: r.try_get(3)?,
        created_at: r.try_get(4)?,
    })
}

/// A `pipelines` row selected as `version::bigint, hash, text, event_id`.
pub fn pipeline(r: &postgres::Row) -> Result<crate::pipelines::StoredPipeline> {
    Ok(crate::pipelines::StoredPipeline {
        version: r.try_get(0)?,
        hash: r.try_get(1)?,
        text: r.try_get(2)?,
        event_id: r.try_get(3)?,
    })
}
