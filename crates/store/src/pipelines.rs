//! The pipeline texts a database has run under, as both stores keep them:
//! each version with its hash, logged by a `pipeline` (or
//! `pipeline_applied`) event.

use carequeue_core::log::{EventKind, hex};
use sha2::{Digest, Sha256};

/// SHA-256 of a pipeline's text, as lowercase hex.
pub fn pipeline_hash(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// One stored pipeline version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPipeline {
    pub version: i64,
    pub hash: String,
    pub text: String,
    pub event_id: i64,
}

/// One applied version, as `pipeline history` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineChange {
    pub version: i64,
    pub at: i64,
    pub actor: String,
    pub hash: String,
    /// How it came: `init`, `adopt` or `apply`.
    pub how: String,
}

/// How a version came (`init`, `adopt`, `apply`), from its event's data.
pub fn how_stored(data: Option<&str>) -> String {
    data.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|v| v["how"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The event that logs pipeline `version` stored `how`: its kind, the
/// text's hash, and its data (the same on both stores).
pub fn pipeline_event(version: i64, how: &str, text: &str) -> (EventKind, String, String) {
    let hash = pipeline_hash(text);
    let data = serde_json::json!({"version": version, "hash": hash, "how": how}).to_string();
    // `init` and `adopt` log a `pipeline` event.
    let kind = if how == "apply" {
        EventKind::PipelineApplied
    } else {
        EventKind::Pipeline
    };
    (kind, hash, data)
}
