//! A checkpoint: each log's length and head at an instant, kept outside
//! the database so a history rewritten later is evident (`verify
//! --checkpoint`).

/// The logs' counts and heads at one moment, to be kept outside the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub events: i64,
    pub head: String,
    pub access_events: i64,
    pub access_head: String,
    pub at: String,
}
