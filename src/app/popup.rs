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

/// What a picker's choice or a prompt's text is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Event { id: i64, version: i64 },
    Reason(MoveDraft),
    BreachReason(MoveDraft),
    MoveNote(MoveDraft),
    Assign { id: i64, version: i64 },
    Substatus { id: i64, version: i64 },
    Note { id: i64, version: i64 },
    Ack { id: i64, version: i64 },
    Filter,
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
    },
    Help,
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
        }
    }
}

/// Longest text a prompt accepts (notes are capped by the engine too).
pub const MAX_INPUT: usize = 1000;
