//! Current state of records: read, insert, and versioned update.

use super::{Result, Store, StoreError};
use carequeue_core::engine::Record;
use carequeue_core::engine::sla::ClockState;
use rusqlite::{Connection, OptionalExtension, Row, params};

pub const COLUMNS: &str = "id, patient, stage, substatus, assignee, owner_role, entered_at, due_at, warn_at, \
    paused_since, paused_left, escalation, priority, breach_reason, fields, created_at, updated_at, version, \
    timer_at, notify_role";

pub fn from_row(r: &Row) -> rusqlite::Result<Record> {
    let fields: String = r.get(14)?;
    Ok(Record {
        id: r.get(0)?,
        patient: r.get(1)?,
        stage: r.get(2)?,
        substatus: r.get(3)?,
        assignee: r.get(4)?,
        owner_role: r.get(5)?,
        entered_at: r.get(6)?,
        due_at: r.get(7)?,
        warn_at: r.get(8)?,
        paused_since: r.get(9)?,
        paused_left: r.get(10)?,
        escalation: r.get(11)?,
        priority: r.get(12)?,
        breach_reason: r.get(13)?,
        // A corrupt fields blob shows as no fields rather than failing the whole list.
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        version: r.get(17)?,
        timer_at: r.get(18)?,
        notify_role: r.get(19)?,
    })
}

fn fields_json(r: &Record) -> String {
    serde_json::to_string(&r.fields).unwrap_or_else(|_| "{}".to_string())
}

pub fn load(conn: &Connection, id: i64) -> Result<Record> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM records WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or(StoreError::NoRecord(id))
}

/// Inserts a new record; `r.id` is ignored unless positive (imports keep ids).
pub fn insert(conn: &Connection, r: &Record) -> Result<i64> {
    insert_as(conn, r, (r.id > 0).then_some(r.id))
}

/// Inserts `r`, whose id is the table's next, letting SQLite append
/// without a search for the slot (a bulk load inserts a million).
pub fn append(conn: &Connection, r: &Record) -> Result<()> {
    match insert_as(conn, r, None)? {
        id if id == r.id => Ok(()),
        actual => Err(super::StoreError::Misplaced {
            table: "records",
            expected: r.id,
            actual,
        }),
    }
}

fn insert_as(conn: &Connection, r: &Record, id: Option<i64>) -> Result<i64> {
    let sort = ClockState::of(r).sort_due();
    conn.prepare_cached(
        "INSERT INTO records (id, patient, stage, substatus, assignee, owner_role, entered_at, due_at,
            warn_at, paused_since, paused_left, sort_due, escalation, priority, breach_reason, fields,
            created_at, updated_at, version, timer_at, notify_role)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    )?
    .execute(params![
        id, r.patient, r.stage, r.substatus, r.assignee, r.owner_role, r.entered_at, r.due_at, r.warn_at,
        r.paused_since, r.paused_left, sort, r.escalation, r.priority, r.breach_reason,
        fields_json(r), r.created_at, r.updated_at, r.version.max(1),
        r.timer_at, r.notify_role
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Writes the columns of `r` that differ from `old` (the state it was
/// decided from) if the stored version is still `r.version`, and bumps the
/// version. Only changed columns are written, so only the indexes on them
/// are touched. A stale write is refused, never applied.
pub fn update(conn: &Connection, old: &Record, r: &Record) -> Result<i64> {
    use rusqlite::types::Value;
    let mut sets: Vec<&'static str> = Vec::new();
    let mut args: Vec<Value> = vec![
        Value::Integer(r.id),
        Value::Integer(r.version),
        Value::Integer(r.updated_at),
    ];
    let mut set = |name: &'static str, changed: bool, v: Value| {
        if changed {
            sets.push(name);
            args.push(v);
        }
    };
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
    set("stage", old.stage != r.stage, Value::Text(r.stage.clone()));
    set(
        "substatus",
        old.substatus != r.substatus,
        text(&r.substatus),
    );
    set("assignee", old.assignee != r.assignee, text(&r.assignee));
    set(
        "owner_role",
        old.owner_role != r.owner_role,
        text(&r.owner_role),
    );
    set(
        "entered_at",
        old.entered_at != r.entered_at,
        Value::Integer(r.entered_at),
    );
    set("due_at", old.due_at != r.due_at, int(r.due_at));
    set("warn_at", old.warn_at != r.warn_at, int(r.warn_at));
    set(
        "paused_since",
        old.paused_since != r.paused_since,
        int(r.paused_since),
    );
    set(
        "paused_left",
        old.paused_left != r.paused_left,
        int(r.paused_left),
    );
    let (sort_old, sort_new) = (ClockState::of(old).sort_due(), ClockState::of(r).sort_due());
    set("sort_due", sort_old != sort_new, Value::Integer(sort_new));
    set(
        "escalation",
        old.escalation != r.escalation,
        Value::Integer(r.escalation),
    );
    set(
        "priority",
        old.priority != r.priority,
        Value::Integer(r.priority),
    );
    set(
        "breach_reason",
        old.breach_reason != r.breach_reason,
        text(&r.breach_reason),
    );
    set(
        "fields",
        old.fields != r.fields,
        Value::Text(fields_json(r)),
    );
    set("timer_at", old.timer_at != r.timer_at, int(r.timer_at));
    set(
        "notify_role",
        old.notify_role != r.notify_role,
        text(&r.notify_role),
    );
    let mut sql = String::from("UPDATE records SET version = version + 1, updated_at = ?3");
    for (i, name) in sets.iter().enumerate() {
        sql.push_str(&format!(", {name} = ?{}", i + 4));
    }
    sql.push_str(" WHERE id = ?1 AND version = ?2");
    let n = conn
        .prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(args))?;
    if n == 1 {
        return Ok(r.version + 1);
    }
    let actual: Option<i64> = conn
        .query_row("SELECT version FROM records WHERE id = ?1", [r.id], |x| {
            x.get(0)
        })
        .optional()?;
    match actual {
        None => Err(StoreError::NoRecord(r.id)),
        Some(actual) => Err(StoreError::Stale {
            id: r.id,
            expected: r.version,
            actual: Some(actual),
        }),
    }
}

impl Store {
    pub fn record(&self, id: i64) -> Result<Record> {
        load(self.conn(), id)
    }
}

/// Each stage holding records, with how many, by name.
pub fn stage_totals(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let mut st =
        conn.prepare("SELECT stage, total FROM stage_counts WHERE total > 0 ORDER BY stage")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
