//! Queue queries: filtered, in the chosen order (most urgent first by
//! default), paged by keyset so a page costs the same at row 10 as at row
//! 1,000,000.

use super::records::from_row;
use super::{Result, Store};
use crate::counts::StageCount;
use crate::filter::{ListFilter, OwnerFilter};
use crate::sort::{RowKey, Seek};
use carequeue_core::engine::Record;

/// Up to this many stages, a page is merged from one query per stage.
const MERGE_STAGES: usize = 8;
use rusqlite::types::Value;

impl Store {
    /// Records matching `f`, most urgent first.
    pub fn list(&self, f: &ListFilter, now: i64) -> Result<Vec<Record>> {
        match &f.stages {
            Some(stages) if (2..=MERGE_STAGES).contains(&stages.len()) && f.mergeable() => {
                self.list_merged(f, stages, now)
            }
            _ => self.list_one(f, now),
        }
    }

    /// A page over a few stages: each stage's page from its own urgency
    /// index, merged. The cost is bounded by stages x page, where walking
    /// the table-wide urgency index for a few rare stages is not (the
    /// Decisions view walked tens of thousands of rows for a page).
    fn list_merged(&self, f: &ListFilter, stages: &[String], now: i64) -> Result<Vec<Record>> {
        let mut rows = Vec::new();
        for stage in stages {
            let one = ListFilter {
                stages: Some(vec![stage.clone()]),
                ..f.clone()
            };
            rows.extend(self.list_one(&one, now)?);
        }
        rows.sort_by(|a, b| f.sort.compare(a, b));
        if let Some(limit) = f.limit {
            if f.seek.backwards() {
                // Backwards: the rows nearest the key are the last ones.
                rows.drain(..rows.len().saturating_sub(limit));
            } else {
                rows.truncate(limit);
            }
        }
        Ok(rows)
    }

    /// A page of `f` for the console: like [`Store::list`], but a walk
    /// ([`ListFilter::walk`]) with a [`ListFilter::scan_cap`] reads at most
    /// that many rows of the order's index per stage. A page cut short
    /// returns the key to resume from (`Seek::From` it): the rows it holds
    /// are every match before that key, so reading on from there misses
    /// none and repeats none.
    pub fn list_page(&self, f: &ListFilter, now: i64) -> Result<(Vec<Record>, Option<RowKey>)> {
        match &f.stages {
            Some(stages) if (2..=MERGE_STAGES).contains(&stages.len()) && f.mergeable() => {
                let mut rows = Vec::new();
                let mut stop: Option<RowKey> = None;
                for stage in stages {
                    let one = ListFilter {
                        stages: Some(vec![stage.clone()]),
                        ..f.clone()
                    };
                    let (r, b) = self.page_one(&one, now)?;
                    rows.extend(r);
                    if let Some(b) = b {
                        stop = Some(match stop {
                            Some(s) if f.sort.key_cmp(&s, &b).is_le() => s,
                            _ => b,
                        });
                    }
                }
                rows.sort_by(|a, b| f.sort.compare(a, b));
                // Past the earliest stop, a capped stage may hold rows not read.
                if let Some(s) = &stop {
                    rows.retain(|r| f.sort.key_cmp(&f.sort.row_key(r), s).is_lt());
                }
                if let Some(limit) = f.limit {
                    if f.seek.backwards() {
                        rows.drain(..rows.len().saturating_sub(limit));
                    } else {
                        rows.truncate(limit);
                    }
                }
                let full = f.limit.is_some_and(|l| rows.len() >= l);
                Ok((rows, stop.filter(|_| !full)))
            }
            _ => self.page_one(f, now),
        }
    }

    /// One stage's (or one query's) page, capped as [`Store::list_page`] says.
    fn page_one(&self, f: &ListFilter, now: i64) -> Result<(Vec<Record>, Option<RowKey>)> {
        let Some((sql, args)) = f.boundary_sql(now) else {
            return Ok((self.list_one(f, now)?, None));
        };
        use rusqlite::OptionalExtension;
        let boundary = self
            .conn()
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(args), |r| {
                Ok(f.sort.key_of(r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let Some(boundary) = boundary else {
            // Fewer rows than the cap are left: the walk ends by itself.
            return Ok((self.list_one(f, now)?, None));
        };
        let capped = ListFilter {
            until: Some(boundary.clone()),
            ..f.clone()
        };
        let rows = self.list_one(&capped, now)?;
        let full = f.limit.is_some_and(|l| rows.len() >= l);
        Ok((rows, (!full).then_some(boundary)))
    }

    /// The total of a first page's filter, and its rows too where they
    /// come from the same read: for a page from the start whose count
    /// would read every record its terms pick (names, fields) and which
    /// would not walk ([`Store::walks`]) nor be merged per stage, the page's
    /// ids and the count come from one query and the rows by id, instead of
    /// the count and the page each reading every candidate. The rows are
    /// those [`Store::list_page`] returns; None where this does not apply
    /// (then count and list as before), rows None where only the total
    /// was read (the page walks: list it as before, with this total).
    pub fn counted_first_page(
        &self,
        f: &ListFilter,
        now: i64,
    ) -> Result<Option<(i64, Option<Vec<Record>>)>> {
        let merged = f
            .stages
            .as_ref()
            .is_some_and(|s| (2..=MERGE_STAGES).contains(&s.len()) && f.mergeable());
        if !f.picks_rows()
            || merged
            || f.limit.is_none()
            || !matches!(f.seek, Seek::Start)
            || f.until.is_some()
            || self.quick_count(f)?.is_some()
            || self.attention_count(f, now)?.is_some()
        {
            return Ok(None);
        }
        if let Some((total, ids)) = self.named_first_page(f, now)? {
            return Ok(Some((total, Some(self.rows_by_id(&ids)?))));
        }
        let (sql, args) = f.counted_ids_sql(now);
        let mut total = 0i64;
        let ids: Vec<i64> = {
            let mut st = self.conn().prepare_cached(&sql)?;
            let mut rows = st.query(rusqlite::params_from_iter(args))?;
            let mut ids = Vec::new();
            while let Some(r) = rows.next()? {
                ids.push(r.get(0)?);
                total = r.get(1)?;
            }
            ids
        };
        if self.walks(f, total)? {
            return Ok(Some((total, None)));
        }
        Ok(Some((total, Some(self.rows_by_id(&ids)?))))
    }

    /// The records of `ids`, in that order.
    fn rows_by_id(&self, ids: &[i64]) -> Result<Vec<Record>> {
        let mut by_id: std::collections::HashMap<i64, Record> = std::collections::HashMap::new();
        if !ids.is_empty() {
            let marks = vec!["?"; ids.len()].join(", ");
            let sql = format!(
                "SELECT {} FROM records WHERE id IN ({marks})",
                *super::records::COLUMNS
            );
            let mut st = self.conn().prepare(&sql)?;
            let rows = st.query_map(rusqlite::params_from_iter(ids.iter()), from_row)?;
            for r in rows {
                let r = r?;
                by_id.insert(r.id, r);
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    fn list_one(&self, f: &ListFilter, now: i64) -> Result<Vec<Record>> {
        let (sql, args) = f.select_sql(now);
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), from_row)?;
        let mut rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        if f.seek.backwards() {
            rows.reverse();
        }
        Ok(rows)
    }

    /// Every record `f` selects (up to its limit), most urgent first, handed
    /// to `each` as it is read: one query, one cursor, nothing collected, so
    /// memory does not grow with the count. Keysets are for pages, not here.
    pub fn each_listed<E: From<super::StoreError>>(
        &self,
        f: &ListFilter,
        now: i64,
        mut each: impl FnMut(Record) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let f = ListFilter {
            seek: Seek::Start,
            ..f.clone()
        };
        let (sql, args) = f.select_sql(now);
        let mut st = self
            .conn()
            .prepare_cached(&sql)
            .map_err(super::StoreError::from)?;
        let mut rows = st
            .query(rusqlite::params_from_iter(args))
            .map_err(super::StoreError::from)?;
        while let Some(row) = rows.next().map_err(super::StoreError::from)? {
            each(from_row(row).map_err(super::StoreError::from)?)?;
        }
        Ok(())
    }

    /// Whether a page of `f`, whose terms match `total` records, is read
    /// more cheaply by walking the order's index (testing each row, about
    /// `limit × scope / total` rows read) than by finding the `total` rows
    /// on the terms' index and sorting them. Choosing the cheaper caps the
    /// rows a page examines near `√(limit × scope)` (14,000 for a page of
    /// 200 at a million records), however broad or narrow the terms.
    pub fn walks(&self, f: &ListFilter, total: i64) -> Result<bool> {
        let Some(limit) = f.limit else {
            return Ok(false);
        };
        if !f.picks_rows() || total <= 0 {
            return Ok(false);
        }
        let scope = ListFilter {
            stages: f.stages.clone(),
            ..Default::default()
        };
        let scope: i64 = match self.quick_count(&scope)? {
            Some(n) => n,
            // Every stage: the maintained counts, summed.
            None => self
                .conn()
                .prepare_cached("SELECT coalesce(sum(total), 0) FROM stage_counts")?
                .query_row([], |r| r.get(0))?,
        };
        Ok((total as f64) * (total as f64) > (limit as f64) * (scope as f64))
    }

    /// The board's per-stage counts under `f` (each of its stages: the
    /// total under its SLA state, the breached, the at-risk) in one grouped
    /// pass, where `f`'s terms pick rows (names, fields): counted stage by
    /// stage and state, each count would read every candidate again (three
    /// times the stages' number of reads of 20,000 rows for a common name
    /// at a million records). None otherwise (each count is cheap).
    pub fn stage_counts_under(&self, f: &ListFilter, now: i64) -> Result<Option<Vec<StageCount>>> {
        let Some(stages) = &f.stages else {
            return Ok(None);
        };
        if !f.picks_rows() || !f.notified.is_empty() {
            return Ok(None);
        }
        if let Some(counts) = self.named_stage_counts(f, now)? {
            return Ok(Some(counts));
        }
        let (sql, args) = f.stage_counts_sql(now);
        let mut by_stage: std::collections::HashMap<String, (i64, i64, i64)> =
            std::collections::HashMap::new();
        let mut st = self.conn().prepare_cached(&sql)?;
        let mut rows = st.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            by_stage.insert(r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?));
        }
        Ok(Some(
            stages
                .iter()
                .map(|s| {
                    let (total, breached, at_risk) = by_stage.get(s).copied().unwrap_or_default();
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

    /// How many records match `f` (ignoring its keyset and limit).
    pub fn count(&self, f: &ListFilter, now: i64) -> Result<i64> {
        if let Some(n) = self.quick_count(f)? {
            return Ok(n);
        }
        if let Some(n) = self.attention_count(f, now)? {
            return Ok(n);
        }
        let (sql, args) = f.count_sql(now);
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(args), |r| r.get(0))?)
    }

    /// SQLite's plan for `sql`, one detail line per step (for the tests that
    /// keep the hot queries on their indexes).
    pub fn query_plan(&self, sql: &str, args: &[Value]) -> Result<Vec<String>> {
        let mut st = self.conn().prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let rows = st.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            r.get::<_, String>(3)
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Per-stage totals, breaches, at-risk and unassigned counts: totals
    /// from the maintained `stage_counts`, the time-dependent counts summed
    /// from the breach groups (only records past their warn time are read).
    pub fn stage_counts(&self, now: i64) -> Result<Vec<StageCount>> {
        let mut out: Vec<StageCount> = {
            let mut st = self.conn().prepare_cached(
                "SELECT stage, total, unassigned FROM stage_counts WHERE total > 0",
            )?;
            let rows = st.query_map([], |r| {
                Ok(StageCount {
                    stage: r.get(0)?,
                    total: r.get(1)?,
                    breached: 0,
                    at_risk: 0,
                    unassigned: r.get(2)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        for g in self.breach_groups(now)? {
            if let Some(c) = out.iter_mut().find(|c| c.stage == g.stage) {
                c.breached += g.breached;
                c.at_risk += g.at_risk;
            }
        }
        Ok(out)
    }

    /// `count` for the filters the maintained counts answer directly (the
    /// common views), else None.
    fn quick_count(&self, f: &ListFilter) -> Result<Option<i64>> {
        if f.sla != crate::SlaFilter::Any || f.has_terms() {
            return Ok(None);
        }
        let Some(stages) = &f.stages else {
            return Ok(None);
        };
        let counts: Vec<StageCount> = self.stage_counts_only(stages)?;
        let total: i64 = counts.iter().map(|c| c.total).sum();
        let unassigned: i64 = counts.iter().map(|c| c.unassigned).sum();
        let mine = |u: &str| -> Result<i64> {
            let mut args: Vec<Value> = vec![Value::Text(u.to_string())];
            let marks: Vec<String> = stages
                .iter()
                .map(|s| {
                    args.push(Value::Text(s.clone()));
                    format!("?{}", args.len())
                })
                .collect();
            let sql = format!(
                "SELECT count(*) FROM records WHERE assignee = ?1 AND stage IN ({})",
                marks.join(", ")
            );
            Ok(self
                .conn()
                .prepare_cached(&sql)?
                .query_row(rusqlite::params_from_iter(args), |r| r.get(0))?)
        };
        Ok(Some(match &f.owner {
            OwnerFilter::Any => total,
            OwnerFilter::Unassigned => unassigned,
            OwnerFilter::User(u) => mine(u)?,
            OwnerFilter::UserOrUnassigned(u) => mine(u)? + unassigned,
        }))
    }

    fn stage_counts_only(&self, stages: &[String]) -> Result<Vec<StageCount>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT total, unassigned FROM stage_counts WHERE stage = ?1")?;
        let mut out = Vec::new();
        for s in stages {
            use rusqlite::OptionalExtension;
            if let Some((total, unassigned)) = st
                .query_row([s], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
            {
                out.push(StageCount {
                    stage: s.clone(),
                    total,
                    breached: 0,
                    at_risk: 0,
                    unassigned,
                });
            }
        }
        Ok(out)
    }

    /// A cheap fingerprint of the database: changes whenever anyone commits.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn()
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    pub fn event_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?)
    }
}
