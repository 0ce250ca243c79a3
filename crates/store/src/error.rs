//! What can go wrong in a store, on either kind, as the layers above
//! match it: typed, so nothing decides on an error's text.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("{0} does not exist (create it with `carequeue init` or `carequeue demo`)")]
    Missing(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database schema version {found} is newer than this carequeue understands ({known})")]
    TooNew { found: i64, known: i64 },
    #[error("record {0} not found")]
    NoRecord(i64),
    /// The record moved on from the version a change was decided on: to
    /// `actual` where the store read it (the server refuses without
    /// saying, so PostgreSQL's write path leaves it unknown).
    #[error(
        "record {id} changed since you read it (version {expected}{}); reload and try again",
        .actual.map(|a| format!(", now {a}")).unwrap_or_default()
    )]
    Stale {
        id: i64,
        expected: i64,
        actual: Option<i64>,
    },
    #[error("{table} row {expected} was stored as {actual}: the table changed while appending")]
    Misplaced {
        table: &'static str,
        expected: i64,
        actual: i64,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(
        "{path} is on a network file system ({kind}); SQLite's locks are not reliable there and the database could be corrupted. Move it to a local disk, or pass --allow-network-fs if you are sure only one host uses it"
    )]
    NetworkFs { path: String, kind: &'static str },
    #[error("{0}")]
    Key(String),
    #[error(
        "the pipeline changed while you worked (version {version} was applied); nothing was written: run the command again under the new pipeline"
    )]
    PipelineChanged { version: i64 },
    #[error(
        "{0}: not a carequeue database (left as it is; create one with `carequeue init` at another path)"
    )]
    Foreign(String),
    #[error(
        "{path} is read-only for you (its file mode or mount allows you no writes), so it was opened for reading only and nothing can be written to it"
    )]
    ReadOnly { path: String },
    #[error(
        "{path} is read-only for you and needs schema step {known} (it is at {found}): someone who may write it must open it first"
    )]
    ReadOnlyOld {
        path: String,
        found: i64,
        known: i64,
    },
    #[error(
        "{path} was made by an older carequeue (schema step {found}; this one writes {known}): its OS owner must run `carequeue pipeline adopt FILE` first, which brings it up to date"
    )]
    Old {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("cannot create {path}: {why}")]
    Create { path: String, why: String },
    /// The database server's own words (SQLSTATE and message).
    #[error("{0}")]
    Server(String),
    /// The server refused for want of a privilege: its words, and which
    /// logins may do it.
    #[error("{0}")]
    Denied(String),
    /// The server gave up a transaction that may succeed when run again
    /// (a serialization failure or a deadlock): its words.
    #[error("{0}")]
    Retryable(String),
    /// The server cannot be reached, or the connection was lost: why.
    #[error("{0}")]
    Unavailable(String),
    /// The store will not do what was asked: why (migrate into a database
    /// that is not empty, a demo over a real database).
    #[error("{0}")]
    Refused(String),
    /// What was read breaks the store's own rules (a chain that does not
    /// link, a row that cannot be read back): what and where.
    #[error("{0}")]
    Broken(String),
    /// Where a server is and how to reach it could not be read (a URL, the
    /// environment, a password file): what and where.
    #[error("{0}")]
    Settings(String),
    /// An event kind this carequeue does not know (a newer carequeue's, or
    /// a row written behind its back).
    #[error(transparent)]
    Kind(#[from] carequeue_core::log::UnknownKind),
    /// A transaction rolled back by its caller, who holds the reason.
    #[error("the change was rolled back")]
    Aborted,
}

pub type Result<T> = std::result::Result<T, StoreError>;
