//! A PostgreSQL error as the store's: classified once, here, by its
//! SQLSTATE (never by its text), and worded in the server's own words with
//! the state first (never a password: the client puts none in them).

use crate::StoreError;
use postgres::error::SqlState;

/// carequeue's own SQLSTATE for a change to a record no longer at the
/// version it was decided on.
pub(crate) const STALE: &str = "CQ409";

/// The server's refusal of a change its rules do not allow (schema step 2).
const REFUSED: &str = "CQ403";

/// The server's refusal of a transaction too old to date its changes.
const TOO_OLD: &str = "CQ408";

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        let Some(d) = e.as_db_error() else {
            let lost = e.is_closed()
                || std::error::Error::source(&e)
                    .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some());
            return if lost {
                StoreError::Unavailable(e.to_string())
            } else {
                StoreError::Server(e.to_string())
            };
        };
        let words = format!("{}: {}", d.code().code(), d.message());
        match d.code() {
            c if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
            {
                StoreError::Retryable(words)
            }
            c if c.code() == REFUSED || c.code() == TOO_OLD => {
                StoreError::Refused(format!("the server refused: {}", d.message()))
            }
            // A log held by another session past the wait: try again.
            c if *c == SqlState::LOCK_NOT_AVAILABLE => StoreError::Retryable(words),
            c if *c == SqlState::INSUFFICIENT_PRIVILEGE => StoreError::Denied(format!(
                "{}: reading every table, the access log included, takes an admin login or the database's owner",
                d.message()
            )),
            c if c.code().starts_with("08")
                || *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CRASH_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW =>
            {
                StoreError::Unavailable(words)
            }
            _ => StoreError::Server(words),
        }
    }
}

/// Whether `e` is the server's refusal of a stale change.
pub(crate) fn is_stale(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| c.code() == STALE)
}
