//! Bulk actions on marked records, on the data side: a dry run that runs
//! each record's operation whole and rolls it back (so it meets exactly the
//! checks a real write would), then the real run, each record its own
//! transaction and event, written with the version the dry run saw.

use super::service::{Cmd, Service};
use crate::ops::OpError;
use crate::store::StoreError;

/// One marked record after the dry run: its operation, carrying the
/// version the dry run saw, and why it would be refused, if it would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub cmd: Cmd,
    pub refused: Option<String>,
}

/// What the real run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    pub done: Vec<i64>,
    /// Each refused record with its reason; `stale` for one changed since
    /// the dry run.
    pub refused: Vec<(i64, String)>,
}

/// The refusal's reason without the record it names, so like reasons
/// group; with the pipeline's names, as people read it.
pub fn reason_of(p: &crate::domain::Pipeline, e: &OpError) -> String {
    if matches!(e, OpError::Store(StoreError::Stale { .. })) {
        return STALE.to_string();
    }
    crate::present::error_reason(p, e)
}

pub const STALE: &str = "changed since the dry run";

impl Service {
    /// The dry run: each command against the record as it is now.
    pub fn bulk_check(&mut self, cmds: Vec<Cmd>) -> Vec<Verdict> {
        let mut out = Vec::with_capacity(cmds.len());
        for mut cmd in cmds {
            let refused = match self.store.record(cmd.id()) {
                Err(e) => Some(e.to_string()),
                Ok(r) => {
                    cmd.set_version(r.version);
                    self.store.set_dry_run(true);
                    let res = self.commit(cmd.clone());
                    self.store.set_dry_run(false);
                    res.err().map(|e| reason_of(&self.pipeline, &e))
                }
            };
            out.push(Verdict { cmd, refused });
        }
        out
    }

    /// The real run: one transaction per record; a refusal undoes nothing else.
    pub fn bulk_run(&mut self, cmds: Vec<Cmd>) -> BulkOutcome {
        let mut out = BulkOutcome::default();
        for cmd in cmds {
            let id = cmd.id();
            match self.commit(cmd) {
                Ok(_) => out.done.push(id),
                Err(e) => out.refused.push((id, reason_of(&self.pipeline, &e))),
            }
        }
        out
    }
}
