//! Everything a key can ask the console to do. Names are those of the
//! configuration's `[keys.normal]` and `[keys.popup]` (`assets/config.toml`).

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    PrevStage,
    NextStage,
    NextView,
    PrevView,
    /// Switch to the view with this index (number keys).
    View(usize),
    OpenDetail,
    /// Scroll the detail pane (or the full record view) down a line.
    DetailDown,
    /// Scroll the detail pane (or the full record view) up a line.
    DetailUp,
    /// The full record view: the selected record's whole document.
    RecordView,
    Move,
    Assign,
    Claim,
    Release,
    Substatus,
    Note,
    Ack,
    Filter,
    CycleOwner,
    Refresh,
    Help,
    /// The session's message log.
    Messages,
    /// The Audit view: its stage tables, or the trend of the last weeks.
    Trends,
    /// Sort the queue by the next column (due, age, patient, id).
    SortNext,
    /// Reverse the queue's order.
    SortReverse,
    /// Back to where `:go` or a Breaches group was entered from.
    Back,
    /// Forward again, after a back.
    Forward,
    /// Copy the selected record's id to the clipboard (OSC 52).
    CopyId,
    Quit,
    Confirm,
    Cancel,
    /// Fire a decision the pipeline marks `confirm`: a second key, never
    /// the one that picked it.
    Decide,
    /// The `:` command line.
    Command,
    /// Mark or unmark the selected record.
    Mark,
    /// Start a range mark, or mark every row from its start to here.
    MarkRange,
    /// Mark every record in the current view and filter.
    MarkAll,
    /// Clear the marks (with none: clear the filter).
    ClearMarks,
    /// The Breaches view: the keys move between its groups and records.
    SwitchPane,
    /// In a prompt: complete the command or its argument.
    Complete,
    /// In a prompt: clear the line.
    ClearLine,
    /// In a prompt: delete the character before the cursor.
    DeleteBack,
}

/// The most views a key can open (`view_1` to `view_12`: the digits, then
/// `-` and `=` beside them, so a seven- or eight-phase pipeline keeps a key
/// for every view).
pub const VIEW_KEYS: usize = 12;

impl Action {
    /// The action a configuration names (`move`, `view_3`).
    pub fn from_name(name: &str) -> Option<Action> {
        if let Some(n) = name.strip_prefix("view_") {
            return n
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=VIEW_KEYS).contains(n) && format!("view_{n}") == name)
                .map(|n| Action::View(n - 1));
        }
        let a: Action = toml::Value::String(name.to_string()).try_into().ok()?;
        (!matches!(a, Action::View(_))).then_some(a)
    }

    /// The name a configuration uses for it.
    pub fn name(self) -> String {
        match self {
            Action::View(i) => format!("view_{}", i + 1),
            other => toml::Value::try_from(other)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        }
    }
}

impl Action {
    /// One line for the help panel.
    pub fn description(self) -> &'static str {
        match self {
            Action::Down => "next record",
            Action::Up => "previous record",
            Action::Top => "first record",
            Action::Bottom => "last record",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::PrevStage => "previous stage",
            Action::NextStage => "next stage",
            Action::NextView => "next view",
            Action::PrevView => "previous view",
            Action::View(_) => "switch view",
            Action::OpenDetail => "open / close detail",
            Action::DetailDown => "scroll the detail down",
            Action::DetailUp => "scroll the detail up",
            Action::RecordView => "full record view (j/k scroll it)",
            Action::Move => "move: fire an event",
            Action::Assign => "assign to a user",
            Action::Claim => "claim for yourself",
            Action::Release => "release to the queue",
            Action::Substatus => "set sub-status",
            Action::Note => "add a note",
            Action::Ack => "acknowledge breach",
            Action::Filter => "filter the queue",
            Action::CycleOwner => "cycle owner filter",
            Action::Refresh => "refresh now",
            Action::Help => "help",
            Action::Messages => "message log (this session)",
            Action::Trends => "Audit: trends ⇄ stage tables",
            Action::SortNext => "sort by the next column",
            Action::SortReverse => "reverse the order",
            Action::Back => "back (from :go or a group)",
            Action::Forward => "forward again",
            Action::CopyId => "copy the record id (clipboard)",
            Action::Quit => "quit",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel / close",
            Action::Decide => "decide: a confirmed decision",
            Action::Command => "command line (:go …)",
            Action::Mark => "mark / unmark, then next row",
            Action::MarkRange => "range mark (v … v)",
            Action::MarkAll => "mark all in filter",
            Action::ClearMarks => "clear marks, filter",
            Action::SwitchPane => "Breaches: groups ⇄ records",
            Action::Complete => "complete (command line)",
            Action::ClearLine => "clear the line",
            Action::DeleteBack => "delete the last character",
        }
    }

    /// Short label for the footer, or None to leave it out of the footer.
    pub fn hint(self) -> Option<&'static str> {
        Some(match self {
            Action::OpenDetail => "detail",
            Action::Move => "move",
            Action::Assign => "assign",
            Action::Claim => "claim",
            Action::Release => "release",
            Action::Substatus => "sub-status",
            Action::Note => "note",
            Action::Ack => "ack",
            Action::Filter => "filter",
            Action::CycleOwner => "owner",
            Action::Help => "help",
            Action::Quit => "quit",
            Action::Confirm => "ok",
            Action::Mark => "mark",
            Action::Cancel => "cancel",
            _ => return None,
        })
    }
}
