//! Bulk actions on the marked records, on the screen side: the questions
//! (the event, its reason, a breach reason from the union of the marked
//! stages' codes, a note; the user; the sub-status), then the dry run, one
//! confirmation, and the summary.

use super::App;
use super::bulk_service::{BulkOutcome, STALE, Verdict};
use super::popup::{BulkDraft, BulkKind, Item, Popup, Purpose};
use super::service::{Cmd, Request};
use crate::domain::Guard;
use crate::engine::Record;
use crate::engine::rules::allowed_events;
use crate::ops::owner_role;
use std::collections::BTreeMap;

fn draft(kind: BulkKind) -> BulkDraft {
    BulkDraft {
        kind,
        reason_codes: Vec::new(),
        breach_codes: Vec::new(),
        needs_note: false,
        value: None,
        reason: None,
        breach_reason: None,
        note: None,
    }
}

fn union(into: &mut Vec<String>, codes: &[String]) {
    for c in codes {
        if !into.contains(c) {
            into.push(c.clone());
        }
    }
}

impl App {
    fn marked(&self) -> Vec<Record> {
        self.marks.records().cloned().collect()
    }

    fn stages_of_marks(&self) -> Vec<crate::domain::Stage> {
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for r in self.marks.records() {
            if seen.contains(&r.stage) {
                continue;
            }
            seen.push(r.stage.clone());
            if let Some(ix) = self.pipeline.stage_ix(&r.stage) {
                out.push(self.pipeline.stage(ix).clone());
            }
        }
        out
    }

    fn marks_title(&self, what: &str) -> String {
        format!("{what} · {} marked record(s)", self.marks.len())
    }

    pub(super) fn bulk_move(&mut self) -> Vec<Request> {
        let p = self.pipeline.clone();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for r in self.marks.records() {
            for a in allowed_events(&p, r, &self.user, self.now) {
                *counts.entry(a.event).or_default() += 1;
            }
        }
        let items: Vec<Item> = p
            .transitions
            .iter()
            .filter_map(|t| {
                let n = counts.get(&t.event)?;
                let to = &p.stage(t.to).name;
                Some(Item {
                    value: t.event.clone(),
                    label: format!("{} → {to}  ({n} of {})", t.label, self.marks.len()),
                })
            })
            .collect();
        if items.is_empty() {
            self.set_status("no event you may fire fits any marked record", true);
            return Vec::new();
        }
        self.popup = Some(Popup::pick(
            Purpose::BulkEvent,
            self.marks_title("Move"),
            items,
        ));
        Vec::new()
    }

    pub(super) fn bulk_event(&mut self, event: String) -> Vec<Request> {
        let p = self.pipeline.clone();
        let mut d = draft(BulkKind::Move {
            event: event.clone(),
        });
        for r in self.marked() {
            let Some(a) = allowed_events(&p, &r, &self.user, self.now)
                .into_iter()
                .find(|a| a.event == event)
            else {
                continue;
            };
            if a.requires.contains(&Guard::Reason) {
                union(&mut d.reason_codes, &a.reasons);
            }
            if a.requires.contains(&Guard::BreachReason) {
                union(&mut d.breach_codes, &a.breach_reasons);
            }
            d.needs_note |= a.requires.contains(&Guard::Note);
        }
        self.continue_bulk(d)
    }

    pub(super) fn bulk_assign(&mut self) -> Vec<Request> {
        let roles: Vec<String> = self
            .marks
            .records()
            .filter_map(|r| owner_role(&self.pipeline, r).map(str::to_string))
            .collect();
        let items: Vec<Item> = self
            .team
            .iter()
            .filter(|u| roles.iter().any(|r| u.has_role(r)))
            .map(|u| Item {
                value: u.name.clone(),
                label: format!("{} ({})", u.name, u.roles.join(", ")),
            })
            .collect();
        if items.is_empty() {
            self.set_status("nobody holds the roles that own the marked records", true);
            return Vec::new();
        }
        self.popup = Some(Popup::pick(
            Purpose::Bulk(draft(BulkKind::Assign)),
            self.marks_title("Assign"),
            items,
        ));
        Vec::new()
    }

    pub(super) fn bulk_substatus(&mut self) -> Vec<Request> {
        let mut items = vec![Item {
            value: String::new(),
            label: "(clear sub-status)".into(),
        }];
        for st in self.stages_of_marks() {
            for s in &st.substatuses {
                if !items.iter().any(|i| i.value == s.id) {
                    items.push(Item {
                        value: s.id.clone(),
                        label: s.label.clone(),
                    });
                }
            }
        }
        self.popup = Some(Popup::pick(
            Purpose::Bulk(draft(BulkKind::Substatus)),
            self.marks_title("Sub-status"),
            items,
        ));
        Vec::new()
    }

    pub(super) fn bulk_ack(&mut self) -> Vec<Request> {
        let mut codes = Vec::new();
        for st in self.stages_of_marks() {
            union(&mut codes, &st.breach_reasons);
        }
        let items = self.reason_items(&codes);
        if items.is_empty() {
            self.set_status("the marked records' stages have no breach reasons", true);
            return Vec::new();
        }
        self.popup = Some(Popup::pick(
            Purpose::Bulk(draft(BulkKind::Ack)),
            self.marks_title("Breach reason"),
            items,
        ));
        Vec::new()
    }

    pub(super) fn bulk_note(&mut self) -> Vec<Request> {
        self.popup = Some(Popup::input(
            Purpose::Bulk(draft(BulkKind::Note)),
            self.marks_title("Note"),
            "",
        ));
        Vec::new()
    }

    pub(super) fn bulk_plain(&mut self, kind: BulkKind) -> Vec<Request> {
        self.continue_bulk(draft(kind))
    }

    /// An answer to the bulk action's next question.
    pub(super) fn bulk_answer(&mut self, mut d: BulkDraft, value: String) -> Vec<Request> {
        let needs_value = !matches!(
            d.kind,
            BulkKind::Move { .. } | BulkKind::Claim | BulkKind::Release
        );
        if needs_value && d.value.is_none() {
            if d.kind == BulkKind::Note && value.trim().is_empty() {
                self.set_status("a note needs text", true);
                return Vec::new();
            }
            d.value = Some(value.trim().to_string());
        } else if d.reason.is_none() && !d.reason_codes.is_empty() {
            d.reason = Some(value);
        } else if d.breach_reason.is_none() && !d.breach_codes.is_empty() {
            d.breach_reason = Some(value);
        } else if d.needs_note && d.note.is_none() {
            if value.trim().is_empty() {
                self.set_status("a note is required", true);
                return self.continue_bulk(d);
            }
            d.note = Some(value.trim().to_string());
        }
        self.continue_bulk(d)
    }

    /// Asks the next question, or sends the dry run.
    fn continue_bulk(&mut self, d: BulkDraft) -> Vec<Request> {
        if d.reason.is_none() && !d.reason_codes.is_empty() {
            let items = self.reason_items(&d.reason_codes);
            self.popup = Some(Popup::pick(
                Purpose::Bulk(d),
                self.marks_title("Reason"),
                items,
            ));
            return Vec::new();
        }
        if d.breach_reason.is_none() && !d.breach_codes.is_empty() {
            let items = self.reason_items(&d.breach_codes);
            self.popup = Some(Popup::pick(
                Purpose::Bulk(d),
                self.marks_title("Breach reason for the breached ones"),
                items,
            ));
            return Vec::new();
        }
        if d.needs_note && d.note.is_none() {
            self.popup = Some(Popup::input(
                Purpose::Bulk(d),
                self.marks_title("Note (required)"),
                "",
            ));
            return Vec::new();
        }
        self.popup = None;
        self.set_status(
            format!("dry run over {} marked record(s)…", self.marks.len()),
            false,
        );
        let cmds = self.marked().iter().map(|r| self.bulk_cmd(&d, r)).collect();
        vec![Request::BulkCheck(cmds)]
    }

    /// The draft's command for one marked record.
    fn bulk_cmd(&self, d: &BulkDraft, r: &Record) -> Cmd {
        let (id, version) = (r.id, r.version);
        let value = d.value.clone().unwrap_or_default();
        match &d.kind {
            BulkKind::Move { event } => {
                let needs_breach = allowed_events(&self.pipeline, r, &self.user, self.now)
                    .iter()
                    .any(|a| a.event == *event && a.requires.contains(&Guard::BreachReason));
                let breach = d.breach_reason.clone().filter(|_| needs_breach);
                // As in the one-record flow: a breach reason alone travels
                // as the event's reason.
                let (reason, breach_reason) = match (d.reason.clone(), breach) {
                    (None, b) => (b, None),
                    both => both,
                };
                Cmd::Move {
                    id,
                    version,
                    event: event.clone(),
                    reason,
                    breach_reason,
                    note: d.note.clone(),
                }
            }
            BulkKind::Assign => Cmd::Assign {
                id,
                version,
                user: value,
            },
            BulkKind::Claim => Cmd::Claim { id, version },
            BulkKind::Release => Cmd::Release { id, version },
            BulkKind::Substatus => Cmd::Substatus {
                id,
                version,
                value: Some(value).filter(|v| !v.is_empty()),
            },
            BulkKind::Note => Cmd::Note {
                id,
                version,
                text: value,
            },
            BulkKind::Ack => Cmd::Ack {
                id,
                version,
                reason: value,
            },
        }
    }

    /// The dry run came back: one confirmation for all that pass.
    pub(super) fn on_bulk_checked(&mut self, verdicts: Vec<Verdict>) {
        let pass = verdicts.iter().filter(|v| v.refused.is_none()).count();
        let title = format!(
            "{pass} of {} pass · enter does them, esc cancels",
            verdicts.len()
        );
        self.status = None;
        self.popup = Some(Popup::BulkConfirm {
            title,
            verdicts,
            top: 0,
        });
    }

    pub(super) fn confirm_bulk(&mut self, verdicts: Vec<Verdict>) -> Vec<Request> {
        self.bulk_dry_refused = verdicts.iter().filter(|v| v.refused.is_some()).count();
        let cmds: Vec<Cmd> = verdicts
            .into_iter()
            .filter(|v| v.refused.is_none())
            .map(|v| v.cmd)
            .collect();
        if cmds.is_empty() {
            self.set_status("nothing to do: every marked record was refused", true);
            return Vec::new();
        }
        vec![Request::BulkRun(cmds)]
    }

    /// The summary: "31 done, 4 refused: 3 need …, 1 changed since the dry run".
    pub(super) fn on_bulk_done(&mut self, out: BulkOutcome) -> Vec<Request> {
        for id in &out.done {
            self.marks.remove(*id);
        }
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, why) in &out.refused {
            *reasons.entry(why.as_str()).or_default() += 1;
        }
        let mut text = format!("{} done", out.done.len());
        if !out.refused.is_empty() {
            let mut parts: Vec<(usize, &str)> = reasons.iter().map(|(r, n)| (*n, *r)).collect();
            parts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
            let parts: Vec<String> = parts
                .iter()
                .map(|(n, r)| {
                    if *r == STALE {
                        format!("{n} {STALE}")
                    } else {
                        format!("{n}: {r}")
                    }
                })
                .collect();
            text.push_str(&format!(
                ", {} refused ({}); the refused stay marked",
                out.refused.len(),
                parts.join("; ")
            ));
        }
        let before = std::mem::take(&mut self.bulk_dry_refused);
        if before > 0 {
            text.push_str(&format!("; {before} refused by the dry run stay marked"));
        }
        self.set_status(text, !out.refused.is_empty());
        self.reread()
    }
}
