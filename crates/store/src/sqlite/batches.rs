//! A whole-table read on two threads: this one steps the query and copies
//! each row into a batch (its text into one reused buffer, so nothing is
//! allocated per row); a second reduces the batches as they come. The
//! audit's scans (of the log, of the stays) read millions of rows so.

use super::Result;
use super::raw::RawQuery;
use rusqlite::Connection;
use std::sync::mpsc;

/// Rows a batch holds before it is handed over.
const BATCH: usize = 8192;

/// A byte range of [`Batch::text`]; `start == u32::MAX` is NULL.
#[derive(Clone, Copy)]
pub struct Span(u32, u32);

const NULL: Span = Span(u32::MAX, 0);

/// Rows of type `R` whose text lies in `text`.
pub struct Batch<R> {
    text: Vec<u8>,
    pub rows: Vec<R>,
}

impl<R> Default for Batch<R> {
    fn default() -> Self {
        Batch {
            text: Vec::new(),
            rows: Vec::new(),
        }
    }
}

impl<R> Batch<R> {
    /// Keeps `v` (a column's bytes, None for NULL) in the batch's text.
    pub fn put(&mut self, v: Option<&[u8]>) -> Span {
        match v {
            Some(b) if self.text.len() + b.len() < u32::MAX as usize => {
                let start = self.text.len() as u32;
                self.text.extend_from_slice(b);
                Span(start, self.text.len() as u32)
            }
            _ => NULL,
        }
    }

    /// The text of `s` (None for NULL, or bytes that are not UTF-8).
    pub fn get(&self, s: Span) -> Option<&str> {
        if s.0 == u32::MAX {
            return None;
        }
        std::str::from_utf8(self.text.get(s.0 as usize..s.1 as usize)?).ok()
    }
}

/// Runs `sql` on `conn`, `row` copying each row into the batch, and
/// `reduce` over the batches on a thread of its own; returns what `reduce`
/// returns. `reduce` hands each batch back through its second argument
/// (so its buffers are reused; one lost is fine).
pub fn read<R: Send, T: Send>(
    conn: &Connection,
    sql: &str,
    mut row: impl FnMut(&mut RawQuery, &mut Batch<R>) -> R,
    reduce: impl FnOnce(mpsc::Receiver<Batch<R>>, mpsc::Sender<Batch<R>>) -> T + Send,
) -> Result<T> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch<R>>(4);
    let (empty_tx, empty_rx) = mpsc::channel::<Batch<R>>();
    std::thread::scope(|scope| {
        let reducer = scope.spawn(move || reduce(full_rx, empty_tx));
        let read = (|| -> Result<()> {
            let mut q = RawQuery::prepare(conn, sql)?;
            let mut b = Batch::default();
            while q.next()? {
                let r = row(&mut q, &mut b);
                b.rows.push(r);
                if b.rows.len() >= BATCH {
                    let mut next = empty_rx.try_recv().unwrap_or_default();
                    next.rows.clear();
                    next.text.clear();
                    let full = std::mem::replace(&mut b, next);
                    if full_tx.send(full).is_err() {
                        break;
                    }
                }
            }
            if !b.rows.is_empty() {
                let _ = full_tx.send(b);
            }
            Ok(())
        })();
        drop(full_tx);
        let out = reducer.join().map_err(|_| {
            super::StoreError::Io(std::io::Error::other(
                "a whole-table read stopped unexpectedly",
            ))
        });
        read?;
        out
    })
}
