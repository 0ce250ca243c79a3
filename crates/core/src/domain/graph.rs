//! Checks on the shape of the state machine: dead ends, unreachable stages,
//! stages that can never finish, terminal stages with exits, timers whose
//! event cannot fire where they wait, timers that loop with no time between.

use super::codes as c;
use super::diag::Diagnostic;
use super::duration::Secs;
use super::model::{Pipeline, StageIx, TimerWhen};
use super::raw::RawPipeline;
use std::collections::VecDeque;

pub(super) fn check(p: &Pipeline, raw: &RawPipeline, out: &mut Vec<Diagnostic>) {
    let n = p.stages.len();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut prev: Vec<Vec<usize>> = vec![Vec::new(); n];
    for t in &p.transitions {
        for f in &t.from {
            next[f.0].push(t.to.0);
            prev[t.to.0].push(f.0);
        }
    }
    let entry_terminal = p.stage(p.entry).terminal;
    if entry_terminal {
        out.push(Diagnostic::error(
            c::ENTRY_TERMINAL,
            raw.entry.span(),
            format!("entry stage `{}` is terminal", p.stage(p.entry).id),
        ));
    }
    let reachable = walk(&next, [p.entry.0]);
    let finishing = walk(&prev, (0..n).filter(|i| p.stages[*i].terminal));
    for (ix, s) in p.stage_ids() {
        let span = raw.stages[ix.0].id.span();
        if !s.terminal && next[ix.0].is_empty() {
            out.push(Diagnostic::error(
                c::DEAD_END,
                span.clone(),
                format!(
                    "non-terminal stage `{}` is a dead end: no transition leaves it",
                    s.id
                ),
            ));
        }
        // A terminal entry makes every other stage unreachable: one mistake,
        // reported once (E059), not once per stage.
        if !reachable[ix.0] && !entry_terminal {
            out.push(Diagnostic::error(
                c::UNREACHABLE,
                span.clone(),
                format!(
                    "stage `{}` is unreachable from the entry stage `{}`",
                    s.id,
                    p.stage(p.entry).id
                ),
            ));
        }
        if !s.terminal && !next[ix.0].is_empty() && !finishing[ix.0] {
            out.push(Diagnostic::error(
                c::NO_TERMINAL_REACHABLE,
                span,
                format!("no terminal stage can be reached from stage `{}`", s.id),
            ));
        }
    }
    for (t, rt) in p.transitions.iter().zip(&raw.transitions) {
        for rf in &rt.from {
            if let Some(ix) = p.stage_ix(rf.get_ref())
                && p.stage(ix).terminal
            {
                out.push(Diagnostic::error(
                    c::TERMINAL_WITH_EXIT,
                    rf.span(),
                    format!(
                        "event `{}` leaves terminal stage `{}`; terminal stages have no way out",
                        t.event,
                        rf.get_ref()
                    ),
                ));
            }
        }
    }
    for (timer, rt) in p.timers.iter().zip(&raw.timers) {
        let t = p.transition(timer.transition);
        if !t.from.contains(&timer.stage) {
            out.push(Diagnostic::error(
                c::TIMER_EVENT_INVALID,
                rt.event.span(),
                format!(
                    "timer event `{}` is not valid from its stage `{}` (it leaves from: {})",
                    t.event,
                    p.stage(timer.stage).id,
                    names(p, &t.from)
                ),
            ));
        }
        if let (Some(reason), Some(raw_reason)) = (&timer.reason, &rt.reason)
            && !(t.guards.reason && t.reasons.contains(reason))
        {
            let accepted = if t.guards.reason {
                format!("it accepts: {}", t.reasons.join(", "))
            } else {
                "it requires no reason".to_string()
            };
            out.push(Diagnostic::error(
                c::BAD_TIMER,
                raw_reason.span(),
                format!(
                    "timer reason `{reason}` is not one event `{}` accepts ({accepted}); the timer would be refused",
                    t.event
                ),
            ));
        }
        if t.guards.reason && timer.reason.is_none() {
            out.push(Diagnostic::error(
                c::BAD_TIMER,
                rt.event.span(),
                format!(
                    "timer event `{}` requires a reason: give the timer a `reason`",
                    t.event
                ),
            ));
        }
    }
    zero_timer_loops(p, raw, out);
}

/// Timers that fire the moment their stage is entered (`after` of zero)
/// and lead, timer after timer, back to a stage they left: nothing but the
/// sweep's own cap would stop a record going round, and every sweep would
/// add events. One problem per loop, at its first timer in the file.
fn zero_timer_loops(p: &Pipeline, raw: &RawPipeline, out: &mut Vec<Diagnostic>) {
    // The zero timers that can fire where they wait (E050 names the rest).
    let zero: Vec<(usize, usize, usize)> = p
        .timers
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t.when, TimerWhen::AfterInStage(Secs(0))))
        .map(|(i, t)| (i, t.stage.0, p.transition(t.transition)))
        .filter(|(_, from, t)| t.from.iter().any(|f| f.0 == *from))
        .map(|(i, from, t)| (i, from, t.to.0))
        .collect();
    let mut reported = vec![false; p.timers.len()];
    for &(i, from, to) in &zero {
        if reported[i] {
            continue;
        }
        // The zero timers walked from `to` back to `from`, if they get there.
        let mut came_by: Vec<Option<usize>> = vec![None; p.stages.len()];
        let mut seen = vec![false; p.stages.len()];
        let mut queue = VecDeque::from([to]);
        seen[to] = true;
        while let Some(s) = queue.pop_front() {
            if s == from {
                break;
            }
            for &(j, f, t) in &zero {
                if f == s && !seen[t] {
                    seen[t] = true;
                    came_by[t] = Some(j);
                    queue.push_back(t);
                }
            }
        }
        if !seen[from] {
            continue;
        }
        let mut cycle = vec![i];
        let mut at = from;
        while at != to {
            let Some(j) = came_by[at] else { break };
            cycle.push(j);
            at = p.timers[j].stage.0;
        }
        cycle[1..].reverse();
        let mut path = format!("`{}`", p.stage(StageIx(from)).id);
        for &j in &cycle {
            reported[j] = true;
            let t = &p.timers[j];
            let tr = p.transition(t.transition);
            path.push_str(&format!(" → ({}) → `{}`", tr.event, p.stage(tr.to).id));
        }
        let rt = &raw.timers[i];
        let span = rt
            .after
            .as_ref()
            .map_or_else(|| rt.event.span(), |a| a.span());
        out.push(Diagnostic::error(
            c::TIMER_LOOP,
            span,
            format!(
                "timers of zero time loop: {path}; each fires the moment its stage is entered, so a record would go round with no one acting (give one of them a time)"
            ),
        ));
    }
}

fn names(p: &Pipeline, list: &[StageIx]) -> String {
    list.iter()
        .map(|s| p.stage(*s).id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn walk(edges: &[Vec<usize>], start: impl IntoIterator<Item = usize>) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut queue: VecDeque<usize> = VecDeque::new();
    for s in start {
        seen[s] = true;
        queue.push_back(s);
    }
    while let Some(i) = queue.pop_front() {
        for &j in &edges[i] {
            if !seen[j] {
                seen[j] = true;
                queue.push_back(j);
            }
        }
    }
    seen
}
