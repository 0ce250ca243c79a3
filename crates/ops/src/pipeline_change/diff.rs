//! What a new pipeline changes, item by item, with the records each stage
//! holds: the body of `pipeline diff`.

use super::plan::{Plan, kind_name};
use carequeue_core::domain::{Pipeline, StageIx, Transition};
use carequeue_core::engine::retime::clock_key;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `stage`, `transition`, `role`, `calendar`, `timer`, `field`, `pipeline`.
    pub area: &'static str,
    /// `added`, `removed`, `renamed` or `changed`.
    pub change: &'static str,
    pub id: String,
    pub detail: String,
    /// Records in the stage now (stage changes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<i64>,
}

fn change(area: &'static str, kind: &'static str, id: &str, detail: String) -> Change {
    Change {
        area,
        change: kind,
        id: id.to_string(),
        detail,
        records: None,
    }
}

/// Every difference between `old` and `new`, in a stable order.
pub fn diff(old: &Pipeline, new: &Pipeline, plan: &Plan) -> Vec<Change> {
    let mut out = Vec::new();
    if old.name != new.name {
        out.push(change(
            "pipeline",
            "changed",
            "name",
            format!("`{}` → `{}`", old.name, new.name),
        ));
    }
    if old.timezone != new.timezone {
        out.push(change(
            "pipeline",
            "changed",
            "timezone",
            format!("{} → {}", old.timezone.name(), new.timezone.name()),
        ));
    }
    stages(old, new, plan, &mut out);
    transitions(old, new, &mut out);
    roles(old, new, &mut out);
    calendars(old, new, &mut out);
    timers(old, new, &mut out);
    fields(old, new, &mut out);
    out
}

fn count(plan: &Plan, stage: &str) -> i64 {
    plan.totals
        .iter()
        .find(|(s, _)| s == stage)
        .map_or(0, |(_, n)| *n)
}

fn sla_text(p: &Pipeline, ix: StageIx) -> String {
    match &p.stage(ix).sla {
        Some(s) => format!(
            "{} (warn {}{})",
            s.max,
            s.warn,
            s.calendar
                .map(|c| format!(", calendar {}", p.calendars[c.0].id))
                .unwrap_or_default()
        ),
        None => "none".to_string(),
    }
}

fn stages(old: &Pipeline, new: &Pipeline, plan: &Plan, out: &mut Vec<Change>) {
    for (oix, s) in old.stage_ids() {
        let n = count(plan, &s.id);
        let now = new.stage_ix_or_renamed(&s.id);
        let mut c = match now {
            None => {
                let mapped = plan.moves.iter().find(|m| m.from == s.id);
                let detail = match mapped {
                    Some(m) => format!("removed; its records go to `{}` (--map)", m.to),
                    None if n > 0 => {
                        "removed; its records would be stranded (use renamed_from or --map)".into()
                    }
                    None => "removed".into(),
                };
                change("stage", "removed", &s.id, detail)
            }
            Some(nix) => {
                let ns = new.stage(nix);
                let mut what = Vec::new();
                if ns.id != s.id {
                    what.push(format!("renamed to `{}`", ns.id));
                }
                if ns.name != s.name {
                    what.push(format!("name `{}` → `{}`", s.name, ns.name));
                }
                let owner = |p: &Pipeline, o: Option<carequeue_core::domain::RoleIx>| {
                    o.map_or("-".to_string(), |r| p.role(r).id.clone())
                };
                if owner(old, s.owner) != owner(new, ns.owner) {
                    what.push(format!(
                        "owner {} → {}",
                        owner(old, s.owner),
                        owner(new, ns.owner)
                    ));
                }
                if old.phase_of(oix).id != new.phase_of(nix).id {
                    what.push(format!(
                        "phase {} → {}",
                        old.phase_of(oix).id,
                        new.phase_of(nix).id
                    ));
                }
                let (a, b) = (sla_text(old, oix), sla_text(new, nix));
                if a != b {
                    what.push(format!("SLA {a} → {b}"));
                }
                let subs = |st: &carequeue_core::domain::Stage| -> Vec<String> {
                    st.substatuses
                        .iter()
                        .map(|x| format!("{}{}", x.id, if x.pauses { " (pauses)" } else { "" }))
                        .collect()
                };
                let (sa, sb) = (subs(s), subs(ns));
                for x in sb.iter().filter(|x| !sa.contains(x)) {
                    what.push(format!("sub-status + {x}"));
                }
                for x in sa.iter().filter(|x| !sb.contains(x)) {
                    what.push(format!("sub-status - {x}"));
                }
                if s.escalations.len() != ns.escalations.len() {
                    what.push(format!(
                        "escalation levels {} → {}",
                        s.escalations.len(),
                        ns.escalations.len()
                    ));
                }
                if s.breach_reasons != ns.breach_reasons {
                    what.push(format!(
                        "breach reasons [{}] → [{}]",
                        s.breach_reasons.join(", "),
                        ns.breach_reasons.join(", ")
                    ));
                }
                if s.terminal != ns.terminal {
                    what.push(format!("terminal {} → {}", s.terminal, ns.terminal));
                }
                if what.is_empty() && clock_key(old, oix) != clock_key(new, nix) {
                    what.push("clock settings (timers, calendar hours or pauses)".into());
                }
                if what.is_empty() {
                    continue;
                }
                let kind = if ns.id != s.id { "renamed" } else { "changed" };
                let mut detail = what.join("; ");
                if !ns.terminal && n > 0 && clock_key(old, oix) != clock_key(new, nix) {
                    detail.push_str("; its open records are re-timed");
                }
                change("stage", kind, &s.id, detail)
            }
        };
        if n > 0 {
            c.records = Some(n);
        }
        out.push(c);
    }
    for (_, s) in new.stage_ids() {
        let known = old.stage_ix(&s.id).is_some() || stage_was_renamed(old, new, &s.id);
        if !known {
            let mut c = change(
                "stage",
                "added",
                &s.id,
                format!("in phase {}", new.phases[s.phase.0].id),
            );
            let carried: i64 = plan
                .moves
                .iter()
                .filter(|m| m.to == s.id && m.mapped)
                .map(|m| m.records)
                .sum();
            if carried > 0 {
                c.records = Some(carried);
            }
            out.push(c);
        }
    }
}

/// Whether some stage of `old` is the stage `id` of `new` under an older id.
fn stage_was_renamed(old: &Pipeline, new: &Pipeline, id: &str) -> bool {
    new.renames
        .stages
        .iter()
        .any(|(from, ix)| new.stage(*ix).id == id && old.stage_ix(from).is_some())
}

/// A transition's parts as text, stage and role ids named as `names`
/// (the new pipeline) calls them, so a rename alone shows no change.
fn transition_text(p: &Pipeline, t: &Transition, names: &Pipeline) -> Vec<(&'static str, String)> {
    let stage = |ix: StageIx| {
        let id = &p.stage(ix).id;
        names
            .stage_ix_or_renamed(id)
            .map_or(id.clone(), |n| names.stage(n).id.clone())
    };
    let from = if t.from_any {
        "*".to_string()
    } else {
        t.from
            .iter()
            .map(|s| stage(*s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        ("from", from),
        ("to", stage(t.to)),
        (
            "roles",
            t.roles
                .iter()
                .map(|r| {
                    let id = &p.role(*r).id;
                    names
                        .role_ix_or_renamed(id)
                        .map_or(id.clone(), |n| names.role(n).id.clone())
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "requires",
            t.guards
                .list()
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("reasons", t.reasons.join(", ")),
    ]
}

fn transitions(old: &Pipeline, new: &Pipeline, out: &mut Vec<Change>) {
    for t in &old.transitions {
        match new.transition_ix_or_renamed(&t.event) {
            None => out.push(change("transition", "removed", &t.event, String::new())),
            Some(ix) => {
                let nt = new.transition(ix);
                let mut what = Vec::new();
                if nt.event != t.event {
                    what.push(format!("renamed to `{}`", nt.event));
                }
                for ((k, a), (_, b)) in transition_text(old, t, new)
                    .into_iter()
                    .zip(transition_text(new, nt, new))
                {
                    if a != b {
                        what.push(format!("{k} [{a}] → [{b}]"));
                    }
                }
                if !what.is_empty() {
                    let kind = if nt.event != t.event {
                        "renamed"
                    } else {
                        "changed"
                    };
                    out.push(change("transition", kind, &t.event, what.join("; ")));
                }
            }
        }
    }
    for t in &new.transitions {
        let renamed = new.renames.events.iter().any(|(from, ix)| {
            new.transition(*ix).event == t.event && old.transition_ix(from).is_some()
        });
        if old.transition_ix(&t.event).is_none() && !renamed {
            let detail = transition_text(new, t, new)
                .into_iter()
                .take(3)
                .map(|(k, v)| format!("{k} [{v}]"))
                .collect::<Vec<_>>()
                .join("; ");
            out.push(change("transition", "added", &t.event, detail));
        }
    }
}

fn roles(old: &Pipeline, new: &Pipeline, out: &mut Vec<Change>) {
    let flags = |r: &carequeue_core::domain::Role| {
        let mut v = Vec::new();
        if r.supervises {
            v.push("supervises");
        }
        if r.admin {
            v.push("admin");
        }
        v.join(", ")
    };
    for r in &old.roles {
        match new.role_ix_or_renamed(&r.id) {
            None => out.push(change("role", "removed", &r.id, String::new())),
            Some(ix) => {
                let nr = new.role(ix);
                let mut what = Vec::new();
                if nr.id != r.id {
                    what.push(format!("renamed to `{}`", nr.id));
                }
                if flags(r) != flags(nr) {
                    what.push(format!("[{}] → [{}]", flags(r), flags(nr)));
                }
                if !what.is_empty() {
                    let kind = if nr.id != r.id { "renamed" } else { "changed" };
                    out.push(change("role", kind, &r.id, what.join("; ")));
                }
            }
        }
    }
    for r in &new.roles {
        let renamed = new
            .renames
            .roles
            .iter()
            .any(|(from, ix)| new.role(*ix).id == r.id && old.role_ix(from).is_some());
        if old.role_ix(&r.id).is_none() && !renamed {
            out.push(change("role", "added", &r.id, flags(r)));
        }
    }
}

fn calendars(old: &Pipeline, new: &Pipeline, out: &mut Vec<Change>) {
    for c in &old.calendars {
        match new.calendars.iter().find(|n| n.id == c.id) {
            None => out.push(change("calendar", "removed", &c.id, String::new())),
            Some(n) if format!("{:?}", n.calendar) != format!("{:?}", c.calendar) => {
                out.push(change(
                    "calendar",
                    "changed",
                    &c.id,
                    "days, hours, holidays or zone".into(),
                ))
            }
            Some(_) => {}
        }
    }
    for c in &new.calendars {
        if !old.calendars.iter().any(|o| o.id == c.id) {
            out.push(change("calendar", "added", &c.id, String::new()));
        }
    }
}

fn timers(old: &Pipeline, new: &Pipeline, out: &mut Vec<Change>) {
    let list = |p: &Pipeline| -> Vec<String> {
        p.timers
            .iter()
            .map(|t| {
                format!(
                    "{} → {}",
                    p.stage(t.stage).id,
                    p.transition(t.transition).event
                )
            })
            .collect()
    };
    let (a, b) = (list(old), list(new));
    for t in a.iter().filter(|t| !b.contains(t)) {
        out.push(change("timer", "removed", t, String::new()));
    }
    for t in b.iter().filter(|t| !a.contains(t)) {
        out.push(change("timer", "added", t, String::new()));
    }
}

fn fields(old: &Pipeline, new: &Pipeline, out: &mut Vec<Change>) {
    for f in &old.fields {
        match new.field_ix(&f.id).map(|ix| new.field(ix)) {
            None => out.push(change(
                "field",
                "removed",
                &f.id,
                "values stay in the records".into(),
            )),
            Some(n) => {
                let mut what = Vec::new();
                if n.kind != f.kind {
                    what.push(format!(
                        "type {} → {}",
                        kind_name(f.kind),
                        kind_name(n.kind)
                    ));
                }
                if n.choices != f.choices {
                    what.push(format!(
                        "choices [{}] → [{}]",
                        f.choices.join(", "),
                        n.choices.join(", ")
                    ));
                }
                if n.required != f.required {
                    what.push(format!("required {} → {}", f.required, n.required));
                }
                if !what.is_empty() {
                    out.push(change("field", "changed", &f.id, what.join("; ")));
                }
            }
        }
    }
    for f in &new.fields {
        if old.field_ix(&f.id).is_none() {
            out.push(change(
                "field",
                "added",
                &f.id,
                kind_name(f.kind).to_string(),
            ));
        }
    }
}
