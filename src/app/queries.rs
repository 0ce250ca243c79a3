//! The queries the console asks of its worker: the page under the
//! current view, filter and order (anew, or re-read where the user is), the
//! board's counts, the open pane's record, the audit.

use super::service::{Anchor, PageQuery, Request};
use super::views::ViewKind;
use super::{App, WINDOW};

impl App {
    /// Per-stage counts, and the breach groups when the Breaches view shows them.
    pub(super) fn count_requests(&self) -> Vec<Request> {
        let mut out = vec![Request::Counts];
        if self.current().kind == ViewKind::Breaches {
            out.push(Request::BreachGroups);
        }
        out
    }

    pub(super) fn reread(&mut self) -> Vec<Request> {
        let mut out = self.count_requests();
        out.push(self.refresh_query());
        out.extend(self.detail_request());
        out
    }

    pub(super) fn query(&mut self, anchor: Anchor) -> Request {
        // A newer page supersedes a read-on still on its way.
        self.continuing = None;
        self.seq += 1;
        self.loading = true;
        Request::Page {
            seq: self.seq,
            query: PageQuery {
                filter: self.list_filter(),
                anchor,
                limit: WINDOW,
                board: self.board_filter().map(Box::new),
            },
        }
    }

    /// The query that re-reads what is on screen (live refresh).
    pub fn refresh_query(&mut self) -> Request {
        // Rows read for another filter or view are no guide: the new
        // query's first page, with no record to follow.
        if self.rows_outdated {
            self.follow = None;
            return self.query(Anchor::First);
        }
        self.follow = self.selected_record().map(|r| r.id);
        let anchor = match self.page.rows.first() {
            Some(r) if self.page.start > 0 => Anchor::From {
                key: self.sort.row_key(r),
                index: self.page.start,
            },
            _ => Anchor::First,
        };
        self.query(anchor)
    }

    /// Asks for a fresh audit; the view shows it is computing meanwhile.
    pub(super) fn audit_request(&mut self) -> Option<Request> {
        if self.audit_computing {
            return None;
        }
        self.audit_computing = true;
        Some(Request::Audit)
    }

    /// Filter or view changed: back to the top.
    pub(super) fn reset_query(&mut self) -> Vec<Request> {
        self.rows_outdated = true;
        self.follow = None;
        self.selected = 0;
        self.top = 0;
        let q = self.query(Anchor::First);
        let mut out = vec![q];
        out.extend(self.audit_for_filter());
        out
    }

    /// The audit, when the filter's `noaction:`, `reason:` or `exited:`
    /// terms wait for one: they select what an audit counted.
    pub(super) fn audit_for_filter(&mut self) -> Option<Request> {
        if !self.filter_awaits_audit() {
            return None;
        }
        self.set_status(
            "the filter's audit terms wait for the audit (computing it…)",
            false,
        );
        self.audit_request()
    }

    /// The pane's record, read again (a re-read of what is on screen).
    pub(super) fn detail_request(&self) -> Option<Request> {
        if !self.detail_open {
            return None;
        }
        self.pane.map(Request::Detail)
    }
}
