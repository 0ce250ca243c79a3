//! Marked records, for bulk actions: kept by id with the record as last
//! seen, so marks survive scrolling, paging, view changes and live updates.

use crate::engine::Record;
use std::collections::BTreeMap;

/// At most this many records are marked at once.
pub const MAX_MARKS: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub struct Marks {
    records: BTreeMap<i64, Record>,
    /// Where a range mark (`v`) started: the absolute row index.
    pub anchor: Option<usize>,
}

impl Marks {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn contains(&self, id: i64) -> bool {
        self.records.contains_key(&id)
    }

    /// Marks `r`, or unmarks it if it was marked. False if the cap is hit.
    pub fn toggle(&mut self, r: &Record) -> bool {
        if self.records.remove(&r.id).is_some() {
            return true;
        }
        self.add(r)
    }

    /// Marks `r` (kept as it is now). False if the cap is hit.
    pub fn add(&mut self, r: &Record) -> bool {
        if self.records.len() >= MAX_MARKS && !self.records.contains_key(&r.id) {
            return false;
        }
        self.records.insert(r.id, r.clone());
        true
    }

    pub fn remove(&mut self, id: i64) {
        self.records.remove(&id);
    }

    pub fn clear(&mut self) {
        self.records.clear();
        self.anchor = None;
    }

    /// A fresher copy of a marked record (a page arrived with it).
    pub fn refresh(&mut self, r: &Record) {
        if let Some(m) = self.records.get_mut(&r.id) {
            *m = r.clone();
        }
    }

    /// The marked records as last seen, by id.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::replay;

    #[test]
    fn toggling_marks_and_unmarks_and_the_cap_holds() {
        let mut m = Marks::default();
        let r = replay::empty(7);
        assert!(m.toggle(&r));
        assert!(m.contains(7));
        assert!(m.toggle(&r));
        assert!(m.is_empty());
        for id in 0..MAX_MARKS as i64 {
            assert!(m.add(&replay::empty(id)));
        }
        assert!(!m.add(&replay::empty(-1)), "the cap is {MAX_MARKS}");
        assert!(
            m.add(&replay::empty(3)),
            "re-marking a marked record is fine"
        );
        assert_eq!(m.len(), MAX_MARKS);
    }
}
