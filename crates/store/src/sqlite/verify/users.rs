//! The users table against the replay of the `user` events, and each
//! user's roles over time for the transition checks.

use super::{Checked, Problem};
use crate::sqlite::users;
use crate::team::Member;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// Each user's roles over time, from the `user` events.
#[derive(Default)]
pub(super) struct Roles(BTreeMap<String, Vec<(i64, Vec<String>)>>);

impl Roles {
    pub(super) fn held(&self, name: &str, id: i64) -> Option<&[String]> {
        let h = self.0.get(name)?;
        let i = h.partition_point(|(e, _)| *e < id);
        (i > 0).then(|| h[i - 1].1.as_slice())
    }
}

/// The users table against the replay of the `user` events; returns each
/// user's roles over time for the transition checks.
pub(super) fn replay_users(conn: &Connection) -> Checked<Roles> {
    let mut st =
        conn.prepare("SELECT id, at, to_stage, data FROM events WHERE kind = 'user' ORDER BY id")?;
    let mut rows = st.query([])?;
    let mut state: BTreeMap<String, Member> = BTreeMap::new();
    let mut roles = Roles::default();
    while let Some(r) = rows.next()? {
        let (id, at): (i64, i64) = (r.get(0)?, r.get(1)?);
        let name: Option<String> = r.get(2)?;
        let data: Option<String> = r.get(3)?;
        let Some(mut m) = data.and_then(|d| serde_json::from_str::<Member>(&d).ok()) else {
            return Ok(Err(Problem::Event {
                id,
                record: 0,
                what: "a user event that cannot be read".into(),
            }));
        };
        if name.as_deref() != Some(m.name.as_str()) {
            return Ok(Err(Problem::Event {
                id,
                record: 0,
                what: "a user event that names two users".into(),
            }));
        }
        m.created_at = state.get(&m.name).map_or(at, |old| old.created_at);
        roles
            .0
            .entry(m.name.clone())
            .or_default()
            .push((id, m.roles.clone()));
        state.insert(m.name.clone(), m);
    }
    let stored = users::members(conn)?;
    for u in &stored {
        match state.remove(&u.name) {
            None => {
                return Ok(Err(Problem::User {
                    name: u.name.clone(),
                    what: "no event created this user",
                }));
            }
            Some(m) => {
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
        }
    }
    if let Some(name) = state.into_keys().next() {
        return Ok(Err(Problem::User {
            name,
            what: "logged, but missing from the users table",
        }));
    }
    Ok(Ok(roles))
}
