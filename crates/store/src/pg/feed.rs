//! The event feed on PostgreSQL (see [`crate::feed`]): without patient
//! data from the columns every member may read; with it through
//! `events_read`, which needs the read grant an export's access entry
//! makes.

use super::query::refs;
use super::store::PgStore;
use crate::Result;
use crate::feed::{FeedEvent, FeedQuery, event_from};
use crate::terms::POSTGRES;

impl PgStore {
    pub(super) fn feed_rows(&self, q: &FeedQuery) -> Result<Vec<FeedEvent>> {
        let (sql, args) = q.sql(&POSTGRES, "events_read");
        let rows = self.rows(&sql, &refs(&args))?;
        rows.iter().map(event_from).collect()
    }
}
