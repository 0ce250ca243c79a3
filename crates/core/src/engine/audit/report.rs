//! The audit's result: per-stage rows, exits before Active Care and breach
//! reasons, serialised as `audit --json` (SPEC keys plus extras).

use super::drill::Drill;
use super::stats::{Summary, secs};
use super::tally::{Acc, Tally};
use super::util::Samples;
use super::{AuditRange, UNACKNOWLEDGED};
use crate::domain::Pipeline;
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    /// The taxonomy label, when the pipeline still has the code.
    pub label: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExitCount {
    pub stage: String,
    pub name: String,
    pub count: u64,
}

/// One stage's row. `*_seconds` are whole seconds; `null` when the stage
/// counted no stays (or is terminal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageAudit {
    pub stage: String,
    pub name: String,
    pub phase: String,
    pub terminal: bool,
    /// Counted stays (entered in the range).
    pub entered: u64,
    /// Records in the stage now.
    pub current: u64,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    pub stddev_seconds: Option<i64>,
    pub breaches: u64,
    pub no_owner_action: u64,
    pub p25_seconds: Option<i64>,
    pub p75_seconds: Option<i64>,
    pub iqr_seconds: Option<i64>,
    pub mean_seconds: Option<i64>,
    pub max_seconds: Option<i64>,
    pub median_wall_seconds: Option<i64>,
    pub p90_wall_seconds: Option<i64>,
    pub stddev_wall_seconds: Option<i64>,
    pub iqr_wall_seconds: Option<i64>,
    pub re_entries: u64,
    /// Records with counted stays here (the base of the two averages).
    pub records: u64,
    pub avg_latest_seconds: Option<i64>,
    pub avg_cumulative_seconds: Option<i64>,
    /// Of `no_owner_action`: records with no assignee.
    pub unassigned: u64,
    /// Of `no_owner_action`: assigned, but the assignee idle past warn.
    pub idle_owner: u64,
    pub sla_max_seconds: Option<i64>,
    pub sla_warn_seconds: Option<i64>,
    pub breaches_by_reason: Vec<ReasonCount>,
    /// The median as a share of the stage's SLA (0.5: half of it); None
    /// without an SLA or a median.
    pub median_of_sla: Option<f64>,
    /// The standard deviation as a share of the stage's SLA.
    pub stddev_of_sla: Option<f64>,
    /// Position when ranked by median against the stage's SLA (1 = the
    /// largest share; stages without an SLA after, by raw median).
    pub median_rank: Option<usize>,
    /// Position when ranked by standard deviation against the SLA.
    pub spread_rank: Option<usize>,
    pub highest_median: bool,
    pub widest_variance: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    pub pipeline: String,
    #[serde(serialize_with = "opt_time")]
    pub since: Option<i64>,
    #[serde(serialize_with = "opt_time")]
    pub until: Option<i64>,
    #[serde(serialize_with = "time")]
    pub as_of: i64,
    pub stages: Vec<StageAudit>,
    /// The phase marked `active_care`, if any.
    pub active_care_phase: Option<String>,
    pub exits_before_active_care: Vec<ExitCount>,
    pub breaches_by_reason: Vec<ReasonCount>,
    pub highest_median: Option<String>,
    pub widest_variance: Option<String>,
    /// Stage ids by median against their SLA, highest first.
    pub rank_by_median: Vec<String>,
    /// Stage ids by standard deviation against their SLA, widest first.
    pub rank_by_spread: Vec<String>,
    pub records: u64,
    pub events: u64,
    /// Where the figures were read from.
    pub stays: StaysUse,
    /// The records behind the counts (not in `audit --json`).
    #[serde(skip)]
    pub drill: Drill,
}

/// Where an audit's figures were read from: the same numbers either way,
/// only the cost differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaysUse {
    /// The stays table, kept current by every write.
    #[default]
    Stays,
    /// The log: the stays table is being rebuilt after a pipeline change
    /// (calendars or pause rules) and does not answer yet.
    Rebuilding,
    /// The log: the pipeline is not the stored one (a what-if), or the
    /// audit is as of a time before the latest event.
    Log,
}

fn rfc3339(t: i64) -> String {
    crate::engine::clock::from_unix(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn time<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

fn opt_time<S: Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

fn avg(sum: u64, n: u64) -> Option<i64> {
    (n > 0).then(|| (sum as f64 / n as f64).round() as i64)
}

/// Counts by reason, most first, then by code.
fn reason_counts(p: &Pipeline, names: &[String], counts: &[u64]) -> Vec<ReasonCount> {
    let mut out: Vec<ReasonCount> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .filter_map(|(i, c)| {
            let reason = names.get(i)?.clone();
            let label = if reason == UNACKNOWLEDGED {
                Some("No reason recorded".to_string())
            } else {
                p.reason_label(&reason).map(str::to_string)
            };
            Some(ReasonCount {
                reason,
                label,
                count: *c,
            })
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    out
}

/// (records with counted stays, Σ their latest stay, Σ all their stays):
/// walking the stays newest first, a record's first sighting is its latest.
/// Call before the samples are sorted. `seen` is a cleared bitset.
fn latest_cumulative(acc: &Acc, seen: &mut [u64]) -> (u64, u64, u64) {
    let (mut n, mut latest, mut cum) = (
        acc.once + acc.grouped,
        acc.once_time + acc.grouped_latest,
        acc.once_time + acc.grouped_cum,
    );
    let pairs = acc.slots.chunks().iter().zip(acc.active.chunks());
    let stays = pairs.rev().flat_map(|(s, t)| s.iter().zip(t).rev());
    for (&slot, &t) in stays {
        cum += u64::from(t);
        let (w, bit) = (slot as usize / 64, 1u64 << (slot % 64));
        if let Some(word) = seen.get_mut(w)
            && *word & bit == 0
        {
            *word |= bit;
            n += 1;
            latest += u64::from(t);
        }
    }
    for &slot in acc.slots.chunks().iter().flatten() {
        if let Some(word) = seen.get_mut(slot as usize / 64) {
            *word = 0;
        }
    }
    (n, latest, cum)
}

impl AuditReport {
    pub(super) fn build(p: &Pipeline, range: AuditRange, now: i64, mut a: Tally) -> AuditReport {
        let names = std::mem::take(&mut a.reasons);
        let mut totals: Vec<u64> = vec![0; names.len()];
        let mut stages = Vec::with_capacity(p.stages.len());
        // (stage, median, stddev, stays, SLA max): ranked against the SLA.
        let mut spreads: Vec<(usize, f64, f64, usize, Option<f64>)> = Vec::new();
        let records = a.records;
        let mut seen = vec![0u64; records.div_ceil(64)];
        for (six, st) in p.stage_ids() {
            let acc = &mut a.acc[six.0];
            let per_record = latest_cumulative(acc, &mut seen);
            // Release the samples as soon as they are summarised.
            acc.slots = Samples::default();
            let s = Summary::of(&mut std::mem::take(&mut acc.active).into_vec());
            let w = if acc.wall_differs {
                Summary::of(&mut std::mem::take(&mut acc.wall).into_vec())
            } else {
                s
            };
            for (i, c) in acc.by_reason.iter().enumerate() {
                if let Some(t) = totals.get_mut(i) {
                    *t += c;
                }
            }
            let sla = st.sla.as_ref().map(|x| x.max.0 as f64).filter(|m| *m > 0.0);
            if !st.terminal && s.n > 0 {
                let (m, d) = (s.median.unwrap_or(0.0), s.stddev.unwrap_or(0.0));
                spreads.push((six.0, m, d, s.n, sla));
            }
            let of_sla = |v: Option<f64>| Some(v? / sla?);
            stages.push(StageAudit {
                stage: st.id.clone(),
                name: st.name.clone(),
                phase: p.phases[st.phase.0].id.clone(),
                terminal: st.terminal,
                entered: acc.entered,
                current: acc.current,
                median_seconds: secs(s.median),
                p90_seconds: secs(s.p90),
                stddev_seconds: secs(s.stddev),
                breaches: acc.breaches,
                no_owner_action: acc.unassigned + acc.idle_owner,
                p25_seconds: secs(s.p25),
                p75_seconds: secs(s.p75),
                iqr_seconds: secs(s.iqr),
                mean_seconds: secs(s.mean),
                max_seconds: s.max.map(i64::from),
                median_wall_seconds: secs(w.median),
                p90_wall_seconds: secs(w.p90),
                stddev_wall_seconds: secs(w.stddev),
                iqr_wall_seconds: secs(w.iqr),
                re_entries: acc.re_entries,
                records: per_record.0,
                avg_latest_seconds: avg(per_record.1, per_record.0),
                avg_cumulative_seconds: avg(per_record.2, per_record.0),
                unassigned: acc.unassigned,
                idle_owner: acc.idle_owner,
                sla_max_seconds: st.sla.as_ref().map(|x| x.max.0),
                sla_warn_seconds: st.sla.as_ref().map(|x| x.warn.0),
                breaches_by_reason: reason_counts(p, &names, &acc.by_reason),
                median_of_sla: of_sla(s.median),
                stddev_of_sla: of_sla(s.stddev),
                median_rank: None,
                spread_rank: None,
                highest_median: false,
                widest_variance: false,
            });
        }
        // Each stage is judged against its own SLA: a 50-day stage with a
        // 90-day SLA is not slower than a 4-hour one at 150% of its SLA.
        // Stages without an SLA come after, by raw duration. Stable sorts
        // keep pipeline order among ties.
        let judged = |v: f64, sla: Option<f64>| (sla.is_some(), sla.map_or(v, |m| v / m));
        let order = |a: (bool, f64), b: (bool, f64)| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1));
        let mut by_median = spreads.clone();
        by_median.sort_by(|x, y| order(judged(x.1, x.4), judged(y.1, y.4)));
        let mut by_spread = spreads;
        by_spread.sort_by(|x, y| order(judged(x.2, x.4), judged(y.2, y.4)));
        for (rank, (ix, ..)) in by_median.iter().enumerate() {
            stages[*ix].median_rank = Some(rank + 1);
        }
        for (rank, (ix, ..)) in by_spread.iter().enumerate() {
            stages[*ix].spread_rank = Some(rank + 1);
        }
        // A mark needs an SLA to be judged against.
        let highest = by_median
            .first()
            .filter(|x| x.1 > 0.0 && x.4.is_some())
            .map(|x| x.0);
        let widest = by_spread
            .first()
            .filter(|x| x.2 > 0.0 && x.3 >= 2 && x.4.is_some())
            .map(|x| x.0);
        if let Some(i) = highest {
            stages[i].highest_median = true;
        }
        if let Some(i) = widest {
            stages[i].widest_variance = true;
        }
        let mut exits: Vec<ExitCount> = p
            .stage_ids()
            .filter(|(s, _)| a.exits[s.0] > 0)
            .map(|(s, st)| ExitCount {
                stage: st.id.clone(),
                name: st.name.clone(),
                count: a.exits[s.0],
            })
            .collect();
        exits.extend(a.exits_unknown.iter().map(|(id, c)| ExitCount {
            stage: id.clone(),
            name: id.clone(),
            count: *c,
        }));
        // Most first; stable, so pipeline order among ties.
        exits.sort_by_key(|x| std::cmp::Reverse(x.count));
        AuditReport {
            pipeline: p.name.clone(),
            since: range.since,
            until: range.until,
            as_of: now,
            active_care_phase: p
                .phases
                .iter()
                .find(|ph| ph.active_care)
                .map(|ph| ph.id.clone()),
            exits_before_active_care: exits,
            breaches_by_reason: reason_counts(p, &names, &totals),
            highest_median: highest.map(|i| stages[i].stage.clone()),
            widest_variance: widest.map(|i| stages[i].stage.clone()),
            rank_by_median: by_median
                .iter()
                .map(|x| stages[x.0].stage.clone())
                .collect(),
            rank_by_spread: by_spread
                .iter()
                .map(|x| stages[x.0].stage.clone())
                .collect(),
            stages,
            records: records as u64,
            events: a.events,
            stays: StaysUse::Stays,
            drill: a.drill,
        }
    }

    /// The row of stage `id`.
    pub fn stage(&self, id: &str) -> Option<&StageAudit> {
        self.stages.iter().find(|s| s.stage == id)
    }
}
