//! Someone else's change overtaking the user: a popup open on a record
//! that then changed says so before Enter, and Enter refuses rather than
//! act on what the user no longer sees; a record that leaves the view
//! because someone else acted says who and what.

use super::App;
use super::popup::{Popup, Purpose};
use super::service::Request;

/// The record a popup was opened on changed: how, as the worker read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overtaken {
    pub id: i64,
    /// The version the popup was opened on.
    pub version: i64,
    /// `#191 was reassigned to kim by sam at 10:02`.
    pub said: String,
}

impl Purpose {
    /// The record (id, version) a popup for this purpose acts on.
    pub fn record(&self) -> Option<(i64, i64)> {
        match self {
            Purpose::Event { id, version }
            | Purpose::Assign { id, version }
            | Purpose::Substatus { id, version }
            | Purpose::Note { id, version }
            | Purpose::Ack { id, version } => Some((*id, *version)),
            Purpose::Reason(d) | Purpose::BreachReason(d) | Purpose::MoveNote(d) => {
                Some((d.id, d.version))
            }
            Purpose::TakeOver(cmd) => Some((cmd.id(), cmd.version())),
            Purpose::Filter | Purpose::Command | Purpose::BulkEvent | Purpose::Bulk(_) => None,
        }
    }
}

impl Popup {
    /// The record the popup acts on, if it acts on one.
    pub fn record(&self) -> Option<(i64, i64)> {
        match self {
            Popup::Pick { purpose, .. } | Popup::Input { purpose, .. } => purpose.record(),
            Popup::Decide { draft, .. } => Some((draft.id, draft.version)),
            Popup::Help { .. } | Popup::Messages { .. } | Popup::BulkConfirm { .. } => None,
        }
    }
}

impl App {
    /// Why the open popup's record is out of date, if the worker said so.
    pub fn popup_overtaken(&self) -> Option<&Overtaken> {
        let (id, version) = self.popup.as_ref()?.record()?;
        self.overtaken
            .as_ref()
            .filter(|o| o.id == id && o.version == version)
    }

    /// New rows came: if the open popup's record is among them at another
    /// version, or no longer among them, ask the worker who changed it.
    pub(super) fn check_popup_record(&self) -> Option<Request> {
        let (id, version) = self.popup.as_ref()?.record()?;
        if self.popup_overtaken().is_some() {
            return None;
        }
        let same = self
            .page
            .rows
            .iter()
            .any(|r| r.id == id && r.version == version);
        (!same).then_some(Request::WhoChanged { id, version })
    }

    /// The worker's answer: record `id`, last seen at `version`, was
    /// changed by `actor` as `said`.
    pub(super) fn on_changed_under(&mut self, id: i64, version: i64, actor: String, said: String) {
        let on_popup = self
            .popup
            .as_ref()
            .and_then(Popup::record)
            .is_some_and(|r| r == (id, version));
        if on_popup {
            self.set_status(format!("{said}: Enter does nothing now; Esc closes"), true);
            self.overtaken = Some(Overtaken { id, version, said });
            return;
        }
        // A record that left the view: who made it leave, before where
        // the cursor went (unless the status moved on meanwhile).
        if actor == self.user.name {
            return;
        }
        if let Some((left_id, text)) = self.left.take()
            && left_id == id
            && self.status.as_ref().is_some_and(|s| s.text == text)
        {
            let error = self.status.as_ref().is_some_and(|s| s.error);
            self.set_status(format!("{said} · {text}"), error);
        }
    }

    /// Enter on a popup whose record changed under it: refused, nothing
    /// written, the screen re-read.
    pub(super) fn refuse_overtaken(&mut self) -> Option<Vec<Request>> {
        let said = self.popup_overtaken()?.said.clone();
        self.popup = None;
        self.overtaken = None;
        self.set_status(format!("{said}; nothing was done"), true);
        Some(self.reread())
    }

    /// A record left the view (`text` says so): ask who made it leave,
    /// unless the user's own change did.
    pub(super) fn ask_why_left(&mut self, id: i64, version: i64, text: String) -> Option<Request> {
        if self.acted_on == Some(id) {
            return None;
        }
        self.left = Some((id, text));
        Some(Request::WhoChanged { id, version })
    }
}
