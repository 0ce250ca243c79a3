//! The pipelines the log ran under, each with the event that put it in
//! force, checked against what that event logged.

use carequeue_core::domain::Pipeline;
use carequeue_core::engine::Record;
use carequeue_core::engine::retime::{self, Stay};
use carequeue_core::log::EventKind;
use carequeue_store::Result;
use carequeue_store::pipelines::{how_stored, pipeline_hash};
use carequeue_store::verify::{Problem, Problems, Verifiable};
use std::collections::{BTreeMap, HashSet};

/// One stored version as its event logged it.
pub(super) struct Version {
    pub event: i64,
    pub pipeline: Pipeline,
    /// `init`, `adopt` or `apply`.
    pub how: String,
    pub actor: String,
}

pub(super) struct Versions(Vec<Version>);

impl Versions {
    pub(super) fn load(src: &dyn Verifiable, found: &mut Problems) -> Result<Versions> {
        let logged: BTreeMap<i64, (String, Option<String>, String)> = src
            .team_events()?
            .into_iter()
            .filter(|e| e.kind.is(EventKind::Pipeline) || e.kind.is(EventKind::PipelineApplied))
            .map(|e| {
                let hash = e
                    .data
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                    .and_then(|d| d["hash"].as_str().map(str::to_string));
                (e.id, (how_stored(e.data.as_deref()), hash, e.actor))
            })
            .collect();
        let mut out = Vec::new();
        for v in src.pipeline_versions()? {
            if pipeline_hash(&v.text) != v.hash {
                found.push(Problem::Pipeline(format!(
                    "pipeline version {} does not match its recorded hash (its text was edited)",
                    v.version
                )));
            }
            let Some((how, hash, actor)) = logged.get(&v.event_id) else {
                found.push(Problem::Pipeline(format!(
                    "pipeline version {} names event {}, which is no pipeline event",
                    v.version, v.event_id
                )));
                continue;
            };
            if hash.as_deref() != Some(v.hash.as_str()) {
                found.push(Problem::Pipeline(format!(
                    "pipeline version {} is not the one event {} logged",
                    v.version, v.event_id
                )));
            }
            match carequeue_core::domain::check(&v.text).pipeline {
                Some(pipeline) => out.push(Version {
                    event: v.event_id,
                    pipeline,
                    how: how.clone(),
                    actor: actor.clone(),
                }),
                None => found.push(Problem::Pipeline(format!(
                    "pipeline version {} no longer passes its checks",
                    v.version
                ))),
            }
        }
        Ok(Versions(out))
    }

    /// The pipeline in force for event `id`: the last put in force before
    /// it (events from before the first stored pipeline use the first).
    pub(super) fn at<'a>(&'a self, id: i64, fallback: &'a Pipeline) -> &'a Pipeline {
        let i = self.0.partition_point(|v| v.event < id);
        match i {
            0 => self.0.first().map_or(fallback, |v| &v.pipeline),
            i => &self.0[i - 1].pipeline,
        }
    }

    /// The id of the first pipeline event: events before it come from a
    /// database made before pipelines were stored, and are not judged.
    pub(super) fn first_event(&self) -> i64 {
        self.0.first().map_or(i64::MAX, |v| v.event)
    }

    /// The `adopt` that gave a legacy database its pipeline: its event and
    /// its actor (the file's owner), the one who writes the snapshots.
    pub(super) fn adopted(&self) -> Option<(i64, &str)> {
        self.0
            .iter()
            .find(|v| v.how == "adopt")
            .map(|v| (v.event, v.actor.as_str()))
    }

    /// The `pipeline apply`s: each event, its actor and the pipeline it
    /// put in force (the renames it makes come with it).
    pub(super) fn applies(&self) -> impl Iterator<Item = (i64, &str, &Pipeline)> {
        self.0
            .iter()
            .filter(|v| v.how == "apply")
            .map(|v| (v.event, v.actor.as_str(), &v.pipeline))
    }

    /// For each version after the first, the stages whose open records
    /// its apply re-timed.
    pub(super) fn retimed(&self) -> Vec<HashSet<String>> {
        self.0
            .windows(2)
            .map(|w| {
                retime::changed_stages(&w[0].pipeline, &w[1].pipeline)
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
        for (j, v) in self.0.iter().enumerate().skip(1) {
            if v.event <= after || v.event >= before {
                continue;
            }
            retime::carry_roles(&v.pipeline, state);
            if retimed[j - 1].contains(&state.stage) {
                retime::retime(&v.pipeline, state, stay);
            }
        }
    }
}
