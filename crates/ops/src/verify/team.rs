//! The team against the replay of its `user` events, each of them and each
//! pipeline event written by someone allowed to, and each user's roles over
//! time for the judgement of what they did.

use super::versions::Versions;
use crate::is_admin;
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::User;
use carequeue_core::log::{EventKind, EventRow};
use carequeue_store::Result;
use carequeue_store::team::Member;
use carequeue_store::verify::{Problem, Problems, Verifiable};
use std::collections::BTreeMap;

/// Each user's roles over time, from the `user` events.
#[derive(Default)]
pub(super) struct Roles(BTreeMap<String, Vec<(i64, Vec<String>)>>);

impl Roles {
    /// The roles `name` held at event `id`; None if not a user then.
    pub(super) fn held(&self, name: &str, id: i64) -> Option<&[String]> {
        let h = self.0.get(name)?;
        let i = h.partition_point(|(e, _)| *e < id);
        (i > 0).then(|| h[i - 1].1.as_slice())
    }
}

/// The users as stored against the replay of the team's events; returns
/// each user's roles over time and how many users there are.
pub(super) fn replay(
    src: &dyn Verifiable,
    versions: &Versions,
    fallback: &Pipeline,
    found: &mut Problems,
) -> Result<(Roles, i64)> {
    let events = src.team_events()?;
    let founding = founding(&events);
    let mut state: BTreeMap<String, Member> = BTreeMap::new();
    let mut roles = Roles::default();
    for e in &events {
        let bad = |what: &str| Problem::Event {
            id: e.id,
            record: 0,
            what: what.to_string(),
        };
        let Some(kind) = e.kind.known() else {
            found.push(bad("an event of a kind this carequeue does not know"));
            continue;
        };
        // Events from before the database stored its pipeline (a legacy
        // file, adopted later) were never bound by these rules.
        let by_founder = founding.contains(&e.id) || e.id < versions.first_event();
        // Who wrote it: an admin then (under the pipeline in force, or the
        // one an apply puts in force: an admin role may be renamed), or
        // the database's founding transaction.
        let admin_then = || {
            let Some(held) = roles.held(&e.actor, e.id) else {
                return false;
            };
            let u = User {
                name: e.actor.clone(),
                roles: held.to_vec(),
            };
            is_admin(versions.at(e.id, fallback), &u)
                || is_admin(versions.at(e.id + 1, fallback), &u)
        };
        match kind {
            EventKind::User => {
                let Some(mut m) = e
                    .data
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<Member>(d).ok())
                else {
                    found.push(bad("a user event that cannot be read"));
                    continue;
                };
                if e.to.as_deref() != Some(m.name.as_str()) {
                    found.push(bad("a user event that names two users"));
                }
                if !by_founder && !admin_then() {
                    found.push(bad(&format!(
                        "a user event by `{}`, who held no admin role then",
                        e.actor
                    )));
                }
                m.created_at = state.get(&m.name).map_or(e.at, |old| old.created_at);
                roles
                    .0
                    .entry(m.name.clone())
                    .or_default()
                    .push((e.id, m.roles.clone()));
                state.insert(m.name.clone(), m);
            }
            EventKind::PipelineApplied => {
                if !admin_then() {
                    found.push(bad(&format!(
                        "a pipeline applied by `{}`, who held no admin role then",
                        e.actor
                    )));
                }
            }
            EventKind::Pipeline => {
                if !by_founder {
                    found.push(bad(
                        "a pipeline stored outside `init` and `adopt` (an apply logs `pipeline_applied`)",
                    ));
                }
            }
            EventKind::Init => {
                if !by_founder {
                    found.push(bad("an init event after the database was made"));
                }
            }
            other => found.push(bad(&format!("a `{other}` event about no record"))),
        }
    }
    let stored = src.members()?;
    let users = stored.len() as i64;
    for u in &stored {
        let Some(m) = state.remove(&u.name) else {
            found.push(Problem::User {
                name: u.name.clone(),
                what: "no event created this user",
            });
            continue;
        };
        let what = if m.roles != u.roles {
            Some("roles")
        } else if m.login != u.login {
            Some("login")
        } else if m.enabled != u.enabled {
            Some("enabled flag")
        } else if m.created_at != u.created_at {
            Some("created-at")
        } else {
            None
        };
        if let Some(what) = what {
            found.push(Problem::User {
                name: u.name.clone(),
                what,
            });
        }
    }
    for name in state.into_keys() {
        found.push(Problem::User {
            name,
            what: "logged, but missing from the users table",
        });
    }
    Ok((roles, users))
}

/// The events of the database's founding transaction (`init`, or `adopt`
/// of a legacy file): its init event and the team events that follow it
/// without a gap, by the same actor.
fn founding(events: &[EventRow]) -> std::collections::BTreeSet<i64> {
    let mut out = std::collections::BTreeSet::new();
    for (i, e) in events.iter().enumerate() {
        if !e.kind.is(EventKind::Init) {
            continue;
        }
        out.insert(e.id);
        for (next, f) in (e.id + 1..).zip(&events[i + 1..]) {
            if f.id != next || f.actor != e.actor || f.kind.is(EventKind::Init) {
                break;
            }
            out.insert(f.id);
        }
    }
    out
}
