//! PostgreSQL, for a team across hosts, so far: where the server is and
//! who connects, read as libpq reads it ([`conninfo`], [`pgpass`]); a
//! connection whose certificates are checked as `sslmode` asks
//! ([`connect`]); and the schema with its roles, append-only logs and
//! `SECURITY DEFINER` write functions ([`schema`]). The store on top of
//! them follows.

pub mod chain;
mod connect;
pub mod conninfo;
pub mod live;
pub mod pgpass;
pub mod schema;

pub use connect::{config, connect, tls};
