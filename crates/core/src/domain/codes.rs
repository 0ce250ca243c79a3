//! Stable codes of pipeline problems. Scripts and tests match on these; never
//! renumber, only add.

pub const SYNTAX: &str = "E001";
pub const UNKNOWN_STAGE: &str = "E010";
pub const UNKNOWN_ROLE: &str = "E011";
pub const UNKNOWN_PHASE: &str = "E012";
pub const UNKNOWN_EVENT: &str = "E013";
pub const UNKNOWN_CALENDAR: &str = "E014";
pub const UNKNOWN_REASON: &str = "E015";
pub const UNKNOWN_FIELD: &str = "E016";
pub const UNKNOWN_SUBSTATUS: &str = "E017";
pub const UNKNOWN_GUARD: &str = "E018";
pub const DUPLICATE_ID: &str = "E020";
pub const BAD_DURATION: &str = "E030";
pub const DEAD_END: &str = "E040";
pub const UNREACHABLE: &str = "E041";
pub const NO_TERMINAL_REACHABLE: &str = "E042";
pub const MISSING_OWNER: &str = "E043";
pub const MISSING_SLA: &str = "E044";
pub const ESCALATION_ROLE: &str = "E045";
pub const TIMER_EVENT_INVALID: &str = "E050";
pub const TERMINAL_WITH_EXIT: &str = "E051";
pub const WARN_NOT_BELOW_MAX: &str = "E052";
pub const NO_WORKING_TIME: &str = "E053";
pub const BAD_CALENDAR: &str = "E054";
pub const BAD_FIELD: &str = "E055";
pub const BAD_TIMER: &str = "E056";
pub const BAD_VALUE: &str = "E057";
pub const ACTIVE_CARE_PHASE: &str = "E058";
pub const ENTRY_TERMINAL: &str = "E059";
pub const BAD_TIMEZONE: &str = "E060";
pub const NO_TRANSITION_ROLES: &str = "E061";
pub const REASON_GUARD_WITHOUT_CODES: &str = "E062";
pub const NO_ADMIN_ROLE: &str = "E063";
pub const CONTROL_IN_ID: &str = "E064";
pub const CONTROL_IN_NAME: &str = "E065";
pub const RENAMED_FROM_IN_USE: &str = "E066";
pub const RENAMED_FROM_TWICE: &str = "E067";
pub const FILTERABLE_FIELD_ID: &str = "E068";
pub const BAD_START_VIEW: &str = "E069";
pub const TIMER_LOOP: &str = "E070";
/// Warnings.
pub const NO_BREACH_REASONS: &str = "W101";
pub const EMPTY_PHASE: &str = "W102";
pub const NO_ACTIVE_CARE_PHASE: &str = "W104";
