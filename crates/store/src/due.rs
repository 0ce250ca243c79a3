//! What the sweep finds due: records with a timer due, and records of a
//! stage due for an escalation level, each in due order, a batch at a
//! time after a keyset cursor (`(due, id)`), on the indexes that hold them.
//! One statement for both stores, in each one's dialect.

use crate::terms::Dialect;

/// A keyset cursor: the last `(due, id)` read.
pub type Cursor = (i64, i64);

/// Records with a timer due by argument 1, in due order, a batch (of
/// argument 4) after the cursor in arguments 2 and 3.
pub fn timers_sql(d: &Dialect) -> String {
    let m = d.mark;
    format!(
        "SELECT timer_at, id FROM records
     WHERE timer_at <= {m}1 AND (timer_at, id) > ({m}2, {m}3) ORDER BY timer_at, id LIMIT {m}4"
    )
}

/// Records with an early warning due by argument 1, in due order, a batch
/// (of argument 4) after the cursor in arguments 2 and 3.
pub fn warnings_sql(d: &Dialect) -> String {
    let m = d.mark;
    format!(
        "SELECT warning_at, id FROM records
     WHERE warning_at <= {m}1 AND (warning_at, id) > ({m}2, {m}3) ORDER BY warning_at, id LIMIT {m}4"
    )
}

/// Records of stage argument 1 due for escalation level argument 2 (due
/// by argument 3), in due order, a batch (argument 6) after the cursor in
/// arguments 4 and 5.
pub fn escalations_sql(d: &Dialect) -> String {
    let (m, int) = (d.mark, d.int);
    format!(
        "SELECT sort_due, id FROM records
     WHERE stage = {m}1 AND escalation = {m}2{int} AND due_at IS NOT NULL AND sort_due <= {m}3
       AND (sort_due, id) > ({m}4, {m}5)
     ORDER BY sort_due, id LIMIT {m}6"
    )
}
