//! The console delivers webhooks while it is open, on its data worker (off
//! the input thread), with the very code `deliver` runs: when a
//! `notify.toml` was found and this console can take the delivery lease
//! (another deliverer holding it, the console leaves the sending to it).
//! Every round it also reads which targets keep failing, for the header.

use super::service::{Response, Service};
use crate::ops::notify::Deliverer;
use crate::store::outbox::Trouble;

/// A target failing this long (or with a dead message) is shown.
pub const FAILING_FOR: i64 = 15 * 60;

/// The targets of `troubles` to show at `now`: any dead message, or a
/// message failing for [`FAILING_FOR`] or more.
pub fn failing(troubles: &[Trouble], now: i64) -> Vec<String> {
    troubles
        .iter()
        .filter(|t| t.dead > 0 || t.failing_since.is_some_and(|s| now - s >= FAILING_FOR))
        .map(|t| crate::present::clean(&t.target))
        .collect()
}

/// The longest a console's delivery round sends before its data worker
/// answers the person again (a request under way finishes first, within
/// its target's timeout).
const ROUND: std::time::Duration = std::time::Duration::from_secs(1);

impl Service {
    /// One delivery round (if this console delivers and holds the lease),
    /// then the targets that keep failing.
    pub(super) fn deliver(&mut self, now: i64) -> anyhow::Result<Response> {
        if let Some(d) = &self.deliverer
            && d.hold(&mut *self.store, now)?
        {
            let clock = self.clock.clone();
            let tick = move || clock.now().timestamp();
            d.pass(
                &self.pipeline,
                &mut *self.store,
                &tick,
                &mut rand::random::<f64>,
                Some(ROUND),
            )?;
        }
        Ok(Response::WebhookTrouble(failing(
            &self.store.troubles()?,
            now,
        )))
    }

    /// Delivers from now on with `d` (the console found a notify.toml).
    pub fn deliver_with(&mut self, d: Deliverer) {
        self.deliverer = Some(d);
    }

    /// Gives the lease up, if this console delivers (its end).
    pub fn stop_delivering(&mut self) {
        if let Some(d) = self.deliverer.take() {
            // Best effort: an unreleased lease expires by itself.
            let _ = self.store.release_lease(&d.holder);
        }
    }
}
