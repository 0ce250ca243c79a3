//! The PostgreSQL schema, step 1: a `carequeue` schema owned by the login
//! that runs `init` (CREATEROLE and CREATE on the database; no superuser),
//! group roles named after the database (`DB_member`, `DB_admin`), logs
//! that nobody may UPDATE, DELETE or TRUNCATE, and writes only through
//! `SECURITY DEFINER` functions that take the actor from `session_user`.
//! Installed in one transaction under an advisory lock, so two `init`s
//! (or migrations) never interleave.

use crate::StoreError;
const SQL: &str = include_str!("schema.sql");

/// The lock every schema change takes (inside its transaction).
const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('carequeue.migrate'))";

/// The database's group roles: every carequeue login is a member; admins
/// link logins.
pub fn roles(db: &str) -> (String, String) {
    (format!("{db}_member"), format!("{db}_admin"))
}

/// Lays down the schema in the connected database; `trust` (fixed here,
/// as at `init` on SQLite) lets a session act as another login it may
/// `SET ROLE` to.
pub fn install(c: &mut postgres::Client, trust: bool) -> crate::Result<()> {
    let mut tx = c.transaction()?;
    install_in(&mut tx, trust)?;
    tx.commit().map_err(StoreError::from)
}

/// The database's name, if carequeue can name its roles after it.
pub fn database(tx: &mut postgres::Transaction) -> crate::Result<String> {
    let db: String = tx.query_one("SELECT current_database()", &[])?.try_get(0)?;
    if !db
        .chars()
        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
    {
        return Err(StoreError::Refused(format!(
            "database name `{}`: carequeue names its roles after the database, so it takes [a-z0-9_] only",
            carequeue_core::text::shown(&db)
        )));
    }
    Ok(db)
}

/// Whether the database already holds a carequeue schema.
pub fn installed(tx: &mut postgres::Transaction) -> crate::Result<bool> {
    tx.query_one(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'carequeue')",
        &[],
    )?
    .try_get(0)
    .map_err(StoreError::from)
}

/// [`install`] inside the caller's transaction (`migrate` installs and
/// copies in one), under the migration lock.
pub fn install_in(tx: &mut postgres::Transaction, trust: bool) -> crate::Result<()> {
    let db = database(tx)?;
    let (member, admin) = roles(&db);
    tx.execute(MIGRATION_LOCK, &[])?;
    if installed(tx)? {
        return Err(StoreError::Refused(format!(
            "database {db} already holds a carequeue schema"
        )));
    }
    for role in [&member, &admin] {
        let have: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
                &[role],
            )?
            .try_get(0)?;
        if !have {
            tx.batch_execute(&format!("CREATE ROLE \"{role}\" NOLOGIN"))?;
        }
    }
    // Admins are members too.
    tx.batch_execute(&format!("GRANT \"{member}\" TO \"{admin}\""))?;
    let sql = SQL
        .replace("@member@", &member)
        .replace("@admin@", &admin)
        .replace("@trust@", if trust { "true" } else { "false" });
    tx.batch_execute(&sql).map_err(StoreError::from)
}

/// The migration lock, for a caller that changes the schema's contents
/// wholesale (`migrate`).
pub fn lock(tx: &mut postgres::Transaction) -> crate::Result<()> {
    tx.execute(MIGRATION_LOCK, &[])
        .map(|_| ())
        .map_err(StoreError::from)
}

/// Every connection's settings: the schema first on the search path, and
/// timeouts so a stuck statement or an abandoned transaction cannot hold
/// the chain's lock for long.
pub fn session(c: &mut postgres::Client) -> crate::Result<()> {
    c.batch_execute(
        "SET search_path = carequeue, pg_temp; \
         SET statement_timeout = '30s'; \
         SET idle_in_transaction_session_timeout = '60s'",
    )
    .map_err(StoreError::from)
}
