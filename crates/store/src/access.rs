//! The PHI access log as both stores serve it: what `access-log` selects,
//! and the rows it returns (the row type and its hash are the core's).

pub use carequeue_core::log::access::{AccessRow, digest};

/// What `access-log` selects.
#[derive(Debug, Clone, Default)]
pub struct AccessFilter {
    pub user: Option<String>,
    pub record: Option<i64>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}
