//! What `pipeline diff` and `apply` read of the records and the team: the
//! trait both stores implement, and its queries, written once in each
//! store's dialect.

use crate::Result;
use crate::team::Member;
use crate::terms::Dialect;

/// Records per stage (the kept counts), stages with none left out.
pub fn stage_totals_sql(d: &Dialect) -> String {
    format!(
        "SELECT stage, total FROM stage_counts WHERE total > 0 ORDER BY stage{}",
        d.bytewise
    )
}

/// Records per stage and sub-status, where one is set: one pass over the
/// table (walking an index for the grouping order looks up every row,
/// fifteen times slower at a million records on SQLite).
pub fn substatus_totals_sql(d: &Dialect) -> String {
    format!(
        "SELECT stage, substatus, count(*) FROM records {} WHERE substatus IS NOT NULL
         GROUP BY stage, substatus ORDER BY stage{c}, substatus{c}",
        d.whole_table,
        c = d.bytewise
    )
}

/// Each value the field argument 1 names (see [`Dialect::field_arg`])
/// holds, with how many records hold it.
pub fn field_values_sql(d: &Dialect) -> String {
    format!(
        "SELECT v, count(*) FROM (SELECT {} AS v FROM records) x
         WHERE v IS NOT NULL AND v <> '' GROUP BY v",
        d.field_at(1)
    )
}

/// Records in stage argument 1 waiting on a timer.
pub fn waiting_on_timers_sql(d: &Dialect) -> String {
    format!(
        "SELECT count(*) FROM records WHERE stage = {}1 AND timer_at IS NOT NULL",
        d.mark
    )
}

/// What `pipeline diff` and `apply` read of the records and the team,
/// from either store, inside one transaction or snapshot.
pub trait InUse {
    fn stage_totals(&mut self) -> Result<Vec<(String, i64)>>;
    fn substatus_totals(&mut self) -> Result<Vec<(String, String, i64)>>;
    fn field_values(&mut self, field: &str) -> Result<Vec<(String, i64)>>;
    fn waiting_on_timers(&mut self, stage: &str) -> Result<i64>;
    fn members(&mut self) -> Result<Vec<Member>>;
}
