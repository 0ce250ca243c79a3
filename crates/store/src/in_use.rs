//! What `pipeline diff` and `apply` read of the records and the team.

use crate::Result;
use crate::team::Member;

/// What `pipeline diff` and `apply` read of the records and the team,
/// from either store, inside one transaction or snapshot.
pub trait InUse {
    fn stage_totals(&mut self) -> Result<Vec<(String, i64)>>;
    fn substatus_totals(&mut self) -> Result<Vec<(String, String, i64)>>;
    fn field_values(&mut self, field: &str) -> Result<Vec<(String, i64)>>;
    fn waiting_on_timers(&mut self, stage: &str) -> Result<i64>;
    fn members(&mut self) -> Result<Vec<Member>>;
}
