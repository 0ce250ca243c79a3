//! A session for the commands that lay a database down or check it whole
//! (`init`, `demo`, `migrate`, `verify`), so the command line names no
//! client type: it connects, says where it is, copies a SQLite database
//! onto the server, verifies, and for a demo clears an earlier demo and
//! makes and grants the demo's roles.

use super::conninfo::{self, ConnInfo};
use super::migrate::Migrated;
use super::schema;
use super::verify::Verified;
use crate::Store;
use crate::StoreError;
use crate::verify::Verifier;

pub struct Setup {
    c: postgres::Client,
    info: ConnInfo,
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Setup {
    /// Connects to `url` (the libpq environment and password file read as
    /// libpq reads them); `flag` names the option in a problem.
    pub fn open(url: &str, flag: &str) -> crate::Result<Setup> {
        let info = conninfo::parse(url, &conninfo::ProcessEnv)
            .map_err(|e| StoreError::Settings(format!("{flag}: {e}")))?;
        let c = super::connect(&info)?;
        Ok(Setup { c, info })
    }

    /// The login this session connected as.
    pub fn login(&mut self) -> crate::Result<String> {
        self.c
            .query_one("SELECT session_user::text", &[])
            .and_then(|r| r.try_get(0))
            .map_err(StoreError::from)
    }

    /// `database NAME at HOST:PORT[,…]`, for the command's report.
    pub fn place(&self) -> String {
        let host: Vec<String> = self
            .info
            .hosts
            .iter()
            .map(|h| format!("{}:{}", h.name, h.port))
            .collect();
        format!(
            "database {} at {}",
            carequeue_core::text::clean(&self.info.dbname),
            carequeue_core::text::clean(&host.join(","))
        )
    }

    /// Copies `source` onto the server (see [`super::migrate::run`]).
    pub fn migrate(
        &mut self,
        source: &Store,
        admins: &[String],
        log_readers: &[String],
        check: Verifier,
    ) -> crate::Result<Migrated> {
        super::migrate::run(source, &mut self.c, admins, log_readers, check, None)
    }

    /// `init`'s first events, made on a scratch SQLite database, laid down
    /// as the connected login's own: recorded under its login, not as
    /// migrated history.
    pub fn lay_down(
        &mut self,
        source: &Store,
        admins: &[String],
        log_readers: &[String],
        check: Verifier,
    ) -> crate::Result<Migrated> {
        let login: String = self
            .c
            .query_one("SELECT session_user::text", &[])?
            .try_get(0)?;
        super::migrate::run(
            source,
            &mut self.c,
            admins,
            log_readers,
            check,
            Some(&login),
        )
    }

    /// Verifies the database with `check` for the business rules (see
    /// [`super::verify::run`]).
    pub fn verify(&mut self, check: Verifier) -> crate::Result<Verified> {
        super::verify::run(&mut self.c, check)
    }

    /// Makes way for a demo: drops an earlier demo's schema; refuses a
    /// database that holds anything else. Returns the database's name.
    pub fn clear_demo(&mut self) -> crate::Result<String> {
        let mut tx = self.c.transaction()?;
        let db = schema::database(&mut tx)?;
        if schema::installed(&mut tx)? {
            let demo: Option<String> = tx
                .query_opt("SELECT value FROM carequeue.meta WHERE key = 'demo'", &[])?
                .map(|r| r.try_get(0))
                .transpose()?;
            if demo.as_deref() != Some("true") {
                return Err(StoreError::Refused(format!(
                    "database {} holds a carequeue database that is not a demo; refusing to overwrite it (choose another --db)",
                    carequeue_core::text::clean(&db)
                )));
            }
            tx.batch_execute("DROP SCHEMA carequeue CASCADE")?;
        }
        tx.commit()?;
        Ok(db)
    }

    /// Each of `roles` as a role that cannot log in, where the server has
    /// none by that name.
    pub fn nologin_roles(&mut self, roles: &[String]) -> crate::Result<()> {
        for r in roles {
            let have: bool = self
                .c
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
                    &[r],
                )
                .and_then(|row| row.try_get(0))?;
            if !have {
                self.c
                    .batch_execute(&format!("CREATE ROLE {} NOLOGIN", quote(r)))?;
            }
        }
        Ok(())
    }

    /// Grants `role` database `db`'s member role (and its admin role when
    /// `admin`), and lets this session's login `SET ROLE` to it.
    pub fn grant_demo_role(&mut self, db: &str, role: &str, admin: bool) -> crate::Result<()> {
        let me = self.login()?;
        let (member, admin_role) = schema::roles(db);
        let r = quote(role);
        let mut grants = format!(
            "GRANT {} TO {r}; GRANT {r} TO {}",
            quote(&member),
            quote(&me)
        );
        if admin {
            grants.push_str(&format!("; GRANT {} TO {r}", quote(&admin_role)));
        }
        self.c.batch_execute(&grants).map_err(StoreError::from)
    }
}
