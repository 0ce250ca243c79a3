//! The team against the replay of the `user` events, and each user's roles
//! over time for the checks of what they did.

use carequeue_store::Result;
use carequeue_store::team::Member;
use carequeue_store::verify::{Problem, Verifiable};
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

/// The users as stored against the replay of the `user` events; returns
/// each user's roles over time and how many users there are.
pub(super) fn replay(src: &dyn Verifiable) -> Result<std::result::Result<(Roles, i64), Problem>> {
    let mut state: BTreeMap<String, Member> = BTreeMap::new();
    let mut roles = Roles::default();
    for e in src.team_events()? {
        let Some(mut m) = e
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str::<Member>(d).ok())
        else {
            return Ok(Err(Problem::Event {
                id: e.id,
                record: 0,
                what: "a user event that cannot be read".into(),
            }));
        };
        if e.to.as_deref() != Some(m.name.as_str()) {
            return Ok(Err(Problem::Event {
                id: e.id,
                record: 0,
                what: "a user event that names two users".into(),
            }));
        }
        m.created_at = state.get(&m.name).map_or(e.at, |old| old.created_at);
        roles
            .0
            .entry(m.name.clone())
            .or_default()
            .push((e.id, m.roles.clone()));
        state.insert(m.name.clone(), m);
    }
    let stored = src.members()?;
    let users = stored.len() as i64;
    for u in &stored {
        let Some(m) = state.remove(&u.name) else {
            return Ok(Err(Problem::User {
                name: u.name.clone(),
                what: "no event created this user",
            }));
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
            return Ok(Err(Problem::User {
                name: u.name.clone(),
                what,
            }));
        }
    }
    if let Some(name) = state.into_keys().next() {
        return Ok(Err(Problem::User {
            name,
            what: "logged, but missing from the users table",
        }));
    }
    Ok(Ok((roles, users)))
}
