//! The console's power tools at scale: keypresses under a structured
//! filter and a non-default order, and a bulk action over 1,000 marked
//! records, each beside its raw floor (the same page query on a bare
//! connection with a bare table drawn; 1,000 bare single-row UPDATE
//! transactions).

use super::{Line, console, draw, key, ms, p50_p99, pct, time};
use carequeue::app::service::{Cmd, Service, pump};
use carequeue::domain::Pipeline;
use carequeue::store::{ListFilter, Sort, SortKey};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::widgets::{Row, Table};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FILTER: &str = "sla:ok state:TX";

pub fn run(p: &Arc<Pipeline>, path: &Path, who: &str, out: &mut Vec<Line>) {
    filtered_keys(p, path, who, out);
    bulk_assign(p, path, who, out);
}

pub fn filtered_keys(p: &Arc<Pipeline>, path: &Path, who: &str, out: &mut Vec<Line>) {
    let (mut app, mut svc, mut term) = console(p, path, who);
    let cmd = |app: &mut carequeue::app::App, svc: &mut Service, line: &str| {
        let mut reqs = app.on_key(key(':'));
        for c in line.chars() {
            reqs.extend(app.on_key(key(c)));
        }
        reqs.extend(app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        pump(app, svc, reqs);
    };
    cmd(&mut app, &mut svc, "view 1");
    cmd(&mut app, &mut svc, &format!("filter {FILTER}"));
    cmd(&mut app, &mut svc, "sort age");
    assert!(
        app.page.total > 100,
        "the filter keeps rows: {}",
        app.page.total
    );
    let mut with_data = Vec::new();
    for i in 0..400 {
        let k = if i % 40 == 39 {
            KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)
        } else {
            key('j')
        };
        let t = Instant::now();
        let reqs = app.on_key(k);
        draw(&app, &mut term);
        pump(&mut app, &mut svc, reqs);
        draw(&app, &mut term);
        with_data.push(t.elapsed());
    }
    // The floor: the same page query (one stage's, as the merge runs it)
    // on a bare connection, from a keyset cursor, and a bare table drawn.
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut f = app.list_filter();
    f.stages = f.stages.map(|s| s.into_iter().take(1).collect());
    f.limit = Some(36);
    // The plan carequeue picks for this page (a walk of the order's index
    // when the terms match many rows), so the floor runs the same one.
    let store = carequeue::store::Store::open(path).expect("open");
    let total = store.count(&f, now_ts()).expect("count");
    f.walk = store.walks(&f, total).expect("walks");
    drop(store);
    let f = f.sorted(Sort {
        key: SortKey::Age,
        desc: true,
    });
    // And its cap: a walk first finds where the cap stops it, on the index.
    let f = ListFilter {
        scan_cap: f.walk.then_some(carequeue::app::service::SCAN_CAP),
        ..f
    };
    let boundary = f.boundary_sql(now_ts());
    let mut raw = Vec::new();
    for _ in 0..400 {
        let t = Instant::now();
        let until = boundary.as_ref().and_then(|(bsql, bargs)| {
            let mut st = conn.prepare_cached(bsql).expect("prep");
            st.query_row(rusqlite::params_from_iter(bargs.iter()), |r| {
                Ok((
                    carequeue::store::KeyVal::Int(r.get(0)?),
                    r.get::<_, i64>(1)?,
                ))
            })
            .ok()
        });
        let (sql, args) = ListFilter { until, ..f.clone() }.select_sql(now_ts());
        let mut st = conn.prepare_cached(&sql).expect("prep");
        let rows: Vec<(i64, String)> = st
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("q")
            .filter_map(Result::ok)
            .collect();
        term.draw(|fr| {
            let rows = rows
                .iter()
                .map(|r| Row::new(vec![r.0.to_string(), r.1.clone()]));
            fr.render_widget(Table::new(rows, [10, 30]), fr.area());
        })
        .expect("draw");
        raw.push(t.elapsed());
    }
    out.push(Line {
        work: format!(
            "keypress to frame with its data under `{FILTER}`, by age ({} rows)",
            app.page.total
        ),
        budget: "p50 ≤ 2 ms, p99 ≤ 16 ms".into(),
        ours: p50_p99(with_data),
        raw: p50_p99(raw),
    });
}

fn now_ts() -> i64 {
    super::now().timestamp()
}

fn bulk_assign(p: &Arc<Pipeline>, path: &Path, who: &str, out: &mut Vec<Line>) {
    let (_app, mut svc, _term) = console(p, path, who);
    let now = now_ts();
    let stage = "rx_sent";
    let store = carequeue::store::Store::open(path).expect("open");
    let rows = store
        .list(
            &ListFilter {
                stages: Some(vec![stage.into()]),
                limit: Some(1000),
                ..Default::default()
            },
            now,
        )
        .expect("list");
    assert_eq!(rows.len(), 1000, "1,000 records to mark");
    let target = store
        .users()
        .expect("users")
        .into_iter()
        .find(|u| u.roles.iter().any(|r| r == "pharmacy"))
        .expect("a pharmacist")
        .name;
    let cmds: Vec<Cmd> = rows
        .iter()
        .map(|r| Cmd::Assign {
            id: r.id,
            version: r.version,
            user: if r.assignee.as_deref() == Some(target.as_str()) {
                who.to_string()
            } else {
                target.clone()
            },
        })
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let ((checked, done), took) = time(|| {
        let verdicts = svc.bulk_check(cmds);
        let pass: Vec<Cmd> = verdicts
            .iter()
            .filter(|v| v.refused.is_none())
            .map(|v| v.cmd.clone())
            .collect();
        let n = pass.len();
        (n, svc.bulk_run(pass))
    });
    drop(svc);
    // The floor: as many bare single-row UPDATEs, each its own transaction.
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("pragma");
    let raw = (0..3)
        .map(|_| {
            let t = Instant::now();
            for id in &ids {
                conn.execute("UPDATE records SET version = version WHERE id = ?1", [id])
                    .expect("update");
            }
            t.elapsed()
        })
        .collect::<Vec<Duration>>();
    out.push(Line {
        work: format!(
            "bulk assign over 1,000 marked: dry run + {} committed ({} refused), one txn each",
            done.done.len(),
            1000 - checked + done.refused.len()
        ),
        budget: "≤ 1 s".into(),
        ours: ms(took),
        raw: format!("1,000 bare UPDATE txns {}", ms(pct(raw, 0.5))),
    });
}
