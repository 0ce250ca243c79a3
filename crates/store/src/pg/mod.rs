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
mod error;
mod export;
mod feed;
mod in_use;
pub mod live;
pub mod migrate;
pub mod outbox;
pub mod pgpass;
mod prepared;
pub mod query;
mod rows;
pub mod rules;
pub mod schema;
mod setup;
mod stays;
pub mod store;
mod tx;
pub mod verify;

pub use connect::{config, connect, tls};
pub use setup::Setup;
pub use store::PgStore;

/// Column `i` of `r` as `T`: a value of another type than the schema's is
/// an error, never a panic.
pub(crate) fn col<'a, T: postgres::types::FromSql<'a>>(
    r: &'a postgres::Row,
    i: usize,
) -> crate::Result<T> {
    Ok(r.try_get(i)?)
}
