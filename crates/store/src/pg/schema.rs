//! The PostgreSQL schema: a `carequeue` schema owned by the login that
//! runs `init` (CREATEROLE and CREATE on the database; no superuser),
//! group roles named after the database (`DB_member`, `DB_admin`), logs
//! that nobody may UPDATE, DELETE or TRUNCATE, and writes only through
//! `SECURITY DEFINER` functions that take the actor from `session_user`.
//!
//! The schema is an append-only list of steps, as SQLite's migrations are:
//! a new database is laid down by running every step in turn, and one made
//! by an older carequeue is brought forward by its owner on connect
//! ([`upgrade`]), by the very same steps. Each runs in one transaction
//! under an advisory lock, so two `init`s (or upgrades) never interleave.

use crate::StoreError;

/// Every step, oldest first: step N is `STEPS[N - 1]`. Append only; a
/// step once released is never edited.
const STEPS: [&str; 7] = [
    // 1: tables, roles, append-only logs, writes through functions.
    include_str!("schema.sql"),
    // 2: the server dates, seals and checks every write.
    concat!(
        include_str!("step2/seal.sql"),
        include_str!("step2/writes.sql")
    ),
    // 3: patient data is read through the server, logged.
    include_str!("step3/reads.sql"),
    // 4: an index for the records handed to a role.
    include_str!("step4/indexes.sql"),
    // 5: webhook delivery state and the deliverer's lease.
    include_str!("step5/outbox.sql"),
    // 6: early SLA warnings: the columns, their index and their checks.
    include_str!("step6/warnings.sql"),
    // 7: stays kept current (issue 25).
    include_str!("step7/stays.sql"),
];

/// The step this carequeue lays down and expects.
pub const LATEST: i64 = STEPS.len() as i64;

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
    install_steps(tx, trust, STEPS.len())
}

/// Lays down steps 1 to `last` only, as the carequeue that knew no more
/// did: a database for tests of [`upgrade`].
pub fn install_through(c: &mut postgres::Client, trust: bool, last: usize) -> crate::Result<()> {
    let mut tx = c.transaction()?;
    install_steps(&mut tx, trust, last.min(STEPS.len()))?;
    tx.commit().map_err(StoreError::from)
}

fn install_steps(tx: &mut postgres::Transaction, trust: bool, last: usize) -> crate::Result<()> {
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
    for (i, step) in STEPS.iter().take(last).enumerate() {
        run_step(tx, i + 1, step, &member, &admin, trust)?;
    }
    Ok(())
}

/// Runs step `n` (its SQL `sql`) in `tx`, its role names and trust mode
/// filled in.
fn run_step(
    tx: &mut postgres::Transaction,
    n: usize,
    sql: &str,
    member: &str,
    admin: &str,
    trust: bool,
) -> crate::Result<()> {
    let sql = sql
        .replace("@member@", member)
        .replace("@admin@", admin)
        .replace("@trust@", if trust { "true" } else { "false" });
    tx.batch_execute(&sql)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Server(why) => StoreError::Server(format!("schema step {n}: {why}")),
            other => other,
        })?;
    if n == 2 {
        super::rules::fill(tx)?;
    }
    Ok(())
}

/// The schema step of the connected database (1 for a database older
/// than the `schema_step` key).
fn step_of(c: &mut impl postgres::GenericClient) -> crate::Result<i64> {
    let v: Option<String> = c
        .query_opt(
            "SELECT value FROM carequeue.meta WHERE key = 'schema_step'",
            &[],
        )?
        .map(|r| r.try_get(0))
        .transpose()?;
    Ok(v.and_then(|s| s.parse().ok()).unwrap_or(1))
}

/// Checks the connected database's schema step: a current one goes on; an
/// older one is brought forward here if this session's login owns the
/// schema, and otherwise refused, naming the owner who can; a newer one
/// (from a later carequeue) is refused.
pub fn upgrade(c: &mut postgres::Client) -> crate::Result<()> {
    let have = step_of(c)?;
    if have == LATEST {
        return Ok(());
    }
    let (owner, mine): (String, bool) = {
        let row = c.query_one(
            "SELECT r.rolname::text, r.rolname = session_user
             FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
             WHERE n.nspname = 'carequeue'",
            &[],
        )?;
        (row.try_get(0)?, row.try_get(1)?)
    };
    let owner = carequeue_core::text::shown(&owner);
    if have > LATEST {
        return Err(StoreError::Refused(format!(
            "the database is at schema step {have}, made by a newer carequeue; this one knows steps up to {LATEST}: upgrade carequeue"
        )));
    }
    if !mine {
        return Err(StoreError::Refused(format!(
            "the database is at schema step {have}; this carequeue needs step {LATEST}: its owner (login {owner}) upgrades it by running any carequeue command against it once"
        )));
    }
    let mut tx = c.transaction()?;
    let db = database(&mut tx)?;
    let (member, admin) = roles(&db);
    tx.execute(MIGRATION_LOCK, &[])?;
    let trust: bool = tx
        .query_one(
            "SELECT coalesce((SELECT value = 'true' FROM carequeue.meta WHERE key = 'trust'), false)",
            &[],
        )?
        .try_get(0)?;
    // Another owner's session may have upgraded it meanwhile.
    let from = step_of(&mut tx)?;
    for n in from + 1..=LATEST {
        let Some(sql) = usize::try_from(n - 1).ok().and_then(|i| STEPS.get(i)) else {
            break;
        };
        run_step(&mut tx, n as usize, sql, &member, &admin, trust)?;
    }
    tx.commit().map_err(StoreError::from)
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

/// Whether the session's login owns the schema (and so reads every table
/// without an access entry of its own).
pub fn owns(c: &mut postgres::Client) -> crate::Result<bool> {
    Ok(c.query_one(
        "SELECT coalesce((SELECT nspowner::regrole::text = session_user::text
                          FROM pg_namespace WHERE nspname = 'carequeue'), false)",
        &[],
    )?
    .try_get(0)?)
}

#[cfg(test)]
mod tests {
    use carequeue_core::log::{AccessAction, Grant};

    /// The actions of the `n`th `p_action IN (…)` list of step 3's
    /// `log_access`.
    fn listed(n: usize) -> Vec<String> {
        let sql = include_str!("step3/reads.sql");
        let Some(list) = sql.split("p_action IN (").nth(n + 1) else {
            panic!("step 3 has no list {n}");
        };
        let Some((list, _)) = list.split_once(')') else {
            panic!("list {n} is not closed");
        };
        list.split(',')
            .map(|a| a.trim().trim_matches('\'').to_string())
            .collect()
    }

    #[test]
    fn the_servers_grants_are_the_access_actions_own() {
        let (record, every) = (listed(0), listed(1));
        for a in AccessAction::ALL {
            let word = a.as_str().to_string();
            assert_eq!(
                a.grant(Some(1)) == Grant::Record,
                record.contains(&word),
                "{word} naming a record"
            );
            assert_eq!(
                a.grant(None) == Grant::Every,
                every.contains(&word),
                "{word} naming none"
            );
        }
    }
}
