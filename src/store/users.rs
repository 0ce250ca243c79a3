//! The team: users and the roles they hold.

use super::{Result, Store};
use crate::engine::User;
use rusqlite::OptionalExtension;

impl Store {
    /// Adds a user, or adds roles to an existing one.
    pub fn upsert_user(&mut self, name: &str, roles: &[String], now: i64) -> Result<User> {
        self.write(|tx| {
            let existing: Option<String> = tx
                .query_row("SELECT roles FROM users WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?;
            let mut all: Vec<String> = existing
                .as_deref()
                .map(|s| s.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default();
            for r in roles {
                if !all.contains(r) {
                    all.push(r.clone());
                }
            }
            tx.execute(
                "INSERT INTO users(name, roles, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET roles = excluded.roles",
                rusqlite::params![name, all.join(" "), now],
            )?;
            Ok(User {
                name: name.to_string(),
                roles: all,
            })
        })
    }

    pub fn user(&self, name: &str) -> Result<Option<User>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT name, roles FROM users WHERE name = ?1")?
            .query_row([name], row_user)
            .optional()?)
    }

    pub fn users(&self) -> Result<Vec<User>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT name, roles FROM users ORDER BY name")?;
        let rows = st.query_map([], row_user)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

fn row_user(r: &rusqlite::Row) -> rusqlite::Result<User> {
    let roles: String = r.get(1)?;
    Ok(User {
        name: r.get(0)?,
        roles: roles.split_whitespace().map(str::to_string).collect(),
    })
}
