//! A console change run: each command through `ops`, exactly as on the
//! command line, reported in names (see `refusal_service` for refusals).

use super::service::{Cmd, Service};
use crate::engine::rules::MoveArgs;
use crate::ops::{self, ChangeOpts};
use crate::present;

impl Service {
    pub(super) fn commit(&mut self, cmd: Cmd) -> Result<String, ops::OpError> {
        if let Some(why) = &self.read_only {
            return Err(ops::OpError::Denied(why.clone()));
        }
        let p = self.pipeline.clone();
        let now = self.clock.now();
        let u = self.user.clone();
        let g = |v: i64| ChangeOpts {
            expect_version: Some(v),
            op_id: None,
        };
        let store: &mut dyn crate::store::Db = &mut *self.store;
        Ok(match cmd {
            Cmd::Move {
                id,
                version,
                event,
                reason,
                breach_reason,
                note,
            } => {
                let args = MoveArgs {
                    reason: reason.as_deref(),
                    breach_reason: breach_reason.as_deref(),
                    note: note.as_deref(),
                    ..Default::default()
                };
                let r = ops::move_record(&p, store, &u, id, &event, &args, g(version), now)?;
                format!(
                    "record {id}: {} → {}",
                    present::event_label(&p, &event),
                    present::stage_name(&p, &r.stage)
                )
            }
            Cmd::Assign { id, version, user } => {
                let target = store
                    .member(&user)?
                    .filter(|m| m.enabled)
                    .map(|m| m.user())
                    .ok_or_else(|| ops::OpError::Invalid(format!("unknown user `{user}`")))?;
                ops::assign(&p, store, &u, id, &target, g(version), now)?;
                format!("record {id}: assigned to {user}")
            }
            Cmd::Claim { id, version } => {
                ops::claim(&p, store, &u, id, g(version), now)?;
                format!("record {id}: claimed")
            }
            Cmd::Release { id, version } => {
                ops::release(&p, store, &u, id, g(version), now)?;
                format!("record {id}: released")
            }
            Cmd::Substatus { id, version, value } => {
                let r = ops::set_substatus(&p, store, &u, id, value.as_deref(), g(version), now)?;
                match r.substatus {
                    Some(_) => format!(
                        "record {id}: sub-status {}",
                        present::substatus_label(&p, &r)
                    ),
                    None => format!("record {id}: sub-status cleared"),
                }
            }
            Cmd::Note { id, version, text } => {
                ops::note(store, &u, id, &text, g(version), now)?;
                format!("record {id}: note added")
            }
            Cmd::Ack {
                id,
                version,
                reason,
            } => {
                ops::ack(&p, store, &u, id, &reason, None, g(version), now)?;
                format!(
                    "record {id}: breach acknowledged ({})",
                    present::reason_label(&p, &reason)
                )
            }
        })
    }
}
