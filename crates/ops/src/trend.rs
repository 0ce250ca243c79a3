//! `carequeue trend`: how the pipeline moves bucket by bucket (day, week or
//! month in the pipeline's time zone), from the event feed and the stage
//! audit:
//!
//! - **flow**: records in each phase at the end of each bucket (a record
//!   counts in the phase of its stage, terminal stages included, from its
//!   creation on): a cumulative flow diagram's bands;
//! - **throughput**: records entering the active-care phase for the first
//!   time in the bucket, and transitions into a terminal stage, by its
//!   disposition;
//! - **breach rate** per stage: of the stays that entered the stage in the
//!   bucket, the share that breached (the audit's cohort by entry and its
//!   breach, judged under today's SLA, as of now);
//! - **cycle time**: for the records whose first entry into active care
//!   fell in the bucket, the wall time from their creation to it: median,
//!   p90, and over the whole range a control chart's points, mean and
//!   limits (mean ± 3 standard deviations, the lower one at least 0).

use carequeue_core::domain::Pipeline;
use carequeue_core::engine::audit::AuditReport;
use carequeue_core::engine::audit::stats;
use carequeue_core::log::EventKind;
use carequeue_store::feed::FeedEvent;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Day,
    Week,
    Month,
}

impl By {
    pub fn parse(s: &str) -> Option<By> {
        match s {
            "day" => Some(By::Day),
            "week" => Some(By::Week),
            "month" => Some(By::Month),
            _ => None,
        }
    }
}

/// The start (local midnight, a Monday for weeks, the 1st for months) of
/// the bucket holding local date `d`.
fn bucket_start(by: By, d: NaiveDate) -> NaiveDate {
    match by {
        By::Day => d,
        By::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
        By::Month => d.with_day(1).unwrap_or(d),
    }
}

fn next(by: By, d: NaiveDate) -> NaiveDate {
    match by {
        By::Day => d + Duration::days(1),
        By::Week => d + Duration::days(7),
        By::Month => d
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(d + Duration::days(31)),
    }
}

fn local_midnight(p: &Pipeline, d: NaiveDate) -> i64 {
    let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    p.timezone
        .from_local_datetime(&naive)
        .earliest()
        .map_or(naive.and_utc().timestamp(), |t| t.timestamp())
}

/// The buckets' edges (unix seconds), from the bucket holding `since` to
/// the one holding `until - 1`. Past `max` buckets it stops at `max + 1`
/// of them, so a caller sees the range was too long.
pub fn edges(p: &Pipeline, since: i64, until: i64, by: By, max: usize) -> Vec<i64> {
    let local = |t: i64| {
        DateTime::<Utc>::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&p.timezone)
            .date_naive()
    };
    let mut d = bucket_start(by, local(since));
    let mut out = vec![local_midnight(p, d)];
    while *out.last().unwrap_or(&until) < until && out.len() <= max + 1 {
        d = next(by, d);
        out.push(local_midnight(p, d));
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRate {
    pub stage: String,
    pub stays: u64,
    pub breaches: u64,
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cycle {
    pub records: u64,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    pub start: String,
    pub end: String,
    /// Records in each phase (by id) at the bucket's end.
    pub flow: BTreeMap<String, u64>,
    pub entered_active_care: u64,
    /// Transitions into a terminal stage, by its disposition (`none`
    /// where the stage names none).
    pub exits: BTreeMap<String, u64>,
    pub breach_rate: Vec<StageRate>,
    pub cycle: Cycle,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub record: i64,
    pub at: String,
    pub seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Control {
    pub mean_seconds: Option<i64>,
    pub upper_seconds: Option<i64>,
    pub lower_seconds: Option<i64>,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub pipeline: String,
    pub by: String,
    pub active_care_phase: Option<String>,
    pub buckets: Vec<Bucket>,
    pub cycle_control: Control,
}

/// The control chart in days, ready to draw: the x range (the buckets',
/// in days since the epoch), each record's point, the mean and the limits,
/// and a top for the y axis above all of them.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlChart {
    pub x: (f64, f64),
    pub points: Vec<(f64, f64)>,
    pub mean: Option<f64>,
    pub upper: Option<f64>,
    pub lower: Option<f64>,
    pub top: f64,
}

impl Trend {
    /// The cycle-time control chart in days, for the console and the report.
    pub fn control_chart(&self) -> ControlChart {
        const DAY: f64 = 86_400.0;
        let c = &self.cycle_control;
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.timestamp() as f64 / DAY)
                .unwrap_or(0.0)
        };
        let x = match (self.buckets.first(), self.buckets.last()) {
            (Some(a), Some(b)) => (at(&a.start), at(&b.end)),
            _ => (0.0, 1.0),
        };
        let points: Vec<(f64, f64)> = c
            .points
            .iter()
            .map(|p| (at(&p.at), p.seconds as f64 / DAY))
            .collect();
        let days = |s: Option<i64>| s.map(|s| s as f64 / DAY);
        let upper = days(c.upper_seconds);
        let top = upper
            .into_iter()
            .chain(points.iter().map(|p| p.1))
            .fold(1.0f64, f64::max)
            * 1.1;
        ControlChart {
            x,
            points,
            mean: days(c.mean_seconds),
            upper,
            lower: days(c.lower_seconds),
            top,
        }
    }
}

#[derive(Clone, Copy)]
struct Rec {
    phase: Option<usize>,
    created: i64,
    active: bool,
}

/// Reads the feed's events (log order) into the buckets of `edges`.
pub struct Trender<'p> {
    p: &'p Pipeline,
    edges: Vec<i64>,
    recs: HashMap<i64, Rec>,
    /// Per phase: records in it before the first bucket.
    start: Vec<i64>,
    /// Per bucket and phase: records in minus out.
    delta: Vec<Vec<i64>>,
    entered_active: Vec<u64>,
    exits: Vec<BTreeMap<String, u64>>,
    cycles: Vec<Vec<(i64, i64, i64)>>,
}

fn time(t: i64) -> String {
    carequeue_core::engine::clock::from_unix(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl<'p> Trender<'p> {
    pub fn new(p: &'p Pipeline, edges: Vec<i64>) -> Trender<'p> {
        let n = edges.len().saturating_sub(1);
        let phases = p.phases.len();
        Trender {
            p,
            recs: HashMap::new(),
            start: vec![0; phases],
            delta: vec![vec![0; phases]; n],
            entered_active: vec![0; n],
            exits: vec![BTreeMap::new(); n],
            cycles: vec![Vec::new(); n],
            edges,
        }
    }

    /// The bucket holding `t`: `Err(true)` before the first, `Err(false)`
    /// after the last.
    fn bucket(&self, t: i64) -> Result<usize, bool> {
        match self.edges.first() {
            Some(first) if t < *first => return Err(true),
            None => return Err(false),
            _ => {}
        }
        let i = self.edges.partition_point(|e| *e <= t);
        if i >= self.edges.len() {
            Err(false)
        } else {
            Ok(i - 1)
        }
    }

    pub fn push(&mut self, e: &FeedEvent) {
        let Some(id) = e.record_id else { return };
        let p = self.p;
        let stage = e.stage.as_deref().and_then(|s| p.stage_ix_or_renamed(s));
        let phase = stage.map(|s| p.stage(s).phase.0);
        let at = self.bucket(e.at);
        if at == Err(false) {
            return;
        }
        let rec = self.recs.entry(id).or_insert(Rec {
            phase: None,
            created: e.at,
            active: false,
        });
        let kind = e.kind.known();
        if kind == Some(EventKind::Create) {
            rec.created = e.at;
        }
        let was = rec.phase;
        if phase.is_some() && phase != was {
            rec.phase = phase;
            let counts: &mut Vec<i64> = match at {
                Ok(b) => &mut self.delta[b],
                Err(_) => &mut self.start,
            };
            if let Some(w) = was {
                counts[w] -= 1;
            }
            if let Some(n) = phase {
                counts[n] += 1;
            }
        }
        let enters = kind.is_some_and(EventKind::enters_stage);
        let Some(s) = stage.filter(|_| enters) else {
            return;
        };
        let st = p.stage(s);
        let active = p.phases[st.phase.0].active_care;
        let created = rec.created;
        if active && !rec.active {
            rec.active = true;
            if let Ok(b) = at {
                self.entered_active[b] += 1;
                self.cycles[b].push((id, e.at, e.at - created));
            }
        }
        if st.terminal
            && kind != Some(EventKind::Create)
            && let Ok(b) = at
        {
            let d = st.disposition.clone().unwrap_or_else(|| "none".into());
            *self.exits[b].entry(d).or_default() += 1;
        }
    }

    /// The report; `audits[b]` is the stage audit of bucket `b`'s range.
    pub fn finish(self, by: By, audits: &[AuditReport]) -> Trend {
        let p = self.p;
        let mut flow = self.start.clone();
        let mut buckets = Vec::new();
        let mut all: Vec<(i64, i64, i64)> = Vec::new();
        for (b, delta) in self.delta.iter().enumerate() {
            for (f, d) in flow.iter_mut().zip(delta) {
                *f += d;
            }
            let mut secs: Vec<u32> = self.cycles[b]
                .iter()
                .map(|c| u32::try_from(c.2.max(0)).unwrap_or(u32::MAX))
                .collect();
            secs.sort_unstable();
            all.extend(self.cycles[b].iter().copied());
            let breach_rate = audits
                .get(b)
                .map(|a| {
                    a.stages
                        .iter()
                        .filter(|s| !s.terminal && s.entered > 0)
                        .map(|s| StageRate {
                            stage: s.stage.clone(),
                            stays: s.entered,
                            breaches: s.breaches,
                            rate: s.breaches as f64 / s.entered as f64,
                        })
                        .collect()
                })
                .unwrap_or_default();
            buckets.push(Bucket {
                start: time(self.edges[b]),
                end: time(self.edges[b + 1]),
                flow: p
                    .phases
                    .iter()
                    .zip(&flow)
                    .map(|(ph, n)| (ph.id.clone(), u64::try_from(*n).unwrap_or(0)))
                    .collect(),
                entered_active_care: self.entered_active[b],
                exits: self.exits[b].clone(),
                breach_rate,
                cycle: Cycle {
                    records: secs.len() as u64,
                    median_seconds: stats::secs(stats::median(&secs)),
                    p90_seconds: stats::secs(stats::percentile(&secs, 0.9)),
                },
            });
        }
        let values: Vec<u32> = all
            .iter()
            .map(|c| u32::try_from(c.2.max(0)).unwrap_or(u32::MAX))
            .collect();
        let mean = stats::mean(&values);
        let sd = stats::stddev(&values);
        let limit = |k: f64| match (mean, sd) {
            (Some(m), Some(s)) => stats::secs(Some((m + k * s).max(0.0))),
            (Some(m), None) => stats::secs(Some(m)),
            _ => None,
        };
        Trend {
            pipeline: p.name.clone(),
            by: match by {
                By::Day => "day",
                By::Week => "week",
                By::Month => "month",
            }
            .into(),
            active_care_phase: p
                .phases
                .iter()
                .find(|ph| ph.active_care)
                .map(|ph| ph.id.clone()),
            buckets,
            cycle_control: Control {
                mean_seconds: stats::secs(mean),
                upper_seconds: limit(3.0),
                lower_seconds: limit(-3.0),
                points: all
                    .iter()
                    .map(|(r, at, s)| Point {
                        record: *r,
                        at: time(*at),
                        seconds: *s,
                    })
                    .collect(),
            },
        }
    }
}

/// The trend of `store` from `since` to `until` by `by` as of `now`: the
/// feed read once, a stage audit per bucket. The caller logs the read.
pub fn compute(
    p: &Pipeline,
    store: &dyn carequeue_store::Board,
    (since, until): (i64, i64),
    by: By,
    max_buckets: usize,
    now: DateTime<Utc>,
) -> carequeue_store::Result<Trend> {
    let edges = edges(p, since, until, by, max_buckets);
    let mut t = Trender::new(p, edges.clone());
    let mut q = carequeue_store::feed::FeedQuery {
        after: 0,
        kinds: Vec::new(),
        limit: 5000,
        with_phi: false,
    };
    loop {
        let rows = store.feed(&q)?;
        for e in &rows {
            t.push(e);
        }
        match rows.last() {
            Some(last) if rows.len() == q.limit => q.after = last.seq,
            _ => break,
        }
    }
    let mut audits = Vec::new();
    for w in edges.windows(2) {
        let range = carequeue_core::engine::audit::AuditRange {
            since: Some(w[0]),
            until: Some(w[1]),
        };
        audits.push(store.audit(p, range, now)?);
    }
    Ok(t.finish(by, &audits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Pipeline {
        carequeue_core::domain::check(carequeue_core::domain::DEFAULT_PIPELINE)
            .pipeline
            .unwrap_or_else(|| panic!("the default pipeline checks"))
    }

    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.timestamp())
            .unwrap_or(0)
    }

    #[test]
    fn buckets_start_at_local_midnight_on_monday_and_say_when_too_many() {
        let p = p();
        // Wednesday 2026-11-25 in New York, to Thursday of the next week.
        let e = edges(
            &p,
            at("2026-11-25T15:00:00Z"),
            at("2026-12-03T15:00:00Z"),
            By::Week,
            10,
        );
        assert_eq!(e.len(), 3, "two weeks: {e:?}");
        // Monday 2026-11-23 00:00 EST is 05:00 UTC.
        assert_eq!(e[0], at("2026-11-23T05:00:00Z"));
        assert_eq!(e[1], at("2026-11-30T05:00:00Z"));
        let m = edges(
            &p,
            at("2026-01-15T12:00:00Z"),
            at("2026-03-02T12:00:00Z"),
            By::Month,
            10,
        );
        assert_eq!(m.len(), 4, "January to March");
        let many = edges(
            &p,
            at("2026-01-01T12:00:00Z"),
            at("2026-12-01T12:00:00Z"),
            By::Day,
            30,
        );
        assert!(many.len() > 31, "past the limit it says so: {}", many.len());
    }
}
