//! A queue order in SQLite's words: the column and index each order
//! reads, and the keyset bound of a page.

use crate::sort::{KeyVal, RowKey, Sort, SortKey};
use rusqlite::types::Value;

impl Sort {
    /// The column the order reads, as the indexes hold it.
    pub(crate) fn column(self) -> &'static str {
        match self.key {
            SortKey::Due => "sort_due",
            SortKey::Age => "entered_at",
            SortKey::Patient => "patient COLLATE NOCASE",
            SortKey::Id => "id",
        }
    }

    /// `ORDER BY` for reading forwards, or backwards from a key.
    pub(crate) fn order_by(self, backwards: bool) -> String {
        let dir = if self.sql_desc() != backwards {
            "DESC"
        } else {
            "ASC"
        };
        match self.key {
            SortKey::Id => format!("id {dir}"),
            _ => format!("{} {dir}, id {dir}", self.column()),
        }
    }

    /// The index a several-stage page walks in order.
    /// The index that walks one stage in this order.
    pub(crate) fn stage_index(self) -> &'static str {
        match self.key {
            SortKey::Due => "records_stage_urgency",
            SortKey::Age => "records_stage_age",
            SortKey::Patient => "records_stage_patient",
            SortKey::Id => "records_stage_id",
        }
    }

    pub(crate) fn wide_index(self) -> Option<&'static str> {
        match self.key {
            SortKey::Due => Some("records_urgency"),
            SortKey::Age => Some("records_age"),
            SortKey::Patient => Some("records_patient"),
            SortKey::Id => None,
        }
    }

    /// A key as SQLite returns it for this order (names folded as NOCASE
    /// folds them, as [`Sort::row_key`] does).
    pub(crate) fn key_of(self, v: rusqlite::types::Value, id: i64) -> RowKey {
        use rusqlite::types::Value;
        let k = match v {
            Value::Integer(i) => KeyVal::Int(i),
            Value::Text(t) => KeyVal::Text(t.to_ascii_lowercase()),
            _ => KeyVal::Int(i64::MIN),
        };
        (k, id)
    }

    /// The condition for rows from `key` on (inclusive) or strictly before it.
    pub(crate) fn bound(self, key: &RowKey, before: bool, args: &mut Vec<Value>) -> String {
        let op = match (before, self.sql_desc()) {
            (false, false) => ">=",
            (false, true) => "<=",
            (true, false) => "<",
            (true, true) => ">",
        };
        if self.key == SortKey::Id {
            args.push(Value::Integer(key.1));
            return format!("id {op} ?{}", args.len());
        }
        args.push(match &key.0 {
            KeyVal::Int(i) => Value::Integer(*i),
            KeyVal::Text(t) => Value::Text(t.clone()),
        });
        let a = args.len();
        args.push(Value::Integer(key.1));
        format!("({}, id) {op} (?{a}, ?{})", self.column(), a + 1)
    }
}
