//! How carequeue shows things to people, for both front ends: the command
//! line and the console call the same functions, so their countdowns, local
//! times, names, owner labels, guard words and history lines cannot drift,
//! and every text is neutralised in one place before it reaches a terminal.
//! Nothing here decides anything; the engine does.

mod change;
mod labels;
mod refusal;
mod time;

pub use carequeue_core::text::{clean, clean_lines, shown, unsafe_char};
pub use change::changed_by;
pub use labels::{
    event_label, group_owner_label, guard_words, history_line, owner_label, reason_label,
    record_label, role_name, role_names, stage_name, substatus_label, warning_words,
};
pub use refusal::{error_reason, error_text};
pub use time::{age, countdown, countdown_brief, local, overdue, rfc3339, wall_due};
