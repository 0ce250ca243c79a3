//! Every record by id, each with its history if asked, from one read
//! snapshot: what `export` writes. Rows are handed over as they are read,
//! so memory does not grow with the database.

use super::records::{self, COLUMNS};
use super::{Result, Store};
use crate::EventRow;
use carequeue_core::engine::Record;

/// Calls `each` with every record in id order and, with `history`, its
/// events oldest first (else none), inside one read transaction.
pub fn each(
    store: &Store,
    history: bool,
    each: &mut dyn FnMut(Record, Vec<EventRow>) -> Result<()>,
) -> Result<()> {
    let tx = store.conn().unchecked_transaction()?;
    {
        let mut st = tx.prepare(&format!("SELECT {} FROM records ORDER BY id", *COLUMNS))?;
        let mut hist = tx.prepare(&format!(
            "SELECT {} FROM events WHERE record_id = ?1 ORDER BY id",
            crate::sqlite::events::COLUMNS
        ))?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            let r = records::from_row(row)?;
            let events = if history {
                hist.query_map([r.id], crate::sqlite::events::row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            } else {
                Vec::new()
            };
            each(r, events)?;
        }
    }
    tx.commit()?;
    Ok(())
}
