//! Answers from the data worker, time passing, and other processes'
//! commits: how each changes the console's state.

use super::App;
use super::service::{Request, Response};
use chrono::{DateTime, Utc};

impl App {
    /// A response from the data worker.
    pub fn on_response(&mut self, r: Response) -> Vec<Request> {
        match r {
            Response::Page(page) => {
                if page.seq != self.seq {
                    return Vec::new();
                }
                self.loading = false;
                self.rows_outdated = false;
                if self.refresh_seq.take() == Some(page.seq) {
                    let at = self.now.with_timezone(&self.pipeline.timezone);
                    self.set_status(
                        format!(
                            "up to date at {} · {} records",
                            at.format("%H:%M:%S"),
                            page.total
                        ),
                        false,
                    );
                }
                for r in &page.rows {
                    self.marks.refresh(r);
                }
                // The rest of a page the scan cap cut short: appended.
                if self.continuing.take() == Some(page.seq)
                    && page.start == self.page.start + self.page.rows.len()
                {
                    self.page.rows.extend(page.rows);
                    self.page.resume = page.resume;
                    self.page.total = page.total;
                    let mut out = self.read_on();
                    out.extend(self.detail_request());
                    return out;
                }
                let before = self.selected_record().cloned();
                self.board_counts = page.board.clone();
                self.page = page;
                let mut out = self.keep_patient(before);
                self.acted_on = None;
                out.extend(self.check_popup_record());
                self.clamp_selection();
                self.land_cursor();
                self.follow_group();
                out.extend(self.pane_keeps_patient());
                out.extend(self.read_on());
                out
            }
            Response::Counts(c) => {
                self.counts = c;
                Vec::new()
            }
            Response::BreachGroups(g) => {
                self.on_groups(g);
                Vec::new()
            }
            Response::Detail(d) => {
                if self.detail_open && self.pane == Some(d.record.id) {
                    self.detail = Some(*d);
                }
                Vec::new()
            }
            Response::PipelineChanged {
                pipeline,
                version,
                user,
            } => {
                self.reload(pipeline, user);
                self.set_status(
                    format!("pipeline version {version} was applied: the console reloaded it"),
                    false,
                );
                let mut out = self.reread();
                if self.current().kind == super::views::ViewKind::Audit
                    || self.terms().needs_audit()
                {
                    out.extend(self.audit_request());
                }
                out
            }
            Response::BulkChecked(verdicts) => {
                self.on_bulk_checked(verdicts);
                Vec::new()
            }
            Response::BulkDone(out) => self.on_bulk_done(out),
            Response::Located(r) => self.on_located(r),
            Response::SavedViews { views, said } => {
                let gone = self.on_saved_views(views);
                match said {
                    Some(Ok(text)) => self.set_status(text, false),
                    Some(Err(e)) => self.set_status(e, true),
                    None => {}
                }
                // The view shown was deleted: back to the first one.
                if gone {
                    return self.switch_view(0);
                }
                self.try_resume()
            }
            Response::Marked { rows, total } => {
                self.on_marked(rows, total);
                Vec::new()
            }
            Response::Team(t) => {
                self.team = t;
                Vec::new()
            }
            Response::ChangedUnder {
                id,
                version,
                actor,
                said,
            } => {
                self.on_changed_under(id, version, actor, said);
                Vec::new()
            }
            Response::Committed { id, res } => {
                self.acted_on = Some(id);
                match res {
                    Ok(msg) => self.set_status(msg, false),
                    Err(e) => self.set_status(e, true),
                }
                self.reread()
            }
            Response::Audit(report) => {
                let waited = self.filter_awaits_audit();
                self.on_audit(*report);
                // The audit terms' records change with each audit.
                if waited || self.terms().needs_audit() {
                    if waited {
                        self.set_status("the audit is in: the filter's audit terms apply", false);
                    }
                    self.reset_query()
                } else {
                    Vec::new()
                }
            }
            Response::AuditFailed(why) => {
                self.on_audit_failed(why);
                Vec::new()
            }
            Response::Trend(t) => {
                self.on_trend(*t);
                Vec::new()
            }
            Response::TrendFailed(why) => {
                self.on_trend_failed(why);
                Vec::new()
            }
            Response::Swept(r) => {
                if r.timers + r.escalations == 0 {
                    return Vec::new();
                }
                self.set_status(
                    format!(
                        "sweep: {} timer(s), {} escalation(s) fired",
                        r.timers, r.escalations
                    ),
                    false,
                );
                self.reread()
            }
            Response::WebhookTrouble(targets) => {
                // Delivery is the supervisors' and admins' to watch.
                let p = &self.pipeline;
                let watches = crate::engine::authority::supervises(p, &self.user)
                    || crate::engine::authority::is_admin(p, &self.user);
                self.webhook_trouble = if watches { targets } else { Vec::new() };
                Vec::new()
            }
            Response::Revoked(why) => {
                self.revoke(why);
                Vec::new()
            }
            Response::Noted => Vec::new(),
            Response::Error(e) => {
                self.loading = false;
                // A `:go` that failed moved nothing: the rows shown are
                // still the ones asked for.
                if std::mem::take(&mut self.locating) {
                    self.rows_outdated = false;
                }
                self.set_status(e, true);
                Vec::new()
            }
        }
    }

    /// Time passed: the countdowns read `now`.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        self.now = now;
    }

    /// Another process committed: re-read what is on screen.
    pub fn on_data_changed(&mut self) -> Vec<Request> {
        self.reread()
    }
}
