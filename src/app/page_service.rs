//! A page of the queue for the console: its total, then its rows by the
//! order's keyset, a walk of the order's index where the terms match many
//! rows, capped at [`Service::scan_cap`] rows read.

use super::service::{Anchor, Page, PageQuery, Service};
use crate::store::Seek;

impl Service {
    pub(super) fn page(&self, seq: u64, q: &PageQuery, now: i64) -> anyhow::Result<Page> {
        let total = self.store.count(&q.filter, now)? as usize;
        let mut f = q.filter.clone();
        f.limit = Some(q.limit);
        f.walk = self.store.walks(&f, total as i64)?;
        f.scan_cap = Some(self.scan_cap);
        let mut resume = None;
        let (rows, start) = match &q.anchor {
            Anchor::First => {
                let (rows, r) = self.store.list_page(&f, now)?;
                resume = r;
                (rows, 0)
            }
            Anchor::From { key, index } => {
                f.seek = Seek::From(key.clone());
                let (rows, r) = self.store.list_page(&f, now)?;
                resume = r;
                (rows, *index)
            }
            Anchor::Before { key, index } => {
                f.seek = Seek::Before(key.clone());
                let rows = self.store.list(&f, now)?;
                let start = index.saturating_sub(rows.len());
                (rows, start)
            }
            Anchor::Last => {
                f.seek = Seek::End;
                let rows = self.store.list(&f, now)?;
                (rows.clone(), total.saturating_sub(rows.len()))
            }
        };
        Ok(Page {
            seq,
            rows,
            start,
            total,
            resume,
        })
    }
}
