//! The pipelines the log ran under, each with the id of the event that put
//! it in force, checked against what that event logged.

use carequeue_core::domain::Pipeline;
use carequeue_core::engine::Record;
use carequeue_core::engine::retime::{self, Stay};
use carequeue_store::Result;
use carequeue_store::pipelines::pipeline_hash;
use carequeue_store::verify::{Problem, Verifiable};
use std::collections::HashSet;

pub(super) struct Versions(Vec<(i64, Pipeline)>);

impl Versions {
    pub(super) fn load(src: &dyn Verifiable) -> Result<std::result::Result<Versions, Problem>> {
        let mut out = Vec::new();
        for v in src.pipeline_versions()? {
            if pipeline_hash(&v.text) != v.hash {
                return Ok(Err(Problem::Pipeline(format!(
                    "pipeline version {} does not match its recorded hash (its text was edited)",
                    v.version
                ))));
            }
            if src.logged_pipeline_hash(v.event_id)?.as_deref() != Some(v.hash.as_str()) {
                return Ok(Err(Problem::Pipeline(format!(
                    "pipeline version {} is not the one event {} logged",
                    v.version, v.event_id
                ))));
            }
            match carequeue_core::domain::check(&v.text).pipeline {
                Some(p) => out.push((v.event_id, p)),
                None => {
                    return Ok(Err(Problem::Pipeline(format!(
                        "pipeline version {} no longer passes its checks",
                        v.version
                    ))));
                }
            }
        }
        Ok(Ok(Versions(out)))
    }

    /// The pipeline in force for event `id`: the last put in force before
    /// it (events from before the first stored pipeline use the first).
    pub(super) fn at<'a>(&'a self, id: i64, fallback: &'a Pipeline) -> &'a Pipeline {
        let i = self.0.partition_point(|(e, _)| *e < id);
        match i {
            0 => self.0.first().map_or(fallback, |(_, p)| p),
            i => &self.0[i - 1].1,
        }
    }

    /// The id of the first pipeline event: permission checks start there.
    pub(super) fn first_event(&self) -> i64 {
        self.0.first().map_or(i64::MAX, |(e, _)| *e)
    }

    /// For each version after the first, the stages whose open records
    /// its apply re-timed.
    pub(super) fn retimed(&self) -> Vec<HashSet<String>> {
        self.0
            .windows(2)
            .map(|w| {
                retime::changed_stages(&w[0].1, &w[1].1)
                    .into_iter()
                    .collect()
            })
            .collect()
    }

    /// What each apply between events `after` and `before` (exclusive) did
    /// to the open record `state`, as `pipeline apply` did it.
    pub(super) fn cross(
        &self,
        retimed: &[HashSet<String>],
        after: i64,
        before: i64,
        state: &mut Record,
        stay: &Stay,
    ) {
        for (j, (event, p)) in self.0.iter().enumerate().skip(1) {
            if *event <= after || *event >= before {
                continue;
            }
            retime::carry_roles(p, state);
            if retimed[j - 1].contains(&state.stage) {
                retime::retime(p, state, stay);
            }
        }
    }
}
