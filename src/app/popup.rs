//! Popups: pickers and text prompts, and the multi-step flows they drive
//! (move → reason → note → commit).

/// One choice in a picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub value: String,
    pub label: String,
}

/// A move being put together: the event and what its guards ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveDraft {
    pub id: i64,
    pub version: i64,
    pub event: String,
    pub reason_codes: Vec<String>,
    /// The stage's breach reasons, when the SLA is breached and not yet
    /// acknowledged: asked after the transition's own reason.
    pub breach_codes: Vec<String>,
    pub needs_note: bool,
    pub reason: Option<String>,
    pub breach_reason: Option<String>,
    pub note: Option<String>,
}

/// Which bulk action is being put together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkKind {
    Move { event: String },
    Assign,
    Claim,
    Release,
    Substatus,
    Note,
    Ack,
}

/// A bulk action being put together: its answers so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkDraft {
    pub kind: BulkKind,
    /// The transition's reason codes, when it asks for one.
    pub reason_codes: Vec<String>,
    /// The union of the breach reasons of the marked records that need one.
    pub breach_codes: Vec<String>,
    pub needs_note: bool,
    /// The user (assign), the sub-status (`""` clears), the breach reason
    /// (acknowledge) or the text (note).
    pub value: Option<String>,
    pub reason: Option<String>,
    pub breach_reason: Option<String>,
    pub note: Option<String>,
}

/// What a picker's choice or a prompt's text is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Event {
        id: i64,
        version: i64,
    },
    Reason(MoveDraft),
    BreachReason(MoveDraft),
    MoveNote(MoveDraft),
    Assign {
        id: i64,
        version: i64,
    },
    Substatus {
        id: i64,
        version: i64,
    },
    Note {
        id: i64,
        version: i64,
    },
    Ack {
        id: i64,
        version: i64,
    },
    Filter,
    /// The `:` command line.
    Command,
    /// Taking a record someone else holds: confirmed first.
    TakeOver(Box<crate::app::service::Cmd>),
    /// The event of a bulk move.
    BulkEvent,
    /// The next answer a bulk action needs.
    Bulk(BulkDraft),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    Pick {
        purpose: Purpose,
        title: String,
        items: Vec<Item>,
        sel: usize,
    },
    Input {
        purpose: Purpose,
        title: String,
        text: String,
        /// The text is selected: typing replaces it (a reopened filter).
        selected: bool,
    },
    /// The help panel, scrolled `top` lines down.
    Help { top: usize },
    /// The session's message log, latest first, scrolled `top` lines down.
    Messages { top: usize },
    /// A decision the pipeline marks `confirm`, put together: it names
    /// the patient and the outcome, and fires only on the decide key.
    Decide {
        draft: MoveDraft,
        title: String,
        lines: Vec<String>,
    },
    /// A bulk action's dry run, waiting for one confirmation.
    BulkConfirm {
        title: String,
        verdicts: Vec<crate::app::bulk_service::Verdict>,
        top: usize,
    },
}

impl Popup {
    pub fn pick(purpose: Purpose, title: impl Into<String>, items: Vec<Item>) -> Popup {
        Popup::Pick {
            purpose,
            title: title.into(),
            items,
            sel: 0,
        }
    }

    pub fn input(purpose: Purpose, title: impl Into<String>, text: impl Into<String>) -> Popup {
        Popup::Input {
            purpose,
            title: title.into(),
            text: text.into(),
            selected: false,
        }
    }

    /// An input whose text starts selected, so typing replaces it.
    pub fn input_selected(purpose: Purpose, title: impl Into<String>, text: String) -> Popup {
        let selected = !text.is_empty();
        Popup::Input {
            purpose,
            title: title.into(),
            text,
            selected,
        }
    }
}

/// Longest text a prompt accepts (notes are capped by the engine too).
pub const MAX_INPUT: usize = 1000;
