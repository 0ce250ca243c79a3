//! Small helpers of the audit scan.

use crate::domain::{Pipeline, StageIx};
use crate::log::EventKind;
use std::collections::HashMap;

/// Strings as small integers (reason codes, user names).
#[derive(Default)]
pub(crate) struct Interner {
    pub(crate) names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    pub(crate) fn get(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }
}

/// Seconds as a sample value, clamped to `u32` (136 years).
pub(crate) fn clamp_u32(v: i64) -> u32 {
    v.clamp(0, i64::from(u32::MAX)) as u32
}

/// Whether an escalation's data names a role to reassign to.
pub(crate) fn reassigns(data: &str) -> bool {
    // The sweep writes `"reassign":null` when a level only notifies.
    if !data.contains("reassign") || data.contains("\"reassign\":null") {
        return false;
    }
    serde_json::from_str::<serde_json::Value>(data)
        .ok()
        .is_some_and(|v| v.get("reassign").is_some_and(|r| !r.is_null()))
}

/// Samples per chunk of [`Samples`] (64 KiB).
const SAMPLE_CHUNK: usize = 1 << 14;

/// `u32` samples kept in fixed-size chunks: growing never copies what is
/// already there nor leaves up to half of a doubled buffer unused, which on
/// a million records is most of the audit's memory.
#[derive(Default, Clone)]
pub(crate) struct Samples {
    chunks: Vec<Vec<u32>>,
    len: usize,
}

impl Samples {
    pub(crate) fn push(&mut self, v: u32) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < SAMPLE_CHUNK => c.push(v),
            _ => {
                let mut c = Vec::with_capacity(SAMPLE_CHUNK.min(self.len.max(16)));
                c.push(v);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }

    /// The samples in pushed order, chunk by chunk. Two `Samples` pushed
    /// the same number of times have chunks of the same lengths.
    pub(crate) fn chunks(&self) -> &[Vec<u32>] {
        &self.chunks
    }

    /// One contiguous vector, freeing each chunk as it is copied.
    pub(crate) fn into_vec(self) -> Vec<u32> {
        let mut v = Vec::with_capacity(self.len);
        for c in self.chunks {
            v.extend_from_slice(&c);
        }
        v
    }
}

/// The breach reason an exit event gave, if it gave one: its reason, when
/// a person gave it as one. A timer's reason is the timer's own (a timer
/// explains no breach), and so is a reason the transition itself takes
/// (`close` with `declined`): neither is a breach reason.
pub(crate) fn breach_reason_given<'a>(
    p: &Pipeline,
    kind: EventKind,
    from: Option<StageIx>,
    to: Option<StageIx>,
    reason: Option<&'a str>,
) -> Option<&'a str> {
    let code = reason?;
    if kind == EventKind::Timer {
        return None;
    }
    let own = p.transitions.iter().any(|t| {
        Some(t.to) == to
            && (t.from_any || from.is_some_and(|f| t.from.contains(&f)))
            && t.reasons.iter().any(|c| c == code)
    });
    (!own).then_some(code)
}
