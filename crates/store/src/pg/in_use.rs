//! What `pipeline diff` and `apply` read of the records and the team on
//! PostgreSQL ([`InUse`]), inside a write transaction or a read snapshot.

use super::rows;
use crate::Result;
use crate::StoreError;
use crate::in_use::InUse;
use crate::team::Member;

/// What `pipeline diff` and `apply` read, in a server transaction.
impl InUse for postgres::Transaction<'_> {
    fn stage_totals(&mut self) -> Result<Vec<(String, i64)>> {
        let found = self.query(
            "SELECT stage, count(*) FROM records GROUP BY stage ORDER BY stage COLLATE \"C\"",
            &[],
        )?;
        found
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn substatus_totals(&mut self) -> Result<Vec<(String, String, i64)>> {
        let found = self.query(
            "SELECT stage, substatus, count(*) FROM records WHERE substatus IS NOT NULL
                 GROUP BY stage, substatus ORDER BY stage COLLATE \"C\", substatus COLLATE \"C\"",
            &[],
        )?;
        found
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    fn field_values(&mut self, field: &str) -> Result<Vec<(String, i64)>> {
        let found = self.query(
            "SELECT v, count(*) FROM (SELECT fields::jsonb ->> $1 AS v FROM records) x
                 WHERE v IS NOT NULL AND v <> '' GROUP BY v",
            &[&field],
        )?;
        found
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn waiting_on_timers(&mut self, stage: &str) -> Result<i64> {
        self.query_one(
            "SELECT count(*) FROM records WHERE stage = $1 AND timer_at IS NOT NULL",
            &[&stage],
        )?
        .try_get(0)
        .map_err(StoreError::from)
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
