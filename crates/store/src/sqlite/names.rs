//! Typing a name into the filter: each key asks for the page's total, its
//! first page and the board's counts, under words that mostly narrow the
//! last key's (`Ngu`, `Nguy`, `Nguyen`). A common name has tens of
//! thousands of candidates at a million records, and reading each from
//! `records` (its stage and clock) costs more than a keypress may. The
//! candidates of the last name read are kept here with what the stage and
//! SLA terms test: a later key whose trigram matches all fall among them
//! reads none again, and the next different name replaces them. Valid
//! while the database does not change (as the attention pass is).
//!
//! Only for name words of three letters or more (the trigram index gives
//! the candidates alone), with stage and SLA terms and no other (no owner,
//! role, field, sub-status or id term); the page only in the default order.

use super::{Result, Store};
use crate::counts::StageCount;
use crate::filter::{ListFilter, OwnerFilter, SlaFilter, TRIGRAM};
use crate::sort::{Seek, Sort};

/// More candidates than this are not kept (a few MB at most).
const MAX_KEPT: usize = 200_000;

/// One candidate: what the stage and SLA terms test, and the page's order.
#[derive(Debug, Clone, Copy)]
struct Cand {
    id: i64,
    stage: u32,
    warn_at: Option<i64>,
    sort_due: i64,
    due_at: Option<i64>,
    paused_since: Option<i64>,
    paused_left: Option<i64>,
}

impl Cand {
    fn sla(&self, sla: SlaFilter, now: i64) -> bool {
        let past_warn = self.warn_at.is_some_and(|w| w <= now);
        match sla {
            SlaFilter::Any => true,
            SlaFilter::Breached => {
                self.sort_due <= now
                    || (self.paused_since.is_some() && self.paused_left.is_some_and(|l| l <= 0))
            }
            SlaFilter::AtRisk => past_warn && self.sort_due > now,
            SlaFilter::Attention => past_warn,
            SlaFilter::Ok => self.due_at.is_some_and(|d| d > now) && !past_warn,
            SlaFilter::Paused => self.paused_since.is_some(),
        }
    }
}

/// The candidates of one trigram query, by id, at one database state.
#[derive(Debug, Default)]
pub(super) struct Memo {
    key: Option<(String, i64, u64)>,
    stages: Vec<String>,
    cands: Vec<Cand>,
}

/// The filter's name words as one trigram query, where the fast path
/// applies to `f`; None otherwise.
fn fts_query(f: &ListFilter) -> Option<String> {
    // Ids (`#42`, a drill-down's records) pick their rows themselves.
    if f.names_ids()
        || !f.fields.is_empty()
        || !f.notified.is_empty()
        || !f.roles.is_empty()
        || f.substatus.is_some()
        || f.owner != OwnerFilter::Any
    {
        return None;
    }
    let groups = f.word_groups();
    if groups.is_empty()
        || groups
            .iter()
            .any(|g| g.len() != 1 || g[0].chars().count() < TRIGRAM)
    {
        return None;
    }
    Some(
        groups
            .iter()
            .map(|g| format!("\"{}\"", g[0].replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

impl Store {
    /// The candidates of `f`'s name words (as [`fts_query`] allows), from
    /// the memo where they all are in it; else read and kept.
    fn name_candidates(&self, f: &ListFilter) -> Result<Option<()>> {
        let Some(q) = fts_query(f) else {
            return Ok(None);
        };
        let state = (self.data_version()?, self.conn().total_changes());
        {
            let memo = self.names.borrow();
            if memo.key.as_ref() == Some(&(q.clone(), state.0, state.1)) {
                return Ok(Some(()));
            }
        }
        let ids: Vec<i64> = {
            let mut st = self
                .conn()
                .prepare_cached("SELECT rowid FROM records_fts WHERE records_fts MATCH ?1")?;
            let rows = st.query_map([&q], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if ids.len() > MAX_KEPT {
            *self.names.borrow_mut() = Memo::default();
            return Ok(None);
        }
        let mut memo = self.names.borrow_mut();
        let kept = memo.key.as_ref().is_some_and(|(_, v, c)| (*v, *c) == state);
        if kept {
            // Narrower words: every candidate already read.
            let mut sub = Vec::with_capacity(ids.len());
            for id in &ids {
                match memo.cands.binary_search_by_key(id, |c| c.id) {
                    Ok(i) => sub.push(memo.cands[i]),
                    Err(_) => break,
                }
            }
            if sub.len() == ids.len() {
                sub.sort_unstable_by_key(|c| c.id);
                memo.cands = sub;
                memo.key = Some((q, state.0, state.1));
                return Ok(Some(()));
            }
        }
        // Read each candidate once, here.
        let mut stages: Vec<String> = Vec::new();
        let mut cands = Vec::with_capacity(ids.len());
        {
            let mut st = self.conn().prepare_cached(
                "SELECT id, stage, warn_at, sort_due, due_at, paused_since, paused_left
                 FROM records WHERE id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?1)
                 ORDER BY id",
            )?;
            let mut rows = st.query([&q])?;
            while let Some(r) = rows.next()? {
                let stage: String = r.get(1)?;
                let stage = match stages.iter().position(|s| *s == stage) {
                    Some(i) => i,
                    None => {
                        stages.push(stage);
                        stages.len() - 1
                    }
                } as u32;
                cands.push(Cand {
                    id: r.get(0)?,
                    stage,
                    warn_at: r.get(2)?,
                    sort_due: r.get(3)?,
                    due_at: r.get(4)?,
                    paused_since: r.get(5)?,
                    paused_left: r.get(6)?,
                });
            }
        }
        *memo = Memo {
            key: Some((q, state.0, state.1)),
            stages,
            cands,
        };
        Ok(Some(()))
    }

    /// Which kept stages `f` takes (None: every stage).
    fn taken(memo: &Memo, f: &ListFilter) -> Vec<bool> {
        memo.stages
            .iter()
            .map(|s| f.stages.as_ref().is_none_or(|v| v.contains(s)))
            .collect()
    }

    /// A first page's total and its ids in order, from the kept
    /// candidates, for [`Store::counted_first_page`]; None where the fast
    /// path does not apply.
    pub(super) fn named_first_page(
        &self,
        f: &ListFilter,
        now: i64,
    ) -> Result<Option<(i64, Vec<i64>)>> {
        if f.sort != Sort::default()
            || !matches!(f.seek, Seek::Start)
            || f.until.is_some()
            || self.name_candidates(f)?.is_none()
        {
            return Ok(None);
        }
        let memo = self.names.borrow();
        let taken = Self::taken(&memo, f);
        let mut hits: Vec<(i64, i64)> = memo
            .cands
            .iter()
            .filter(|c| taken[c.stage as usize] && c.sla(f.sla, now))
            .map(|c| (c.sort_due, c.id))
            .collect();
        let total = hits.len() as i64;
        let limit = f.limit.unwrap_or(hits.len()).min(hits.len());
        if limit < hits.len() {
            hits.select_nth_unstable(limit);
            hits.truncate(limit);
        }
        hits.sort_unstable();
        Ok(Some((total, hits.into_iter().map(|(_, id)| id).collect())))
    }

    /// The board's counts under `f`, from the kept candidates, for
    /// [`Store::stage_counts_under`]; None where the fast path does not
    /// apply.
    pub(super) fn named_stage_counts(
        &self,
        f: &ListFilter,
        now: i64,
    ) -> Result<Option<Vec<StageCount>>> {
        let Some(stages) = &f.stages else {
            return Ok(None);
        };
        if self.name_candidates(f)?.is_none() {
            return Ok(None);
        }
        let memo = self.names.borrow();
        // Total, breached and at risk of each kept stage.
        let mut kept = vec![(0i64, 0i64, 0i64); memo.stages.len()];
        for c in &memo.cands {
            let k = &mut kept[c.stage as usize];
            k.0 += i64::from(c.sla(f.sla, now));
            k.1 += i64::from(c.sla(SlaFilter::Breached, now));
            k.2 += i64::from(c.sla(SlaFilter::AtRisk, now));
        }
        Ok(Some(
            stages
                .iter()
                .map(|s| {
                    let (total, breached, at_risk) = memo
                        .stages
                        .iter()
                        .position(|x| x == s)
                        .map_or((0, 0, 0), |i| kept[i]);
                    StageCount {
                        stage: s.clone(),
                        total,
                        breached,
                        at_risk,
                        unassigned: 0,
                    }
                })
                .collect(),
        ))
    }
}
