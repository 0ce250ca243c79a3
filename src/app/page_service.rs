//! A page of the queue for the console: its total, then its rows by the
//! order's keyset, a walk of the order's index where the terms match many
//! rows, capped at [`Service::scan_cap`] rows read.

use super::service::{Anchor, Page, PageQuery, Service};
use crate::store::{ListFilter, Seek, SlaFilter, StageCount};

impl Service {
    pub(super) fn page(&self, seq: u64, q: &PageQuery, now: i64) -> anyhow::Result<Page> {
        let mut f = q.filter.clone();
        f.limit = Some(q.limit);
        // A first page whose count reads every candidate of its terms has
        // its rows read in the same pass (typing a name into the filter at
        // a million records read each candidate twice a key).
        let counted = match q.anchor {
            Anchor::First => self.store.counted_first_page(&f, now)?,
            _ => None,
        };
        let total = match &counted {
            Some((n, _)) => *n as usize,
            None => self.store.count(&q.filter, now)? as usize,
        };
        // The board's counts under the queue's filter, when it narrows.
        let board = match &q.board {
            Some(b) => Some(self.board_counts(b, now)?),
            None => None,
        };
        if let Some((_, Some(rows))) = counted {
            return Ok(Page {
                seq,
                rows,
                start: 0,
                total,
                resume: None,
                board,
            });
        }
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
            board,
        })
    }

    /// Per-stage counts under `f` (its stages one by one): what the board
    /// shows when an owner mode or a typed filter narrows the queue.
    fn board_counts(&self, f: &ListFilter, now: i64) -> anyhow::Result<Vec<StageCount>> {
        if let Some(counts) = self.store.stage_counts_under(f, now)? {
            return Ok(counts);
        }
        let mut out = Vec::new();
        for stage in f.stages.clone().unwrap_or_default() {
            let mut one = f.clone();
            one.stages = Some(vec![stage.clone()]);
            let count = |sla: Option<SlaFilter>| {
                let mut g = one.clone();
                if let Some(sla) = sla {
                    g.sla = sla;
                }
                self.store.count(&g, now)
            };
            out.push(StageCount {
                total: count(None)?,
                breached: count(Some(SlaFilter::Breached))?,
                at_risk: count(Some(SlaFilter::AtRisk))?,
                unassigned: 0,
                stage,
            });
        }
        Ok(out)
    }
}
