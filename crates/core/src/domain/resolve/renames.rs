//! `renamed_from` on stages, roles and events: each old id names the item
//! that now carries it. An old id may not still be in use in the same
//! pipeline, and may not be claimed twice.

use super::{Resolver, S, sp};
use crate::domain::Renames;
use crate::domain::codes as c;
use crate::domain::model::{RoleIx, StageIx, TransitionIx};
use crate::domain::raw::RawPipeline;
use std::collections::HashMap;

impl Resolver {
    pub(super) fn renames(
        &mut self,
        raw: &RawPipeline,
        stages: &HashMap<String, usize>,
        roles: &HashMap<String, usize>,
        events: &HashMap<String, usize>,
    ) -> Renames {
        Renames {
            stages: self.old_ids(
                "stage",
                stages,
                raw.stages.iter().map(|s| &s.renamed_from),
                StageIx,
            ),
            roles: self.old_ids(
                "role",
                roles,
                raw.roles.iter().map(|r| &r.renamed_from),
                RoleIx,
            ),
            events: self.old_ids(
                "event",
                events,
                raw.transitions.iter().map(|t| &t.renamed_from),
                TransitionIx,
            ),
        }
    }

    fn old_ids<'a, T: Copy>(
        &mut self,
        kind: &str,
        current: &HashMap<String, usize>,
        lists: impl Iterator<Item = &'a Vec<S>>,
        wrap: fn(usize) -> T,
    ) -> HashMap<String, T> {
        let mut out = HashMap::new();
        for (i, list) in lists.enumerate() {
            for old in list {
                let id = old.get_ref();
                if current.contains_key(id) {
                    self.err(
                        c::RENAMED_FROM_IN_USE,
                        sp(old),
                        format!(
                            "`renamed_from` names {kind} `{id}`, which this pipeline still has"
                        ),
                    );
                } else if out.insert(id.clone(), wrap(i)).is_some() {
                    self.err(
                        c::RENAMED_FROM_TWICE,
                        sp(old),
                        format!("old {kind} id `{id}` is claimed by two `renamed_from` lists"),
                    );
                }
            }
        }
        out
    }
}
