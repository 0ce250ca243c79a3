//! The team: users, the roles they hold, the OS login each is linked to and
//! whether they may still act. Every change is a `user` event carrying the
//! user's whole state, so replay rebuilds the table from the log alone.

use super::events;
use super::{Result, Store};
use crate::team::Member;
use carequeue_core::engine::User;
use carequeue_core::log::EventKind;
use rusqlite::{Connection, OptionalExtension};

const COLS: &str = "name, roles, login, enabled, created_at";

fn row_member(r: &rusqlite::Row) -> rusqlite::Result<Member> {
    let roles: String = r.get(1)?;
    Ok(Member {
        name: r.get(0)?,
        roles: roles.split_whitespace().map(str::to_string).collect(),
        login: r.get(2)?,
        enabled: r.get::<_, i64>(3)? != 0,
        created_at: r.get(4)?,
    })
}

/// One user by name, enabled or not.
pub fn member(conn: &Connection, name: &str) -> Result<Option<Member>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM users WHERE name = ?1"))?
        .query_row([name], row_member)
        .optional()?)
}

/// The user linked to an OS login, enabled or not.
pub fn member_by_login(conn: &Connection, login: &str) -> Result<Option<Member>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM users WHERE login = ?1"))?
        .query_row([login], row_member)
        .optional()?)
}

/// Every user, by name.
pub fn members(conn: &Connection) -> Result<Vec<Member>> {
    let mut st = conn.prepare_cached(&format!("SELECT {COLS} FROM users ORDER BY name"))?;
    let rows = st.query_map([], row_member)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Writes `m` and logs it as a `user` event by `actor`, inside the caller's
/// transaction. `created_at` is kept for an existing user.
pub fn save(
    conn: &Connection,
    chain: &mut events::Appender,
    actor: &str,
    m: &Member,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO users(name, roles, login, enabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(name) DO UPDATE SET roles = excluded.roles, login = excluded.login,
             enabled = excluded.enabled",
    )?
    .execute(rusqlite::params![
        m.name,
        m.roles.join(" "),
        m.login,
        i64::from(m.enabled),
        now
    ])?;
    let data = serde_json::to_string(m).unwrap_or_default();
    chain.append_about(conn, actor, EventKind::User, Some(&m.name), &data, now)?;
    Ok(())
}

impl Store {
    /// Adds a user, or adds roles to an existing one, logged as done by
    /// the user themself (setup and library use; the command line goes
    /// through `ops::team`, which logs the admin who did it).
    pub fn upsert_user(&mut self, name: &str, roles: &[String], now: i64) -> Result<User> {
        self.write(|tx| {
            let mut m = member(tx, name)?.unwrap_or(Member {
                name: name.to_string(),
                roles: Vec::new(),
                login: None,
                enabled: true,
                created_at: now,
            });
            for r in roles {
                if !m.roles.contains(r) {
                    m.roles.push(r.clone());
                }
            }
            let mut chain = events::Appender::load(tx)?;
            save(tx, &mut chain, name, &m, now)?;
            chain.finish(tx)?;
            Ok(m.user())
        })
    }

    /// An enabled user by name; a disabled one is `None` (they can neither
    /// act nor read).
    pub fn user(&self, name: &str) -> Result<Option<User>> {
        Ok(member(self.conn(), name)?
            .filter(|m| m.enabled)
            .map(|m| m.user()))
    }

    /// The enabled users, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        Ok(members(self.conn())?
            .into_iter()
            .filter(|m| m.enabled)
            .map(|m| m.user())
            .collect())
    }
}
