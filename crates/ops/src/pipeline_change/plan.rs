//! What applying a pipeline would do to the records and users in a
//! database: where each stage's records go, which roles follow a rename,
//! and everything in use the new pipeline would strand, with counts.

use carequeue_core::domain::fields::check_value;
use carequeue_core::domain::{FieldKind, Pipeline};
use carequeue_store::Result;
use carequeue_store::in_use::InUse;
use carequeue_store::team::Member;
use std::collections::BTreeMap;

/// Records of one stage that go to another id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageMove {
    pub from: String,
    pub to: String,
    pub records: i64,
    /// Carried by `--map` rather than by `renamed_from`.
    pub mapped: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub moves: Vec<StageMove>,
    /// Roles renamed: `(old, new)`.
    pub roles: Vec<(String, String)>,
    /// Records per stage as they are now.
    pub totals: Vec<(String, i64)>,
    /// Everything in use that the new pipeline would strand, one line each.
    pub stranded: Vec<String>,
}

impl Plan {
    /// Where a record now in `stage` goes.
    pub fn target<'a>(&'a self, stage: &'a str) -> &'a str {
        self.moves
            .iter()
            .find(|m| m.from == stage)
            .map_or(stage, |m| m.to.as_str())
    }
}

/// Works out the plan for replacing `old` by `new`, with `maps` the
/// `--map OLD=NEW` pairs. Bad maps are errors; strands are listed.
pub fn plan(
    conn: &mut dyn InUse,
    old: &Pipeline,
    new: &Pipeline,
    maps: &[(String, String)],
) -> Result<std::result::Result<Plan, String>> {
    for (from, to) in maps {
        if new.stage_ix(to).is_none() {
            return Ok(Err(format!(
                "--map {from}={to}: the new pipeline has no stage `{to}`"
            )));
        }
        if new.stage_ix(from).is_some() {
            return Ok(Err(format!(
                "--map {from}={to}: the new pipeline still has stage `{from}`"
            )));
        }
    }
    let mut plan = Plan {
        totals: conn.stage_totals()?,
        ..Plan::default()
    };
    for (stage, n) in &plan.totals {
        if new.stage_ix(stage).is_some() {
            continue;
        }
        let renamed = new
            .renames
            .stages
            .get(stage)
            .map(|ix| new.stage(*ix).id.clone());
        let mapped = maps
            .iter()
            .find(|(f, _)| f == stage)
            .map(|(_, t)| t.clone());
        match (renamed, mapped) {
            (Some(to), _) => plan.moves.push(StageMove {
                from: stage.clone(),
                to,
                records: *n,
                mapped: false,
            }),
            (None, Some(to)) => plan.moves.push(StageMove {
                from: stage.clone(),
                to,
                records: *n,
                mapped: true,
            }),
            (None, None) => plan.stranded.push(format!(
                "{n} record(s) in stage `{stage}`, which the new pipeline removes (carry them with `renamed_from` or --map {stage}=STAGE)"
            )),
        }
    }
    substatuses(conn, new, &mut plan)?;
    fields(conn, old, new, &mut plan)?;
    timers(conn, old, new, &mut plan)?;
    let members = conn.members()?;
    roles(old, new, &members, &mut plan);
    Ok(Ok(plan))
}

fn substatuses(conn: &mut dyn InUse, new: &Pipeline, plan: &mut Plan) -> Result<()> {
    for (stage, sub, n) in conn.substatus_totals()? {
        let to = plan.target(&stage).to_string();
        let Some(ix) = new.stage_ix(&to) else {
            continue; // already counted as stranded
        };
        if new.stage(ix).substatus(&sub).is_none() {
            plan.stranded.push(format!(
                "{n} record(s) in stage `{stage}` have sub-status `{sub}`, which stage `{to}` of the new pipeline does not have"
            ));
        }
    }
    Ok(())
}

fn fields(conn: &mut dyn InUse, old: &Pipeline, new: &Pipeline, plan: &mut Plan) -> Result<()> {
    for f in &new.fields {
        let Some(o) = old.field_ix(&f.id).map(|ix| old.field(ix)) else {
            continue;
        };
        if o.kind == f.kind && (f.kind != FieldKind::Choice || o.choices == f.choices) {
            continue;
        }
        let mut bad: BTreeMap<String, i64> = BTreeMap::new();
        let mut records = 0;
        for (value, n) in conn.field_values(&f.id)? {
            if check_value(f, &value).is_err() {
                records += n;
                if f.kind == FieldKind::Choice && o.kind == FieldKind::Choice {
                    // Choice values are the pipeline's own words, not patient data.
                    *bad.entry(value).or_default() += n;
                }
            }
        }
        if records == 0 {
            continue;
        }
        if o.kind == f.kind {
            let list: Vec<String> = bad.iter().map(|(v, n)| format!("`{v}` ({n})")).collect();
            plan.stranded.push(format!(
                "field `{}`: {records} record(s) hold choices the new pipeline removes: {}",
                f.id,
                crate::present::clean(&list.join(", "))
            ));
        } else {
            plan.stranded.push(format!(
                "field `{}` changes type from {} to {}, and {records} record(s) hold values that are not {}",
                f.id,
                kind_name(o.kind),
                kind_name(f.kind),
                kind_name(f.kind)
            ));
        }
    }
    Ok(())
}

pub fn kind_name(k: FieldKind) -> &'static str {
    match k {
        FieldKind::Text => "text",
        FieldKind::Date => "date",
        FieldKind::Integer => "integer",
        FieldKind::Choice => "choice",
    }
}

fn timers(conn: &mut dyn InUse, old: &Pipeline, new: &Pipeline, plan: &mut Plan) -> Result<()> {
    for t in &old.timers {
        let event = &old.transition(t.transition).event;
        if new.transition_ix_or_renamed(event).is_some() {
            continue;
        }
        let stage = &old.stage(t.stage).id;
        let n = conn.waiting_on_timers(stage)?;
        if n > 0 {
            plan.stranded.push(format!(
                "{n} record(s) in stage `{stage}` wait on a timer firing `{event}`, an event the new pipeline removes"
            ));
        }
    }
    Ok(())
}

fn roles(old: &Pipeline, new: &Pipeline, members: &[Member], plan: &mut Plan) {
    for (old_id, ix) in &new.renames.roles {
        if old.role_ix(old_id).is_some() {
            plan.roles.push((old_id.clone(), new.role(*ix).id.clone()));
        }
    }
    plan.roles.sort();
    let mut held: BTreeMap<&str, i64> = BTreeMap::new();
    let mut admins = 0;
    for m in members.iter().filter(|m| m.enabled) {
        let mut is_admin = false;
        for r in &m.roles {
            match new.role_ix_or_renamed(r) {
                Some(ix) => is_admin |= new.role(ix).admin,
                None => *held.entry(r.as_str()).or_default() += 1,
            }
        }
        admins += i64::from(is_admin);
    }
    for (role, n) in held {
        plan.stranded.push(format!(
            "role `{role}` is held by {n} enabled user(s), and the new pipeline removes it (rename it with `renamed_from`)"
        ));
    }
    if admins == 0 {
        plan.stranded
            .push("no enabled user would hold an admin role under the new pipeline".to_string());
    }
}

/// Each user's roles under the new pipeline's names, for those that change.
pub fn renamed_members(new: &Pipeline, members: Vec<Member>) -> Vec<Member> {
    members
        .into_iter()
        .filter_map(|mut m| {
            let mut changed = false;
            for r in m.roles.iter_mut() {
                if new.role_ix(r).is_none()
                    && let Some(ix) = new.renames.roles.get(r.as_str())
                {
                    *r = new.role(*ix).id.clone();
                    changed = true;
                }
            }
            changed.then_some(m)
        })
        .collect()
}
