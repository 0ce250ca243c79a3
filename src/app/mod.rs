//! The console's state and its update function (The Elm Architecture):
//! keys and data responses go in, requests for the data worker come out.
//! Nothing here draws or touches the terminal, so tests drive it directly.

mod audit_drill;
pub mod audit_nav;
mod bulk;
pub mod bulk_service;
mod cmd;
pub mod command;
mod commit_service;
mod counts;
mod decide;
pub mod deliver_service;
mod dispatch;
pub mod groups;
mod held;
pub mod jumps;
mod list_filter;
mod marking;
pub mod marks;
pub mod messages;
pub mod mouse;
mod move_flow;
mod nav;
pub mod overtaken;
mod page_service;
mod pane;
pub mod popup;
mod popup_keys;
mod prompts;
mod queries;
mod refusal_service;
mod reload;
mod respond;
pub mod saved;
pub mod service;
mod settings;
pub mod views;
mod views_service;
pub mod worker;

use crate::domain::Pipeline;
use crate::engine::{Record, User};
use crate::keys::{Keymap, Mode};
use crate::store::{BreachGroup, Sort, StageCount};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use popup::Popup;
use service::{Anchor, Cmd, Detail, Page, Request};
use std::sync::Arc;
use views::{ViewDef, ViewKind};

/// Rows fetched per page: a few screens, never the table.
pub const WINDOW: usize = 200;

pub use crate::present::record_label;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerMode {
    All,
    MineOrUnassigned,
    Mine,
    Unassigned,
}

impl OwnerMode {
    pub fn label(self) -> &'static str {
        match self {
            OwnerMode::All => "all",
            OwnerMode::MineOrUnassigned => "mine + unassigned",
            OwnerMode::Mine => "mine",
            OwnerMode::Unassigned => "unassigned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

pub struct App {
    pub pipeline: Arc<Pipeline>,
    pub user: User,
    pub now: DateTime<Utc>,
    pub keymap: Keymap,
    pub views: Vec<ViewDef>,
    pub view: usize,
    /// 0 = every stage of the view, i = its (i-1)-th stage.
    pub stage_sel: usize,
    pub owner: OwnerMode,
    pub filter: String,
    /// The queue's order (`:sort`).
    pub sort: Sort,
    pub counts: Vec<StageCount>,
    /// The board's counts under the owner mode or typed filter, when one
    /// narrows the queue (else the board shows `counts`).
    pub board_counts: Option<Vec<StageCount>>,
    pub groups: Vec<BreachGroup>,
    /// The Breaches view's groups: where the keys go, and their cursor.
    pub group_nav: groups::GroupNav,
    pub audit: Option<crate::engine::audit::AuditReport>,
    pub audit_computing: bool,
    /// Why the last audit failed (`r` retries).
    pub audit_error: Option<String>,
    /// The Audit view's trend page, when computed.
    pub trend: Option<Box<crate::ops::trend::Trend>>,
    pub trend_computing: bool,
    pub trend_error: Option<String>,
    /// The Audit view's panels: which one the keys scroll, and where.
    pub audit_nav: audit_nav::AuditNav,
    /// The page a `r` asked for: its arrival says the screen is current.
    refresh_seq: Option<u64>,
    /// The request that reads on past a page the scan cap cut short: its
    /// rows extend the page rather than replace it.
    continuing: Option<u64>,
    pub page: Page,
    /// Absolute index of the selected row, and of the first visible row.
    pub selected: usize,
    pub top: usize,
    /// The rows shown were read for another filter or view than the one
    /// now asked for (its page is on its way): actions wait for it.
    pub rows_outdated: bool,
    /// A `:go` is on its way (its failure leaves the rows as they were).
    locating: bool,
    /// Rows the table can show; set by the front end from the layout.
    pub height: usize,
    pub detail_open: bool,
    pub detail: Option<Detail>,
    /// The record the detail pane is bound to (see `pane`).
    pub pane: Option<i64>,
    /// The user moved the cursor onto a row still being read: the pane
    /// takes that row's record when it comes.
    pane_moved: bool,
    /// Lines the pane is scrolled down.
    pub pane_top: usize,
    /// The pane fills the screen (the full record view).
    pub full_view: bool,
    /// Rows the pane shows at once, and the furthest it scrolls; set by the
    /// front end from the layout.
    pub pane_rows: usize,
    pub pane_max: usize,
    pub popup: Option<Popup>,
    pub status: Option<Status>,
    /// Every status message of this session (`@` shows them).
    pub messages: messages::Messages,
    /// A count typed before a moving key (`5j`), with digits no key binds.
    pub count: Option<u32>,
    /// Where `<` goes back to and `>` forward again.
    pub jumps: jumps::Jumps,
    /// The record a jump back puts the cursor on once its page comes.
    land: Option<i64>,
    /// Text for the terminal's clipboard (a record id), sent by the front
    /// end with OSC 52 and then cleared.
    pub clipboard: Option<String>,
    pub team: Vec<User>,
    pub loading: bool,
    /// Idle lock: patient data hidden until a key is pressed.
    pub locked: bool,
    /// The user was disabled (or their roles changed) while the console
    /// was open: why. Locked for good; only quitting is left.
    pub revoked: Option<String>,
    pub quit: bool,
    /// Shown in the header: trust mode, or a what-if pipeline.
    pub mode_label: Option<String>,
    /// The database connection was lost (why), and is being retried: the
    /// header says so until it is back.
    pub link_lost: Option<String>,
    /// Webhook targets that keep failing, shown in the header to
    /// supervisors and admins (empty for anyone else).
    pub webhook_trouble: Vec<String>,
    /// Records marked for a bulk action.
    pub marks: marks::Marks,
    /// Records the last bulk dry run refused (left out of its run).
    bulk_dry_refused: usize,
    /// `:owner NAME`: one user's records (the owner mode is then `all`).
    pub owner_name: Option<String>,
    /// The record the cursor was on when the screen was last re-read: the
    /// cursor follows it, or says it left.
    follow: Option<i64>,
    /// This session's command lines, and where up/down is in them.
    pub history: Vec<String>,
    history_at: usize,
    /// Where the last session left off, until its view is open.
    pub resume: Option<saved::Resume>,
    /// `:NAME` runs `:filter EXPR` (from the configuration).
    pub aliases: std::collections::BTreeMap<String, String>,
    /// The queue's columns, in order (from the configuration).
    pub columns: Vec<crate::config::Column>,
    /// The configuration's columns (`:columns default` and leaving a saved
    /// view go back to them).
    pub configured_columns: Vec<crate::config::Column>,
    /// Mouse clicks and the wheel (opt-in).
    pub mouse: bool,
    /// The open popup's record changed under it: who changed it and how.
    pub overtaken: Option<overtaken::Overtaken>,
    /// A record that left the view, and the status that said so: who made
    /// it leave is added when the worker says.
    left: Option<(i64, String)>,
    /// The record of the last commit: its leaving the view is the user's
    /// own doing.
    acted_on: Option<i64>,
    seq: u64,
}

impl App {
    pub fn new(pipeline: Arc<Pipeline>, user: User, now: DateTime<Utc>) -> App {
        let views = views::build(&pipeline, &user);
        let view = views::first_view(&pipeline, &user, &views);
        let mut app = App {
            pipeline,
            user,
            now,
            keymap: crate::config::defaults().keymap,
            views,
            view,
            stage_sel: 0,
            owner: OwnerMode::All,
            filter: String::new(),
            sort: Sort::default(),
            counts: Vec::new(),
            board_counts: None,
            groups: Vec::new(),
            group_nav: Default::default(),
            audit: None,
            audit_computing: false,
            audit_error: None,
            trend: None,
            trend_computing: false,
            trend_error: None,
            audit_nav: Default::default(),
            refresh_seq: None,
            continuing: None,
            page: Page {
                seq: 0,
                rows: Vec::new(),
                start: 0,
                total: 0,
                resume: None,
                board: None,
            },
            selected: 0,
            top: 0,
            height: 20,
            rows_outdated: false,
            locating: false,
            detail_open: false,
            detail: None,
            pane: None,
            pane_moved: false,
            pane_top: 0,
            full_view: false,
            pane_rows: 10,
            pane_max: usize::MAX,
            popup: None,
            status: None,
            messages: Default::default(),
            clipboard: None,
            jumps: Default::default(),
            count: None,
            land: None,
            team: Vec::new(),
            loading: true,
            mode_label: None,
            link_lost: None,
            webhook_trouble: Vec::new(),
            marks: marks::Marks::default(),
            owner_name: None,
            bulk_dry_refused: 0,
            follow: None,
            history: Vec::new(),
            history_at: 0,
            resume: None,
            aliases: Default::default(),
            columns: crate::config::Column::ALL.to_vec(),
            configured_columns: crate::config::Column::ALL.to_vec(),
            mouse: false,
            overtaken: None,
            left: None,
            acted_on: None,
            locked: false,
            revoked: None,
            quit: false,
            seq: 0,
        };
        app.owner = app.default_owner();
        app
    }

    /// Requests the console needs to fill its first frame, then the rest:
    /// the worker answers in order, so a sweep catching up on hours of due
    /// timers runs after the first frame, not before it (and re-reads the
    /// screen if it fired anything).
    pub fn start(&mut self) -> Vec<Request> {
        self.resume_builtin();
        let mut out = vec![self.visited()];
        out.extend(self.count_requests());
        out.push(self.query(Anchor::First));
        out.extend([
            Request::Team,
            Request::SavedViews,
            Request::Sweep,
            Request::Deliver,
        ]);
        out
    }

    /// The access-log entry for the view now shown.
    fn visited(&self) -> Request {
        Request::Visited(self.current().title.clone())
    }

    /// Access withdrawn: everything held is dropped and the console locks.
    pub fn revoke(&mut self, why: String) {
        self.revoked = Some(why);
        self.locked = true;
        self.popup = None;
        self.detail = None;
        self.page.rows.clear();
        self.team.clear();
        self.messages.clear();
    }

    /// An event's label, as people read it (its id if the pipeline has none).
    pub fn event_label(&self, event: &str) -> String {
        crate::present::event_label(&self.pipeline, event)
    }

    /// `#265 Zane Papadopoulos` for record `id` if it is on screen, else `#265`.
    pub fn label_of(&self, id: i64) -> String {
        self.page
            .rows
            .iter()
            .find(|r| r.id == id)
            .map_or(format!("#{id}"), record_label)
    }

    pub(super) fn default_owner(&self) -> OwnerMode {
        match self.current().kind {
            ViewKind::MyQueue => OwnerMode::MineOrUnassigned,
            // A provider's decisions: their own, and those no one has yet.
            ViewKind::Decisions if !crate::ops::supervises(&self.pipeline, &self.user) => {
                OwnerMode::MineOrUnassigned
            }
            _ => OwnerMode::All,
        }
    }

    pub fn current(&self) -> &ViewDef {
        &self.views[self.view]
    }

    pub fn selected_record(&self) -> Option<&Record> {
        self.selected
            .checked_sub(self.page.start)
            .and_then(|i| self.page.rows.get(i))
    }

    pub fn set_status(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        self.messages.push(self.now, &text, error);
        self.status = Some(Status { text, error });
    }

    /// A key press: returns the requests it causes.
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Request> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if self.revoked.is_some() {
            use crossterm::event::{KeyCode, KeyModifiers};
            let ctrl_c =
                key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
            self.quit = key.code == KeyCode::Char('q') || ctrl_c;
            return Vec::new();
        }
        if self.locked {
            // The key that wakes the console does nothing else.
            self.locked = false;
            return self.reread();
        }
        if self.popup.is_some() {
            return self.on_popup_key(key);
        }
        match self.keymap.action(Mode::Normal, &key) {
            Some(a) => {
                let n = self.count.take().unwrap_or(1);
                self.on_counted(a, n)
            }
            None => self.on_count_digit(&key),
        }
    }

    fn with_selected(&mut self, f: impl FnOnce(&Record) -> Cmd) -> Vec<Request> {
        match self.need_record() {
            Some(r) => vec![Request::Commit(f(&r))],
            None => Vec::new(),
        }
    }

    pub(super) fn switch_view(&mut self, i: usize) -> Vec<Request> {
        let left_saved = self.current().saved.is_some();
        self.view = i;
        self.stage_sel = 0;
        self.group_nav.focus = false;
        self.owner = self.default_owner();
        self.apply_saved(left_saved);
        let mut out = vec![self.visited()];
        out.extend(self.reset_query());
        match self.current().kind {
            // Groups first: the page's past-warn total is then read from
            // the same pass instead of counted again.
            ViewKind::Breaches => out.insert(0, Request::BreachGroups),
            ViewKind::Audit if self.audit.is_none() && !self.audit_computing => {
                out.extend(self.audit_request())
            }
            _ => {}
        }
        out
    }

    pub fn on_key_code(&mut self, code: KeyCode) -> Vec<Request> {
        self.on_key(KeyEvent::from(code))
    }
}
