//! Taking a record someone else holds: a supervisor is asked first.

use super::popup::{self, Popup};
use super::service::{Cmd, Request};
use super::{App, record_label};
use crate::engine::Record;

impl App {
    /// Sends `cmd` for `r`, or first asks "Take #218 … from okafor?" when
    /// someone else holds it (`to`: the user an assign gives it to).
    pub(super) fn take_over(&mut self, r: &Record, cmd: Cmd, to: Option<&str>) -> Vec<Request> {
        let me = self.user.name.as_str();
        let taker = to.unwrap_or(me);
        // Only a supervisor may take a held record: anyone else hears the
        // engine's reason straight away.
        let may_take = crate::ops::supervises(&self.pipeline, &self.user);
        match r.assignee.as_deref() {
            Some(holder) if holder != me && holder != taker && may_take => {
                let title = match to {
                    Some(u) if u != me => {
                        format!("Take {} from {holder} and give it to {u}?", record_label(r))
                    }
                    _ => format!("Take {} from {holder}?", record_label(r)),
                };
                self.popup = Some(Popup::pick(
                    popup::Purpose::TakeOver(Box::new(cmd)),
                    title,
                    vec![
                        popup::Item {
                            value: "yes".into(),
                            label: format!("Yes, take it from {holder}"),
                        },
                        popup::Item {
                            value: "no".into(),
                            label: "No, leave it".into(),
                        },
                    ],
                ));
                Vec::new()
            }
            _ => vec![Request::Commit(cmd)],
        }
    }
}
