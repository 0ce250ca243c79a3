//! PostgreSQL, for a team across hosts: the client side so far. Where the
//! server is and who connects, read as libpq reads it ([`conninfo`],
//! [`pgpass`]), and a connection whose certificates are checked as
//! `sslmode` asks ([`connect`]). The store itself follows.

mod connect;
pub mod conninfo;
pub mod pgpass;

pub use connect::{config, connect, tls};
