//! Breached and at-risk records by stage and owner: one pass over the
//! attention index, counted here. A SQL `GROUP BY` would sort every
//! past-warn row first (about three times slower at a million records).
//! The board, the Breaches view and its page total read the same pass,
//! kept until the clock moves on or the database changes.

use super::{Result, Store};
use crate::counts::BreachGroup;
use crate::filter::{ListFilter, OwnerFilter, SlaFilter};
use std::collections::HashMap;

/// Every record past its warn time (so every breached one: a running
/// clock's warn time never follows its due time), from the index alone.
pub const ATTENTION_SQL: &str = "SELECT stage, assignee, sort_due
     FROM records INDEXED BY records_attention WHERE warn_at <= ?1";

/// One pass, and the instant and database state it was made at.
#[derive(Debug, Default)]
pub(super) struct Memo {
    key: Option<Key>,
    groups: Vec<BreachGroup>,
}

/// `now`, the other connections' commits (`data_version`) and this
/// connection's own changes: the pass is valid while none of them moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    now: i64,
    data_version: i64,
    changes: u64,
}

impl Store {
    /// The Breaches view's groups as of `now`, by stage then owner
    /// (unassigned first).
    pub fn breach_groups(&self, now: i64) -> Result<Vec<BreachGroup>> {
        let key = self.attention_key(now)?;
        if let Some(groups) = self.memo_at(key) {
            return Ok(groups);
        }
        let groups = scan(self, now)?;
        *self.attention.borrow_mut() = Memo {
            key: Some(key),
            groups: groups.clone(),
        };
        Ok(groups)
    }

    /// How many records match `f`, from a pass already made at `now`, for
    /// the past-warn filters it answers; None otherwise (the count query is
    /// cheaper than a fresh pass).
    pub(super) fn attention_count(&self, f: &ListFilter, now: i64) -> Result<Option<i64>> {
        if !matches!(f.sla, SlaFilter::Attention | SlaFilter::AtRisk) || f.has_terms() {
            return Ok(None);
        }
        let Some(groups) = self.memo_at(self.attention_key(now)?) else {
            return Ok(None);
        };
        let owner_matches = |g: &BreachGroup| match &f.owner {
            OwnerFilter::Any => true,
            OwnerFilter::Unassigned => g.owner.is_none(),
            OwnerFilter::User(u) => g.owner.as_ref() == Some(u),
            OwnerFilter::UserOrUnassigned(u) => g.owner.is_none() || g.owner.as_ref() == Some(u),
        };
        let n = groups
            .iter()
            .filter(|g| f.stages.as_ref().is_none_or(|s| s.contains(&g.stage)))
            .filter(|g| owner_matches(g))
            .map(|g| match f.sla {
                SlaFilter::AtRisk => g.at_risk,
                _ => g.breached + g.at_risk,
            })
            .sum();
        Ok(Some(n))
    }

    fn attention_key(&self, now: i64) -> Result<Key> {
        Ok(Key {
            now,
            data_version: self.data_version()?,
            changes: self.conn().total_changes(),
        })
    }

    fn memo_at(&self, key: Key) -> Option<Vec<BreachGroup>> {
        let memo = self.attention.borrow();
        (memo.key == Some(key)).then(|| memo.groups.clone())
    }
}

/// The pass: each row counted into its (stage, owner) group.
fn scan(store: &Store, now: i64) -> Result<Vec<BreachGroup>> {
    let mut st = store.conn().prepare_cached(ATTENTION_SQL)?;
    let mut rows = st.query([now])?;
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut groups: Vec<BreachGroup> = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    while let Some(row) = rows.next()? {
        let (stage, owner, due) = (|| -> rusqlite::Result<_> {
            Ok((
                row.get_ref(0)?.as_str()?,
                row.get_ref(1)?.as_str_or_null()?,
                row.get_ref(2)?.as_i64()?,
            ))
        })()?;
        // Length-prefixed, so no stage and owner pair can pose as another.
        key.clear();
        key.extend_from_slice(&stage.len().to_le_bytes());
        key.extend_from_slice(stage.as_bytes());
        if let Some(o) = owner {
            key.push(1);
            key.extend_from_slice(o.as_bytes());
        }
        let i = match index.get(key.as_slice()) {
            Some(i) => *i,
            None => {
                groups.push(BreachGroup {
                    stage: stage.to_string(),
                    owner: owner.map(str::to_string),
                    breached: 0,
                    at_risk: 0,
                    oldest_due: due,
                });
                index.insert(key.clone(), groups.len() - 1);
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        if due <= now {
            g.breached += 1;
        } else {
            g.at_risk += 1;
        }
        g.oldest_due = g.oldest_due.min(due);
    }
    // SQLite's order: text by bytes, NULL first.
    groups.sort_by(|a, b| (&a.stage, &a.owner).cmp(&(&b.stage, &b.owner)));
    Ok(groups)
}
