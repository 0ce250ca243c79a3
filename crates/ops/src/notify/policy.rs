//! When a failed delivery is tried again, and when it is given up: the
//! wait doubles from `backoff` after each failure up to `backoff_cap`,
//! each wait drawn between half of it and all of it (jitter, so many
//! messages failing together do not come back together); a message still
//! failing `dead_after` after its first failure, or answered 410 Gone,
//! goes dead. 2xx is delivered; anything else (another status, a refused
//! connection, a timeout) is a failure.

use carequeue_core::domain::duration::Secs;
use carequeue_store::outbox::{Delivery, Outcome};
use serde::Deserialize;

/// The `[delivery]` table of `notify.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The first wait, seconds.
    pub backoff: i64,
    /// The longest wait, seconds.
    pub backoff_cap: i64,
    /// How long a message may keep failing before it goes dead, seconds.
    pub dead_after: i64,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            backoff: 5,
            backoff_cap: 3600,
            dead_after: 3 * 86_400,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    backoff: Option<String>,
    backoff_cap: Option<String>,
    dead_after: Option<String>,
}

/// A positive duration (`"5s"`, `"1h"`, `"3d"`), or what is wrong with it.
pub(super) fn positive(key: &str, text: &str) -> Result<i64, String> {
    match Secs::parse(text) {
        Some(Secs(s)) if s > 0 => Ok(s),
        _ => Err(format!(
            "{key} = \"{}\": a duration such as \"5s\", \"10m\", \"3d\"",
            carequeue_core::text::shown(text)
        )),
    }
}

impl RawPolicy {
    pub(super) fn check(&self) -> Result<Policy, String> {
        let d = Policy::default();
        let get = |key: &str, v: &Option<String>, dflt: i64| -> Result<i64, String> {
            v.as_deref()
                .map_or(Ok(dflt), |t| positive(key, t))
                .map_err(|e| format!("[delivery] {e}"))
        };
        let p = Policy {
            backoff: get("backoff", &self.backoff, d.backoff)?,
            backoff_cap: get("backoff_cap", &self.backoff_cap, d.backoff_cap)?,
            dead_after: get("dead_after", &self.dead_after, d.dead_after)?,
        };
        if p.backoff_cap < p.backoff {
            return Err("[delivery] backoff_cap is shorter than backoff".into());
        }
        Ok(p)
    }
}

/// What one attempt met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The receiver answered with this status.
    Status(u16),
    /// No answer: the transport error's class (`timeout`, `connection
    /// refused`, ...).
    Transport(String),
}

impl Policy {
    /// The wait after a message's `failures`th failure, `jitter` in 0..1.
    pub fn wait(&self, failures: i64, jitter: f64) -> i64 {
        let doublings = u32::try_from((failures - 1).clamp(0, 40)).unwrap_or(40);
        let full = self
            .backoff
            .saturating_mul(1i64.checked_shl(doublings).unwrap_or(i64::MAX))
            .min(self.backoff_cap);
        let half = full / 2;
        (half + ((full - half) as f64 * jitter.clamp(0.0, 1.0)) as i64).max(1)
    }

    /// What attempt `sent` at `d` (made at `now`) comes to.
    pub fn judge(&self, d: &Delivery, sent: &Sent, now: i64, jitter: f64) -> Outcome {
        let error = match sent {
            Sent::Status(s) if (200..300).contains(s) => return Outcome::Delivered,
            Sent::Status(410) => {
                return Outcome::Dead {
                    error: "HTTP 410".into(),
                };
            }
            Sent::Status(s) => format!("HTTP {s}"),
            Sent::Transport(why) => why.clone(),
        };
        let first = d.first_failed_at.unwrap_or(now);
        if now - first >= self.dead_after {
            return Outcome::Dead { error };
        }
        Outcome::Failed {
            error,
            next_at: now + self.wait(d.attempts + 1, jitter),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carequeue_store::outbox::Status;

    fn pending(attempts: i64, first: Option<i64>) -> Delivery {
        Delivery {
            target: "t".into(),
            seq: 1,
            record_id: 1,
            kind: "create".into(),
            status: Status::Pending,
            attempts,
            next_at: 0,
            first_failed_at: first,
            last_error: None,
            delivered_at: None,
        }
    }

    #[test]
    fn waits_double_up_to_the_cap_with_jitter_within_half() {
        let p = Policy::default();
        let full: Vec<i64> = (1..=12).map(|n| p.wait(n, 1.0)).collect();
        assert_eq!(full[..5], [5, 10, 20, 40, 80]);
        assert_eq!(full[11], 3600, "capped at an hour");
        assert_eq!(p.wait(3, 0.0), 10, "half of 20 at the least");
        assert_eq!(p.wait(1000, 0.5), 2700);
    }

    #[test]
    fn success_gone_and_failures_past_dead_after() {
        let p = Policy {
            dead_after: 100,
            ..Policy::default()
        };
        assert_eq!(
            p.judge(&pending(0, None), &Sent::Status(204), 10, 0.0),
            Outcome::Delivered
        );
        assert!(matches!(
            p.judge(&pending(0, None), &Sent::Status(410), 10, 0.0),
            Outcome::Dead { .. }
        ));
        assert_eq!(
            p.judge(&pending(2, Some(0)), &Sent::Status(500), 50, 1.0),
            Outcome::Failed {
                error: "HTTP 500".into(),
                next_at: 70
            }
        );
        assert_eq!(
            p.judge(
                &pending(9, Some(0)),
                &Sent::Transport("timeout".into()),
                100,
                0.0
            ),
            Outcome::Dead {
                error: "timeout".into()
            }
        );
    }

    #[test]
    fn a_bad_duration_names_its_key() {
        let raw = RawPolicy {
            dead_after: Some("soon".into()),
            ..RawPolicy::default()
        };
        assert!(raw.check().expect_err("bad").contains("dead_after"));
    }
}
