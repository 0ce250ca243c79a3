//! Decisions as pure functions of pipeline, record, user and `now`: which
//! events may fire, what a transition changes, where the SLA clock stands.
//! No I/O here; the store applies what the engine decides.

pub mod audit;
pub mod authority;
pub mod clock;
pub mod record;
pub mod replay;
pub mod retime;
pub mod rules;
pub mod sla;
pub mod timers;
pub mod warnings;

pub use authority::SYSTEM;
pub use clock::{Clock, FixedClock, SystemClock};
pub use record::{Record, User};
