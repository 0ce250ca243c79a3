//! Small helpers of the audit scan.

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
    if !data.contains("reassign") {
        return false;
    }
    serde_json::from_str::<serde_json::Value>(data)
        .ok()
        .is_some_and(|v| v.get("reassign").is_some_and(|r| !r.is_null()))
}
