//! Raw floors for the console rows: a bare connection and a bare table.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::widgets::{Row, Table};
use std::path::Path;
use std::time::{Duration, Instant};

pub fn raw_first_frame(path: &Path) -> Duration {
    let conn = rusqlite::Connection::open(path).expect("open");
    let t = Instant::now();
    let mut st = conn
        .prepare("SELECT stage, count(*) FROM records GROUP BY stage")
        .expect("prep");
    let n: usize = st.query_map([], |r| r.get::<_, i64>(1)).expect("q").count();
    let mut st = conn
        .prepare("SELECT id, patient, stage, assignee, sort_due FROM records ORDER BY sort_due, id LIMIT 40")
        .expect("prep");
    let m: usize = st.query_map([], |r| r.get::<_, i64>(0)).expect("q").count();
    assert!(n + m > 0);
    t.elapsed()
}

pub fn raw_page_and_draw(
    path: &Path,
    term: &mut Terminal<TestBackend>,
    samples: usize,
) -> Vec<Duration> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut out = Vec::new();
    let mut after = 0i64;
    for _ in 0..samples {
        let t = Instant::now();
        let mut st = conn
            .prepare_cached(
                "SELECT id, patient, stage, assignee, sort_due FROM records WHERE (sort_due, id) > (0, ?1)
                 ORDER BY sort_due, id LIMIT 36",
            )
            .expect("prep");
        let rows: Vec<(i64, String, String)> = st
            .query_map([after], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("q")
            .filter_map(Result::ok)
            .collect();
        after = rows.first().map_or(0, |r| r.0);
        term.draw(|f| {
            let rows = rows
                .iter()
                .map(|r| Row::new(vec![r.0.to_string(), r.1.clone(), r.2.clone()]));
            f.render_widget(Table::new(rows, [20, 30, 30]), f.area());
        })
        .expect("draw");
        out.push(t.elapsed());
    }
    out
}
