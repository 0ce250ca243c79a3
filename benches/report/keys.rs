//! Keypress to redrawn frame in the default order: scrolling, switching
//! views, typing a filter; beside a bare page query and table per key.

use super::{Line, console, draw, key, p50_p99};
use crate::raw::raw_page_and_draw;
use carequeue::app::App;
use carequeue::app::service::{Service, pump};
use carequeue::domain::Pipeline;
use carequeue::keys as keymap;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

pub fn scroll_views_filter(p: &Arc<Pipeline>, path: &Path, who: &str, out: &mut Vec<Line>) {
    // Keypress to redrawn frame: scrolling, switching view, typing a filter.
    let (mut app, mut svc, mut term) = console(p, path, who);
    app.on_key(key('1'));
    // The console redraws on the input thread right after a key; the data
    // worker answers the key's queries and the next frame shows them. Both
    // are measured: to the redrawn frame, and to the frame with the data.
    let mut keys = Vec::new();
    let mut with_data = Vec::new();
    // CQ_BENCH_SLOW=N: also print the N slowest keys with their data.
    let mut named = Vec::new();
    let mut press =
        |app: &mut App, svc: &mut Service, term: &mut Terminal<TestBackend>, k: KeyEvent| {
            let view = app.current().title.clone();
            let t = Instant::now();
            let reqs = app.on_key(k);
            draw(app, term);
            keys.push(t.elapsed());
            pump(app, svc, reqs);
            draw(app, term);
            with_data.push(t.elapsed());
            named.push((t.elapsed(), format!("{:?} in {view}", k.code)));
        };
    for i in 0..600 {
        let k = if i % 50 == 49 {
            KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)
        } else {
            key('j')
        };
        press(&mut app, &mut svc, &mut term, k);
    }
    for _ in 0..16 {
        press(
            &mut app,
            &mut svc,
            &mut term,
            KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE),
        );
    }
    press(&mut app, &mut svc, &mut term, key('/'));
    for c in "Nguyen".chars() {
        press(&mut app, &mut svc, &mut term, key(c));
    }
    press(
        &mut app,
        &mut svc,
        &mut term,
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
    );
    let _ = keymap::Mode::Normal;
    let slow: usize = std::env::var("CQ_BENCH_SLOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    named.sort_by_key(|k| std::cmp::Reverse(k.0));
    for (took, what) in named.iter().take(slow) {
        eprintln!("slow key: {what}: {took:?}");
    }
    let raw_keys = raw_page_and_draw(path, &mut term, 600);
    out.push(Line {
        work: format!(
            "keypress to frame ({} keys: scroll, views, filter)",
            keys.len()
        ),
        budget: "p50 ≤ 2 ms, p99 ≤ 16 ms".into(),
        ours: p50_p99(keys),
        raw: p50_p99(raw_keys.clone()),
    });
    out.push(Line {
        work: "keypress to frame with its data (worker queries included)".into(),
        budget: "-".into(),
        ours: p50_p99(with_data),
        raw: p50_p99(raw_keys),
    });
}
