//! What `pipeline diff` and `apply` read of the records and the team on
//! PostgreSQL ([`InUse`]), inside a write transaction or a read snapshot.

use super::rows;
use crate::Result;
use crate::in_use::{
    InUse, field_values_sql, stage_totals_sql, substatus_totals_sql, waiting_on_timers_sql,
};
use crate::team::Member;
use crate::terms::POSTGRES;

/// What `pipeline diff` and `apply` read, in a server transaction.
impl InUse for postgres::Transaction<'_> {
    fn stage_totals(&mut self) -> Result<Vec<(String, i64)>> {
        let found = self.query(&stage_totals_sql(&POSTGRES), &[])?;
        found
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn substatus_totals(&mut self) -> Result<Vec<(String, String, i64)>> {
        let found = self.query(&substatus_totals_sql(&POSTGRES), &[])?;
        found
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    fn field_values(&mut self, field: &str) -> Result<Vec<(String, i64)>> {
        let found = self.query(&field_values_sql(&POSTGRES), &[&POSTGRES.field_arg(field)])?;
        found
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn waiting_on_timers(&mut self, stage: &str) -> Result<i64> {
        Ok(self
            .query_one(&waiting_on_timers_sql(&POSTGRES), &[&stage])?
            .try_get(0)?)
    }

    fn members(&mut self) -> Result<Vec<Member>> {
        let sql = format!(
            "SELECT {} FROM users ORDER BY name COLLATE \"C\"",
            rows::MEMBER
        );
        let found = self.query(&sql, &[])?;
        found.iter().map(rows::member).collect()
    }
}
