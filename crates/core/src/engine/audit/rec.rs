//! One record's state during the audit scan, kept small: the scan holds
//! one for every record at once.

use super::scan::{NO_STAGE, NONE};

/// An instant in 32 bits (unix seconds, 1970 to 2106), or none: a record's
/// state is kept for every record at once, so it is kept small.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct At(u32);

impl At {
    pub(super) const NONE: At = At(u32::MAX);

    pub(super) fn of(t: i64) -> At {
        At(t.clamp(0, i64::from(u32::MAX) - 1) as u32)
    }

    pub(super) fn get(self) -> Option<i64> {
        (self != At::NONE).then_some(i64::from(self.0))
    }
}

/// One record's state: its open stay and what the audit needs of it.
#[derive(Clone, Copy)]
pub(super) struct Rec {
    pub(super) entered: At,
    /// When the open stay's clock was paused, if it is.
    pub(super) paused_since: At,
    /// Latest event by the assignee (or the assignment itself), if any.
    pub(super) last_owner_action: At,
    /// Working seconds of closed pause spans in the open stay …
    pub(super) paused_work: u32,
    /// … and of those, the part after the owner's latest action.
    pub(super) paused_after_action: u32,
    /// Stages visited so far (bit per stage index < 64; see `visited_hi`).
    pub(super) visited: u64,
    /// The open stay is not the record's first in its stage.
    pub(super) re_entry: bool,
    pub(super) ack: u32,
    pub(super) assignee: u32,
    pub(super) stage: u16,
    pub(super) has_stay: bool,
    pub(super) ever_active: bool,
}

impl Rec {
    pub(super) fn entered_at(&self) -> i64 {
        self.entered.get().unwrap_or(0)
    }

    /// Where "time since the owner last acted" starts in the open stay.
    pub(super) fn owner_from(&self) -> i64 {
        self.last_owner_action
            .get()
            .unwrap_or(i64::MIN)
            .max(self.entered_at())
    }
}

pub(super) const NEW_REC: Rec = Rec {
    entered: At(0),
    paused_since: At::NONE,
    last_owner_action: At::NONE,
    paused_work: 0,
    paused_after_action: 0,
    visited: 0,
    re_entry: false,
    ack: NONE,
    assignee: NONE,
    stage: NO_STAGE,
    has_stay: false,
    ever_active: false,
};
