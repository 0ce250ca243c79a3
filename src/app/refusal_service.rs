//! A console change refused on a record: the refusal says who changed the
//! record and how, and is in the access log, whatever refused it (a stale
//! version, or the engine's rules meeting someone else's change).

use super::service::{Cmd, Response, Service};
use crate::ops::{self, OpError, Overtaken};
use crate::store::StoreError;

impl Service {
    /// Runs `cmd`: what it did, or why not. A change refused because the
    /// record changed meanwhile says who changed it and how ("#191 was
    /// reassigned to kim by sam at 10:02; nothing was done"); a rule's
    /// refusal adds it when someone else changed the record last.
    pub(super) fn commit_told(&mut self, cmd: Cmd) -> Result<String, String> {
        let (id, what) = (cmd.id(), cmd.what());
        let e = match self.commit(cmd) {
            Ok(done) => return Ok(done),
            Err(e) => e,
        };
        // Names, not ids, where a person reads the refusal.
        let text = crate::present::error_text(&self.pipeline, &e);
        let stale = matches!(e, OpError::Store(StoreError::Stale { .. }));
        let on_record = matches!(e, OpError::Refused(_) | OpError::RecordDenied { .. });
        if !stale && !on_record {
            return Err(text);
        }
        let now = self.clock.now();
        let told = ops::who_changed(
            &self.pipeline,
            &mut *self.store,
            &self.user,
            id,
            Overtaken::Refused(&what),
            now,
        );
        match told {
            Ok(Some(last)) if stale => Err(format!("{}; nothing was done", last.said)),
            Ok(Some(last)) if last.actor != self.user.name => {
                Err(format!("{text} · {}; nothing was done", last.said))
            }
            Ok(_) => Err(text),
            // The refusal stands; the entry could not be written or read.
            Err(log) => Err(format!("{text} ({log})")),
        }
    }

    /// Who changed record `id` since `version`, if it changed (read under
    /// an access entry of its own); nothing if it did not.
    pub(super) fn who_changed(
        &mut self,
        id: i64,
        version: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Response> {
        match self.store.record(id) {
            Ok(r) if r.version == version => return Ok(Response::Noted),
            Ok(_) => {}
            // Gone (deleted in a pipeline change): nothing to tell.
            Err(StoreError::NoRecord(_)) => return Ok(Response::Noted),
            Err(e) => return Err(e.into()),
        }
        let last = ops::who_changed(
            &self.pipeline,
            &mut *self.store,
            &self.user,
            id,
            Overtaken::Shown,
            now,
        )?;
        Ok(match last {
            Some(l) => Response::ChangedUnder {
                id,
                version,
                actor: l.actor,
                said: l.said,
            },
            None => Response::Noted,
        })
    }
}
