//! PostgreSQL only: the client side, the schema as a DBA checks it,
//! `migrate`, `init` and `demo`, failover, two hosts, and the console on a
//! server. Skipped with a note without root and the server binaries,
//! unless `CQ_REQUIRE_ROOT=1`.

#[path = "../common/mod.rs"]
mod common;

mod attacks;
mod connect;
mod console;
mod failover;
mod forge;
mod forged_kinds;
mod init;
mod migrate;
mod reads;
mod schema;
mod stays;
mod two_hosts;
mod upgrade;
