//! The working-time clock of each stage for the audit: a calendar, and a
//! [`WorkTable`] of its recent years so a stay is two lookups.

use crate::domain::calendar::Calendar;
use crate::domain::work_table::WorkTable;
use crate::domain::{Pipeline, StageIx};
use crate::engine::clock::from_unix;

/// How far back from `now` working time is looked up rather than computed.
const TABLE_YEARS: i64 = 10;

/// Each calendar of the pipeline with a [`WorkTable`] of recent years.
pub(super) struct Clocks<'p> {
    p: &'p Pipeline,
    tables: Vec<WorkTable>,
}

/// The clock of one stage.
#[derive(Clone, Copy)]
pub(super) struct Clock<'a> {
    cal: &'a Calendar,
    table: Option<&'a WorkTable>,
}

impl<'p> Clocks<'p> {
    pub(super) fn new(p: &'p Pipeline, now: i64) -> Clocks<'p> {
        let from = from_unix(now.saturating_sub(TABLE_YEARS * 366 * 86_400));
        let to = from_unix(now);
        Clocks {
            p,
            tables: p
                .calendars
                .iter()
                .map(|c| WorkTable::new(&c.calendar, from, to))
                .collect(),
        }
    }

    /// The calendars alone, computed each time: for a few stays (one
    /// record's), where a table of years would cost more than it saves.
    pub(super) fn plain(p: &'p Pipeline) -> Clocks<'p> {
        Clocks {
            p,
            tables: Vec::new(),
        }
    }

    pub(super) fn of(&self, s: Option<StageIx>) -> Clock<'_> {
        let p = self.p;
        match s.and_then(|s| p.stage(s).sla.as_ref()) {
            Some(sla) => Clock {
                cal: p.calendar(sla),
                table: sla.calendar.and_then(|c| self.tables.get(c.0)),
            },
            None => Clock {
                cal: &Calendar::Always,
                table: None,
            },
        }
    }
}

impl Clock<'_> {
    /// Working seconds in `[a, b)` (0 if empty).
    pub(super) fn work(self, a: i64, b: i64) -> i64 {
        if b <= a {
            return 0;
        }
        match self.cal {
            Calendar::Always => b - a,
            cal => self
                .table
                .and_then(|t| t.seconds(a, b))
                .unwrap_or_else(|| cal.working_seconds(from_unix(a), from_unix(b))),
        }
    }
}
