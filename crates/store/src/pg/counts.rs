//! The board's counts on PostgreSQL, as SQLite keeps them: per-stage
//! totals from the maintained `stage_counts` (the schema's triggers keep
//! it current), breached and at-risk counts from the records past their
//! warn time (read from the attention index alone), and a queue's total
//! from those counts when its filter is only stages and an owner.

use super::store::PgStore;
use crate::StoreError;
use crate::{BreachGroup, ListFilter, OwnerFilter, Result, SlaFilter, StageCount};

/// Breach groups, with the time and the event chain's length they were
/// read at.
pub(super) type Memo = ((i64, i64), Vec<BreachGroup>);

/// The past-warn records by stage and owner, counted on the server.
const GROUPS_SQL: &str = "SELECT stage, assignee, count(*) FILTER (WHERE sort_due <= $1),
        count(*) FILTER (WHERE sort_due > $1), min(sort_due)
     FROM records WHERE warn_at <= $1 GROUP BY stage, assignee";

impl PgStore {
    pub(super) fn counts_by_stage(&self, now: i64) -> Result<Vec<StageCount>> {
        let found = self.rows(
            "SELECT stage, total, unassigned FROM stage_counts WHERE total > 0",
            &[],
        )?;
        let mut out = found
            .iter()
            .map(|r| {
                Ok(StageCount {
                    stage: r.try_get(0)?,
                    total: r.try_get(1)?,
                    breached: 0,
                    at_risk: 0,
                    unassigned: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        for g in self.groups(now)? {
            if let Some(c) = out.iter_mut().find(|c| c.stage == g.stage) {
                c.breached += g.breached;
                c.at_risk += g.at_risk;
            }
        }
        Ok(out)
    }

    /// The breach groups at `now`; read again only when the time or the
    /// event chain (every change to a record appends to it) has moved.
    pub(super) fn groups(&self, now: i64) -> Result<Vec<BreachGroup>> {
        let length: i64 = self
            .row("SELECT length FROM chains WHERE name = 'events'", &[])?
            .try_get(0)?;
        if let Some((key, groups)) = &*self.groups_memo.borrow()
            && *key == (now, length)
        {
            return Ok(groups.clone());
        }
        let groups = self.read_groups(now)?;
        *self.groups_memo.borrow_mut() = Some(((now, length), groups.clone()));
        Ok(groups)
    }

    fn read_groups(&self, now: i64) -> Result<Vec<BreachGroup>> {
        let found = self.rows(GROUPS_SQL, &[&now])?;
        let mut groups = found
            .iter()
            .map(|r| {
                Ok(BreachGroup {
                    stage: r.try_get(0)?,
                    owner: r.try_get(1)?,
                    breached: r.try_get(2)?,
                    at_risk: r.try_get(3)?,
                    oldest_due: r.try_get(4)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // SQLite's order: text by bytes, no owner first.
        groups.sort_by(|a, b| (&a.stage, &a.owner).cmp(&(&b.stage, &b.owner)));
        Ok(groups)
    }

    /// `count` for the filters the maintained counts answer (a stage
    /// view's total, its unassigned, a user's own), else None.
    pub(super) fn quick_count(&self, f: &ListFilter) -> Result<Option<i64>> {
        if f.sla != SlaFilter::Any || f.has_terms() {
            return Ok(None);
        }
        let Some(stages) = &f.stages else {
            return Ok(None);
        };
        let row = self.row(
            "SELECT coalesce(sum(total), 0)::bigint, coalesce(sum(unassigned), 0)::bigint
             FROM stage_counts WHERE stage = ANY($1)",
            &[stages],
        )?;
        let total: i64 = row.try_get(0)?;
        let unassigned: i64 = row.try_get(1)?;
        let mine = |u: &String| -> Result<i64> {
            self.row(
                "SELECT count(*) FROM records WHERE assignee = $1 AND stage = ANY($2)",
                &[u, stages],
            )?
            .try_get(0)
            .map_err(StoreError::from)
        };
        Ok(Some(match &f.owner {
            OwnerFilter::Any => total,
            OwnerFilter::Unassigned => unassigned,
            OwnerFilter::User(u) => mine(u)?,
            OwnerFilter::UserOrUnassigned(u) => mine(u)? + unassigned,
        }))
    }
}
