//! The event feed on SQLite (see [`crate::feed`]).

use crate::Result;
use crate::feed::{FeedEvent, FeedQuery, event_from};
use crate::terms::{Param, SQLITE};
use rusqlite::Connection;
use rusqlite::types::Value;

pub fn feed(conn: &Connection, q: &FeedQuery) -> Result<Vec<FeedEvent>> {
    let (sql, args) = q.sql(&SQLITE, "events");
    let args: Vec<Value> = args
        .into_iter()
        .map(|p| match p {
            Param::Text(t) => Value::Text(t),
            Param::Int(i) => Value::Integer(i),
        })
        .collect();
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(event_from(r)?);
    }
    Ok(out)
}
