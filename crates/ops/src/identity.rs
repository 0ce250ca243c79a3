//! Who is acting. Outside trust mode the acting user is the carequeue user
//! linked to the calling OS account (the real uid, looked up in the passwd
//! database; never an environment variable), and `--as` may only name that
//! user. In a trust-mode database (`init --trust`, every demo) `--as` names
//! the actor, and every other rule still applies to them.
//!
//! [`Actor`] can only be made here, so every operation that takes one was
//! handed a known, enabled user who is not the system.

use super::{OpError, OpResult, SYSTEM};
use carequeue_core::engine::User;
use carequeue_store::Db;
use carequeue_store::team::Member;

/// A known, enabled user allowed to act now (or the system, for timers and
/// escalations, which only `ops` itself can make).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    user: User,
    trust: bool,
    /// Nobody was named: a trust-mode database read without `--as` by an
    /// account linked to no user acts as its first admin.
    defaulted: bool,
}

impl std::ops::Deref for Actor {
    type Target = User;
    fn deref(&self) -> &User {
        &self.user
    }
}

impl Actor {
    pub fn user(&self) -> &User {
        &self.user
    }

    /// Whether the database is in trust mode (`--as` and `--now` honoured).
    pub fn trusted(&self) -> bool {
        self.trust
    }

    /// Whether nobody said who acts (see [`resolve`]): then there is no
    /// current user for `--mine` to mean.
    pub fn defaulted(&self) -> bool {
        self.defaulted
    }
}

/// The calling OS account's name, from the real uid.
pub fn os_login() -> OpResult<String> {
    Ok(carequeue_store::os::login()?)
}

pub(crate) use carequeue_store::os::account_name;

/// The actor for this process: `requested` is `--as` / `CAREQUEUE_USER`.
/// Who the process is comes from the database's side: the OS account on
/// SQLite, the server login on PostgreSQL.
pub fn resolve(store: &dyn Db, requested: Option<&str>) -> OpResult<Actor> {
    let trust = store.trust_mode()?;
    let login = store.login()?;
    let linked = store.member_by_login(&login)?;
    let mut defaulted = false;
    let name = match (trust, requested) {
        (true, Some(name)) => name.to_string(),
        (_, None) | (false, Some(_)) => match &linked {
            Some(m) => m.name.clone(),
            // A trust-mode database (a demo, a test) read without --as:
            // its first admin, the user `init` made.
            None if trust => {
                defaulted = true;
                store
                    .first_user()?
                    .ok_or_else(|| OpError::Denied("the database has no users".into()))?
            }
            None => return Err(OpError::Denied(store.unlinked_hint(&login))),
        },
    };
    if let (false, Some(asked)) = (trust, requested)
        && asked != name
        && asked.to_ascii_lowercase() != name
    {
        let who = match store.label().starts_with("postgres://") {
            true => "database login",
            false => "OS account",
        };
        return Err(OpError::Denied(format!(
            "--as `{asked}` refused: this database is not in trust mode, and {who} `{login}` is carequeue user `{name}`"
        )));
    }
    let (mut a, m) = lookup(store, &name)?;
    if trust && linked.as_ref().map(|l| &l.name) != Some(&m.name) {
        // Someone else's turn: on PostgreSQL the session becomes their
        // login, so the server's rules are theirs.
        store.act_as(&m)?;
    }
    a.trust = trust;
    a.defaulted = defaulted;
    Ok(a)
}

/// Why an actor made earlier (an open console's) may no longer go on, if
/// so: the user was disabled or their roles changed since.
pub fn revoked(store: &dyn Db, actor: &Actor) -> OpResult<Option<String>> {
    Ok(match store.member(&actor.name)? {
        None => Some(format!("user `{}` no longer exists", actor.name)),
        Some(m) if !m.enabled => Some(format!("user `{}` was disabled by an admin", actor.name)),
        Some(m) if m.roles != actor.roles => Some(format!(
            "the roles of `{}` changed; open carequeue again to work under them",
            actor.name
        )),
        Some(_) => None,
    })
}

/// A known, enabled user by name: for a process that already knows who
/// acts (the library's own callers, tests). The command line and the
/// console use [`resolve`].
pub fn actor(store: &dyn Db, name: &str) -> OpResult<Actor> {
    let trust = store.trust_mode()?;
    let (mut a, _) = lookup(store, name)?;
    a.trust = trust;
    Ok(a)
}

fn lookup(store: &dyn Db, name: &str) -> OpResult<(Actor, Member)> {
    if name == SYSTEM {
        return Err(OpError::Denied(format!(
            "`{SYSTEM}` is the actor of timers and escalations; nobody can act as it"
        )));
    }
    // Names made since they are case-folded are found however typed;
    // older names keep working exactly as they were made.
    let found = match store.member(name)? {
        Some(m) => Some(m),
        None => store.member(&name.to_ascii_lowercase())?,
    };
    match found {
        Some(m) if m.enabled => Ok((
            Actor {
                user: m.user(),
                trust: false,
                defaulted: false,
            },
            m,
        )),
        Some(_) => Err(OpError::Denied(format!(
            "user `{name}` is disabled: they can no longer act or read"
        ))),
        None => Err(OpError::Denied(format!(
            "unknown user `{name}`: an admin can add them with `carequeue user add {name} --role ROLE`"
        ))),
    }
}

/// Checks a new user name: `[a-z0-9._-]`, 1 to 64 characters, after case
/// folding. Look-alikes (Cyrillic letters, zero-width spaces) are refused.
pub fn check_user_name(raw: &str) -> OpResult<String> {
    let name = raw.trim().to_ascii_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !ok {
        return Err(OpError::Invalid(
            "a user name is 1-64 characters of a-z, 0-9, `.`, `_` and `-`".into(),
        ));
    }
    if name == SYSTEM {
        return Err(OpError::Invalid(format!(
            "`{SYSTEM}` is reserved for timers and escalations"
        )));
    }
    Ok(name)
}
