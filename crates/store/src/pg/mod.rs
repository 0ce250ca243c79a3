//! PostgreSQL, for a team across hosts, so far: where the server is and
//! who connects, read as libpq reads it ([`conninfo`], [`pgpass`]); a
//! connection whose certificates are checked as `sslmode` asks
//! ([`connect`]); and the schema with its roles, append-only logs and
//! `SECURITY DEFINER` write functions ([`schema`]); `migrate` from SQLite
//! ([`migrate`], through [`copy`]) and `verify` ([`verify`]); and the
//! store itself ([`PgStore`]: `store::Db` on a server session, its writes
//! in [`tx`], its queue queries in [`query`]), which the record commands
//! run on. The console and the other commands follow.

mod board;
mod bulk;
pub mod chain;
mod connect;
pub mod conninfo;
pub mod copy;
mod counts;
mod export;
mod in_use;
pub mod live;
pub mod migrate;
pub mod pgpass;
mod prepared;
pub mod query;
mod rows;
pub mod schema;
mod setup;
pub mod store;
mod tx;
pub mod verify;

pub use connect::{config, connect, tls};
pub use setup::Setup;
pub use store::PgStore;

/// Column `i` of `r` as `T`, or the server's words for why not: a value
/// of another type than the schema's is an error, never a panic.
pub(crate) fn col<'a, T: postgres::types::FromSql<'a>>(
    r: &'a postgres::Row,
    i: usize,
) -> Result<T, String> {
    r.try_get(i).map_err(db_error)
}

/// A server error in the server's own words (its SQLSTATE first; never a
/// password). Refused reads say which logins may make them.
pub(crate) fn db_error(e: postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) if d.code() == &postgres::error::SqlState::INSUFFICIENT_PRIVILEGE => format!(
            "{}: reading every table, the access log included, takes an admin login or the database's owner",
            d.message()
        ),
        Some(d) => format!("{}: {}", d.code().code(), d.message()),
        None => e.to_string(),
    }
}
