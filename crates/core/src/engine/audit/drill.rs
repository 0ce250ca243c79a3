//! The records behind the audit's counts: what a drill-down from the Audit
//! opens (the filter terms `noaction:yes`, `reason:CODE`, `exited:STAGE`).
//!
//! They come from the very pass that counted them, so a drill-down opens
//! exactly the records its count was made of, as of the audit's `now`.
//! The scan keeps record *slots* (`u32`, the per-record table's index) and
//! turns them into ids once, at the end.

use std::collections::{BTreeMap, HashMap};

/// Record ids behind the counts, each list sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drill {
    /// Per stage (pipeline order): records in it now whose owner has not
    /// acted (`no_owner_action`: unassigned, or the assignee idle past warn).
    pub no_owner_action: Vec<Vec<i64>>,
    /// By breach reason code (`unacknowledged` included): records with a
    /// counted stay that breached for that reason, in any stage.
    pub breached: BTreeMap<String, Vec<i64>>,
    /// Per stage: records that left it for a terminal stage before Active
    /// Care (`exits_before_active_care`).
    pub exits: Vec<Vec<i64>>,
}

impl Drill {
    /// The records with no owner action in stage index `stage`.
    pub fn no_owner_action_in(&self, stage: usize) -> &[i64] {
        self.no_owner_action.get(stage).map_or(&[], Vec::as_slice)
    }

    /// The records with a breach explained by `reason`.
    pub fn breached_for(&self, reason: &str) -> &[i64] {
        self.breached.get(reason).map_or(&[], Vec::as_slice)
    }

    /// The records that left stage index `stage` before Active Care.
    pub fn exits_from(&self, stage: usize) -> &[i64] {
        self.exits.get(stage).map_or(&[], Vec::as_slice)
    }
}

/// What the scan gathers: slots per stage and per interned reason.
#[derive(Default)]
pub(super) struct Slots {
    pub no_owner_action: Vec<Vec<u32>>,
    pub breached: Vec<Vec<u32>>,
    pub exits: Vec<Vec<u32>>,
}

impl Slots {
    pub(super) fn new(stages: usize) -> Slots {
        Slots {
            no_owner_action: vec![Vec::new(); stages],
            breached: Vec::new(),
            exits: vec![Vec::new(); stages],
        }
    }

    pub(super) fn breach(&mut self, reason: u32, slot: u32) {
        let i = reason as usize;
        if self.breached.len() <= i {
            self.breached.resize(i + 1, Vec::new());
        }
        self.breached[i].push(slot);
    }

    /// The ids: `dense[id]` is a record's slot for small ids, `sparse` the
    /// others'; `reasons` names each interned reason.
    pub(super) fn into_drill(
        self,
        records: usize,
        dense: &[u32],
        sparse: &HashMap<i64, u32>,
        reasons: &[String],
    ) -> Drill {
        let mut ids = vec![0i64; records];
        for (id, &slot) in dense.iter().enumerate() {
            if let Some(x) = ids.get_mut(slot as usize) {
                *x = id as i64;
            }
        }
        for (&id, &slot) in sparse {
            if let Some(x) = ids.get_mut(slot as usize) {
                *x = id;
            }
        }
        let to_ids = |slots: Vec<u32>| {
            let mut v: Vec<i64> = slots
                .into_iter()
                .filter_map(|s| ids.get(s as usize).copied())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let breached = self
            .breached
            .into_iter()
            .enumerate()
            .filter(|(_, s)| !s.is_empty())
            .filter_map(|(i, s)| Some((reasons.get(i)?.clone(), to_ids(s))))
            .collect();
        Drill {
            no_owner_action: self.no_owner_action.into_iter().map(to_ids).collect(),
            breached,
            exits: self.exits.into_iter().map(to_ids).collect(),
        }
    }
}
