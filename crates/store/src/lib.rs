//! Where records and their logs are kept. The operations and the console
//! speak to a store through two traits: [`Db`] (what an operation reads,
//! and the one write transaction, [`Tx`]) and [`Board`] (what the console
//! reads besides). Two stores implement them, one folder each: [`sqlite`]
//! (one file, for one host) and [`pg`] (PostgreSQL, for a team across
//! hosts). What both share sits beside them: the errors, the queue
//! filter and order, the terms both write alike, the row types they
//! return, and the event log's types (re-exported from the core).

pub mod access;
pub mod board;
pub mod checkpoint;
pub mod columns;
pub mod counts;
pub mod db;
pub mod due;
mod error;
pub mod feed;
pub mod filter;
pub mod in_use;
pub mod os;
pub mod outbox;
pub mod pg;
pub mod pipelines;
pub mod sort;
pub mod sqlite;
pub mod team;
pub mod terms;
pub mod verify;
pub mod views;

pub use board::{Board, Heard};
pub use counts::{BreachGroup, StageCount};
pub use db::{Db, Tx};
pub use error::{Result, StoreError};
pub use filter::{ListFilter, OwnerFilter, SlaFilter};
pub use sort::{KeyVal, RowKey, Seek, Sort, SortKey};
pub use sqlite::Store;

/// The event log's types, as the core defines them.
pub mod events {
    pub use carequeue_core::log::{
        EventKind, EventRow, GENESIS, NONE, NewEvent, StoredKind, chain_hash, event_hash, hex,
        push_hex,
    };
}
pub use events::{EventRow, NewEvent};
