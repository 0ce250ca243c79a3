//! Shared by the console tests: a seeded demo database at a fixed instant,
//! the app driven without a terminal (requests answered synchronously by a
//! `Service`), and screens rendered to text through ratatui's TestBackend.
#![allow(dead_code)]

use carequeue::app::App;
use carequeue::app::service::{Request, Service, pump};
use carequeue::demo::{self, DemoOptions};
use carequeue::domain::{DEFAULT_PIPELINE, Pipeline, check};
use carequeue::engine::FixedClock;
use carequeue::store::Store;
use carequeue::ui::{self, theme::Theme};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;

pub const NOW: &str = "2026-11-26T15:00:00Z";

pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .expect("fixed instant")
        .with_timezone(&Utc)
}

pub fn pipeline() -> Arc<Pipeline> {
    Arc::new(check(DEFAULT_PIPELINE).pipeline.expect("default pipeline"))
}

/// A demo database on pipeline `text`, `records` records, seed 11.
pub fn demo_db_on(text: &str, records: usize) -> (TempDir, PathBuf, Arc<Pipeline>) {
    let p = Arc::new(check(text).pipeline.expect("the pipeline checks"));
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    let opts = DemoOptions {
        records,
        seed: 11,
        ..Default::default()
    };
    demo::build(&p, text, &db, &opts, now()).expect("demo builds");
    (dir, db, p)
}

/// A demo database with `records` records, seed 11, built at [`NOW`].
pub fn demo_db(records: usize) -> (TempDir, PathBuf) {
    let (dir, db, _) = demo_db_on(DEFAULT_PIPELINE, records);
    (dir, db)
}

pub struct Console {
    pub app: App,
    pub svc: Service,
    /// The terminal's size: the app pages by the layout drawn in it, as
    /// the real console's loop tells it before every frame.
    pub size: Rect,
}

impl Console {
    /// Moves the selection to record `id` in the current view.
    pub fn select(&mut self, id: i64) {
        self.press('g');
        for _ in 0..self.app.page.total {
            if self.app.selected_record().map(|r| r.id) == Some(id) {
                return;
            }
            self.press('j');
        }
        panic!("record {id} is not in this view");
    }

    /// Moves the open picker's cursor to the item whose value is `value`
    /// and chooses it.
    pub fn pick(&mut self, value: &str) {
        let Some(carequeue::app::popup::Popup::Pick { items, .. }) = &self.app.popup else {
            panic!("no picker open: {:?}", self.app.popup)
        };
        let i = items
            .iter()
            .position(|it| it.value == value)
            .unwrap_or_else(|| panic!("{value} not offered: {items:?}"));
        for _ in 0..i {
            self.press('j');
        }
        self.code(KeyCode::Enter);
    }

    /// The console as `user`, sized for a `w`×`h` terminal, first frame loaded.
    pub fn open(db: &Path, user: &str, w: u16, h: u16) -> Console {
        Console::open_on(db, pipeline(), user, w, h)
    }

    /// [`Console::open`] under pipeline `p`.
    pub fn open_on(db: &Path, p: Arc<Pipeline>, user: &str, w: u16, h: u16) -> Console {
        let store = Store::open(db).expect("open db");
        let u = carequeue::ops::actor(&store, user).expect("demo user");
        let mut app = App::new(p.clone(), u.user().clone(), now());
        ui::fit_app(&mut app, Rect::new(0, 0, w, h));
        let mut svc = Service::new(p, store, Arc::new(FixedClock(now())), u, None);
        let reqs = app.start();
        pump(&mut app, &mut svc, reqs);
        Console {
            app,
            svc,
            size: Rect::new(0, 0, w, h),
        }
    }

    pub fn key(&mut self, k: KeyEvent) {
        ui::fit_app(&mut self.app, self.size);
        let reqs = self.app.on_key(k);
        pump(&mut self.app, &mut self.svc, reqs);
    }

    pub fn press(&mut self, c: char) {
        self.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }

    pub fn code(&mut self, c: KeyCode) {
        self.key(KeyEvent::new(c, KeyModifiers::NONE));
    }

    pub fn typed(&mut self, s: &str) {
        for c in s.chars() {
            self.press(c);
        }
    }

    pub fn send(&mut self, reqs: Vec<Request>) {
        pump(&mut self.app, &mut self.svc, reqs);
    }

    /// The screen as text, one line per row (trailing spaces trimmed).
    pub fn screen(&mut self, w: u16, h: u16) -> String {
        self.size = Rect::new(0, 0, w, h);
        ui::fit_app(&mut self.app, self.size);
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        t.draw(|f| ui::draw(f, &self.app, &Theme::mono()))
            .expect("draw");
        let buf = t.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..h {
            let mut line = String::new();
            for x in 0..w {
                line.push_str(buf[(x, y)].symbol());
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}
