//! `carequeue demo`: a database with a team and records spread over every
//! stage, each with a history that follows the pipeline's own transitions.
//! Histories are simulated with the same `decide_*` functions the CLI and
//! console use, so every demo event is one the engine would have allowed.

mod sim;

use crate::domain::{FieldKind, Pipeline, StageIx, TransitionIx};
use crate::engine::User;
use crate::store::Store;
use anyhow::{Result, bail};
use chrono::{DateTime, Datelike, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

const FIRST: &str = include_str!("../../assets/demo/first_names.txt");
const LAST: &str = include_str!("../../assets/demo/last_names.txt");
const STAFF: &str = include_str!("../../assets/demo/staff.txt");
pub(crate) const NOTES: &str = include_str!("../../assets/demo/notes.txt");

/// Changes whenever the simulation does, so a kept demo database (the
/// benchmark's, say) is known to be stale.
pub const GENERATOR: &str = "6";

/// Records simulated and written per step.
const CHUNK: usize = 20_000;
/// From this size on, indexes are built after the load.
const BULK: usize = 5_000;

#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    pub records: usize,
    pub seed: u64,
    pub allow_network_fs: bool,
}

pub struct Demo {
    pub team: Vec<User>,
    /// Who the console opens as by default: a supervising user.
    pub supervisor: String,
    pub records: usize,
}

/// Removes a previous demo database; refuses anything else.
fn clear_previous(path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    // Read through a read-only connection: a file refused here is left
    // byte for byte as it was (no migration, no journal-mode change).
    let is_demo =
        crate::store::sqlite::opening::peek_meta(path, "demo").is_some_and(|v| v == "true");
    if !is_demo {
        bail!(
            "{} exists and is not a demo database; refusing to overwrite it (choose another --db)",
            path.display()
        );
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut f = path.as_os_str().to_owned();
        f.push(suffix);
        match std::fs::remove_file(&f) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

/// The team: two people per role, one per supervising role.
fn team(p: &Pipeline) -> Vec<User> {
    let staff: Vec<&str> = STAFF.lines().filter(|l| !l.is_empty()).collect();
    let mut out = Vec::new();
    let mut k = 0;
    for r in &p.roles {
        let n = if r.supervises || r.admin { 1 } else { 2 };
        for _ in 0..n {
            let base = staff[k % staff.len()];
            let name = if k < staff.len() {
                base.to_string()
            } else {
                format!("{base}{}", k / staff.len() + 1)
            };
            out.push(User {
                name,
                roles: vec![r.id.clone()],
            });
            k += 1;
        }
    }
    out
}

/// For every stage, the shortest chain of transitions from the entry.
fn paths(p: &Pipeline) -> Vec<Option<Vec<TransitionIx>>> {
    let mut prev: Vec<Option<(StageIx, TransitionIx)>> = vec![None; p.stages.len()];
    let mut seen = vec![false; p.stages.len()];
    seen[p.entry.0] = true;
    let mut q = VecDeque::from([p.entry]);
    while let Some(s) = q.pop_front() {
        for (tix, t) in p.transitions_from(s) {
            if !seen[t.to.0] {
                seen[t.to.0] = true;
                prev[t.to.0] = Some((s, tix));
                q.push_back(t.to);
            }
        }
    }
    (0..p.stages.len())
        .map(|i| {
            if !seen[i] {
                return None;
            }
            let mut chain = Vec::new();
            let mut cur = i;
            while let Some((from, t)) = prev[cur] {
                chain.push(t);
                cur = from.0;
            }
            chain.reverse();
            Some(chain)
        })
        .collect()
}

/// Name lists and the pipeline's own fields, split once per build rather
/// than once per record.
pub(crate) struct Lists {
    first: Vec<&'static str>,
    last: Vec<&'static str>,
    pub(crate) notes: Vec<&'static str>,
    /// Fields the pipeline itself writes (counters, `sets`): they start empty.
    written: Vec<usize>,
}

fn lines(s: &'static str) -> Vec<&'static str> {
    s.lines().filter(|l| !l.is_empty()).collect()
}

impl Lists {
    pub(crate) fn new(p: &Pipeline) -> Lists {
        Lists {
            first: lines(FIRST),
            last: lines(LAST),
            notes: lines(NOTES),
            written: p
                .transitions
                .iter()
                .flat_map(|t| {
                    t.counter
                        .map(|c| c.0.0)
                        .into_iter()
                        .chain(t.sets.iter().map(|s| s.0.0))
                })
                .collect(),
        }
    }

    pub(crate) fn patient_name(&self, rng: &mut ChaCha8Rng) -> String {
        let f = self.first[rng.random_range(0..self.first.len())];
        let l = self.last[rng.random_range(0..self.last.len())];
        format!("{f} {l}")
    }

    pub(crate) fn fields(
        &self,
        p: &Pipeline,
        rng: &mut ChaCha8Rng,
        now: DateTime<Utc>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (i, f) in p.fields.iter().enumerate() {
            if self.written.contains(&i) {
                continue;
            }
            let v = match f.kind {
                FieldKind::Date => {
                    let days = rng.random_range(20 * 365..70 * 365);
                    let d = (now - chrono::Duration::days(days)).date_naive();
                    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
                }
                FieldKind::Integer => ["30", "60", "90"][rng.random_range(0..3)].to_string(),
                FieldKind::Choice => f.choices[rng.random_range(0..f.choices.len())].clone(),
                FieldKind::Text => format!("555-{:04}", rng.random_range(0..10_000)),
            };
            out.insert(f.id.clone(), v);
        }
        out
    }
}

/// (Re)creates the demo database at `path`.
pub fn build(
    p: &Pipeline,
    text: &str,
    path: &Path,
    opts: &DemoOptions,
    now: DateTime<Utc>,
) -> Result<Demo> {
    clear_previous(path)?;
    let mut store = Store::create_with(path, opts.allow_network_fs)?;
    let team = team(p);
    // Every demo is a trust-mode database: `--as` picks the team member.
    let admin = p
        .roles
        .iter()
        .find(|r| r.admin)
        .and_then(|r| team.iter().find(|u| u.has_role(&r.id)))
        .or(team.first())
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let t = now.timestamp();
    let founding = crate::ops::team::Founding {
        text,
        trust: true,
        group: None,
        by: &admin,
        team: team
            .iter()
            .map(|u| crate::store::team::Member {
                name: u.name.clone(),
                roles: u.roles.clone(),
                login: None,
                enabled: true,
                created_at: t,
            })
            .collect(),
    };
    crate::ops::team::found(p, &mut store, &founding, now)?;
    let supervisor = p
        .roles
        .iter()
        .find(|r| r.supervises)
        .and_then(|r| team.iter().find(|u| u.has_role(&r.id)))
        .or(team.first())
        .map(|u| u.name.clone())
        .unwrap_or_default();
    // A demo is rebuilt, never recovered: skip the journal while loading
    // (no second copy of every page through the WAL), then go back to WAL.
    if opts.records >= BULK {
        store.conn().execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;",
        )?;
    }
    let paths = paths(p);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let stages: Vec<StageIx> = p
        .stage_ids()
        .map(|(i, _)| i)
        .filter(|i| paths[i.0].is_some())
        .collect();
    // Open work dominates a real queue: non-terminal stages weigh more.
    let weights: Vec<u32> = stages
        .iter()
        .map(|s| if p.stage(*s).terminal { 1 } else { 4 })
        .collect();
    let total: u32 = weights.iter().sum();
    let pick = move |rng: &mut ChaCha8Rng, i: usize| -> StageIx {
        if i < stages.len() {
            return stages[i];
        }
        let mut x = rng.random_range(0..total.max(1));
        for (s, w) in stages.iter().zip(&weights) {
            if x < *w {
                return *s;
            }
            x -= w;
        }
        stages[0]
    };
    let lists = Lists::new(p);
    let (lists, members) = (&lists, &team);
    let mut done = 0;
    // One batch at a time: the store numbers, seals and inserts each while
    // the next is simulated.
    let mut next = move || {
        if done >= opts.records {
            return None;
        }
        let n = CHUNK.min(opts.records - done);
        let mut sim = sim::Sim::new(p, members, lists, now, n);
        for i in done..done + n {
            if let Some(path) = &paths[pick(&mut rng, i).0] {
                sim.record(&mut rng, path);
            }
        }
        done += n;
        Some(sim.batch())
    };
    crate::store::db::write(&mut store, |tx| -> crate::store::Result<()> {
        tx.mark_demo(&p.name, opts.seed, GENERATOR)?;
        if opts.records >= BULK {
            tx.bulk_load(opts.records as i64)?;
        }
        tx.load_batches(&mut next)?;
        Ok(())
    })?;
    if opts.records >= BULK {
        store
            .conn()
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    }
    Ok(Demo {
        team,
        supervisor,
        records: opts.records,
    })
}
