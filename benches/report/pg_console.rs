//! The console on PostgreSQL: start to its first frame (as the SQLite row
//! measures it: store opened, user resolved, the app's first requests
//! answered, one frame drawn), and a change committed in another session
//! reaching a console's screen (its data worker hears the commit through
//! its listener, re-reads, and the row shows the new version).

use super::pg_bare::{DB, DRIVER, OPEN};
use super::pg_rows::session;
use super::pg_server::Server;
use super::{Line, draw, now, p50_p99, pct, time};
use carequeue::app::App;
use carequeue::app::service::{Request, Service, pump};
use carequeue::app::worker::{Msg, Worker};
use carequeue::domain::Pipeline;
use carequeue::engine::FixedClock;
use carequeue::ops::{self, ChangeOpts};
use carequeue::store::{Board, Db};
use carequeue::ui;
use postgres::fallible_iterator::FallibleIterator;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn terminal(app: &mut App) -> Terminal<TestBackend> {
    ui::fit_app(app, ratatui::layout::Rect::new(0, 0, 120, 40));
    Terminal::new(TestBackend::new(120, 40)).expect("terminal")
}

/// Connect, act as `user`, answer the app's first requests, draw.
fn open_and_draw(p: &Arc<Pipeline>, url: &str, user: &str) {
    let (store, actor) = session(url, user);
    let clock = Arc::new(FixedClock(now()));
    let mut app = App::new(p.clone(), actor.user().clone(), now());
    let store: Box<dyn Board> = Box::new(store);
    let mut svc = Service::new(p.clone(), store, clock, actor, None);
    let mut term = terminal(&mut app);
    let reqs = app.start();
    pump(&mut app, &mut svc, reqs);
    draw(&app, &mut term);
}

/// As `pump` does (the same bound), timing each request by its kind.
fn pump_timed(app: &mut App, svc: &mut Service, reqs: Vec<Request>) -> Vec<(String, Duration)> {
    let mut spent: Vec<(String, Duration)> = Vec::new();
    let mut queue: VecDeque<Request> = reqs.into();
    let mut budget = 1000;
    while let Some(r) = queue.pop_front() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        let kind: String = format!("{r:?}")
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let (resp, d) = time(|| svc.handle(r));
        match spent.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, t)) => *t += d,
            None => spent.push((kind, d)),
        }
        queue.extend(app.on_response(resp));
    }
    spent
}

fn words(spent: &[(String, Duration)]) -> String {
    let mut v = spent.to_vec();
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    v.iter()
        .map(|(k, d)| format!("{k} {}", super::ms(*d)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One more start, each request timed; then what a re-read after someone
/// else's change asks for, timed the same way.
fn breakdown(p: &Arc<Pipeline>, url: &str, user: &str) -> (String, String) {
    let (store, actor) = session(url, user);
    let clock = Arc::new(FixedClock(now()));
    let mut app = App::new(p.clone(), actor.user().clone(), now());
    let store: Box<dyn Board> = Box::new(store);
    let mut svc = Service::new(p.clone(), store, clock, actor, None);
    let _term = terminal(&mut app);
    let reqs = app.start();
    let start = pump_timed(&mut app, &mut svc, reqs);
    let reqs = app.on_data_changed();
    let reread = pump_timed(&mut app, &mut svc, reqs);
    (words(&start), words(&reread))
}

/// The bare floor: connect, the read logged (as the console logs it at
/// start, in a statement of its own), the stage counts, the first 40 rows
/// by due (through the read view, as carequeue reads them).
fn bare_first(srv: &Server, login: &str) {
    let mut c = srv.connect(DRIVER, DB);
    c.batch_execute(&format!(
        "SET search_path = carequeue, pg_temp; SET ROLE \"{}\"",
        login.replace('"', "\"\"")
    ))
    .expect("SET ROLE");
    c.query_one(OPEN, &[]).expect("log_access('console-open')");
    let n = c
        .query(
            "SELECT stage, count(*) FROM carequeue.records GROUP BY stage",
            &[],
        )
        .expect("stage counts")
        .len();
    let m = c
        .query(
            "SELECT id, patient, stage, assignee, sort_due FROM carequeue.records_read ORDER BY sort_due, id LIMIT 40",
            &[],
        )
        .expect("first rows")
        .len();
    assert!(n + m > 0, "the bench database has records");
}

/// The start row and its requests; returns what a re-read after a change
/// costs, request by request, for the row after it.
pub fn first_frame(
    p: &Arc<Pipeline>,
    srv: &Server,
    url: &str,
    user: &str,
    out: &mut Vec<Line>,
) -> String {
    open_and_draw(p, url, user);
    let ours: Vec<Duration> = (0..10)
        .map(|_| time(|| open_and_draw(p, url, user)).1)
        .collect();
    let floor: Vec<Duration> = (0..10).map(|_| time(|| bare_first(srv, user)).1).collect();
    out.push(Line {
        work: "start to first frame (PostgreSQL, warm cache)".into(),
        budget: "≤ 300 ms".into(),
        ours: p50_p99(ours),
        raw: format!(
            "connect + stage counts + first 40 rows, bare: p50 {}",
            super::ms(pct(floor, 0.5))
        ),
    });
    let (start, reread) = breakdown(p, url, user);
    out.push(Line {
        work: "  its requests, one more start, each timed".into(),
        budget: "-".into(),
        ours: start,
        raw: "-".into(),
    });
    reread
}

fn handle(app: &mut App, worker: &Worker, msg: Msg) {
    match msg {
        Msg::Response(r) => worker.send(app.on_response(r)),
        Msg::Changed => worker.send(app.on_data_changed()),
        Msg::Link(lost) => app.link_lost = lost,
    }
}

/// Answers the worker's messages until it has been quiet for `quiet`.
fn settle(app: &mut App, worker: &Worker, quiet: Duration) {
    while let Ok(msg) = worker.rx.recv_timeout(quiet) {
        handle(app, worker, msg);
    }
}

const SAMPLES: usize = 20;

/// A console of `viewer` open on its default view; `writer` notes the
/// record at the top of that view from another session, `SAMPLES` times:
/// from the commit's return to the frame that shows the record's new
/// version. The floor: a bare session that LISTENs on the same channel,
/// from the commit to the notification and the page's SELECT re-run.
pub fn change_visible(
    p: &Arc<Pipeline>,
    srv: &Server,
    url: &str,
    viewer: &str,
    writer: &str,
    reread: &str,
    out: &mut Vec<Line>,
) {
    let (store, actor) = session(url, viewer);
    let clock = Arc::new(FixedClock(now()));
    let mut app = App::new(p.clone(), actor.user().clone(), now());
    let mut term = terminal(&mut app);
    let store: Box<dyn Board> = Box::new(store);
    let worker = Worker::spawn(Service::new(p.clone(), store, clock, actor, None));
    worker.send(app.start());
    settle(&mut app, &worker, Duration::from_millis(1500));
    let target = app
        .page
        .rows
        .first()
        .map(|r| r.id)
        .expect("the console's first page has rows");
    let (mut w, wactor) = session(url, writer);
    let note = |w: &mut carequeue::store::pg::PgStore| -> i64 {
        let v = w.record(target).expect("the record").version;
        let g = ChangeOpts {
            expect_version: Some(v),
            op_id: None,
        };
        let db: &mut dyn Db = w;
        ops::note(
            db,
            &wactor,
            target,
            "bench: seen in another console",
            g,
            now(),
        )
        .expect("the writer's note")
        .version
    };
    let (mut ours, mut missed) = (Vec::new(), 0);
    for i in 0..SAMPLES {
        // Off the worker's 50 ms beat, differently each time.
        std::thread::sleep(Duration::from_millis(120 + 17 * i as u64));
        let v = note(&mut w);
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match worker.rx.recv_timeout(left) {
                Ok(msg) => handle(&mut app, &worker, msg),
                Err(_) => {
                    missed += 1;
                    break;
                }
            }
            if app
                .page
                .rows
                .iter()
                .any(|r| r.id == target && r.version >= v)
            {
                draw(&app, &mut term);
                ours.push(t0.elapsed());
                break;
            }
        }
    }
    drop(worker);

    let mut listen = srv.connect(DRIVER, DB);
    listen
        .batch_execute(&format!(
            "SET ROLE \"{}\"; LISTEN carequeue_events",
            viewer.replace('"', "\"\"")
        ))
        .expect("LISTEN");
    let (sql, args) = carequeue::store::pg::query::select_sql(
        &{
            let mut f = app.list_filter();
            f.limit = Some(40);
            f
        },
        now().timestamp(),
    );
    listen
        .batch_execute("SET search_path = carequeue, pg_temp")
        .expect("search_path");
    listen
        .query_one(OPEN, &[])
        .expect("log_access('console-open')");
    let st = listen.prepare(&sql).expect("prepare the page's SELECT");
    let mut floor = Vec::new();
    for i in 0..SAMPLES {
        std::thread::sleep(Duration::from_millis(120 + 17 * i as u64));
        note(&mut w);
        let t0 = Instant::now();
        let heard = listen
            .notifications()
            .timeout_iter(Duration::from_secs(10))
            .next()
            .ok()
            .flatten();
        if heard.is_none() {
            continue;
        }
        let refs = carequeue::store::pg::query::refs(&args);
        if listen.query(&st, &refs).is_ok() {
            floor.push(t0.elapsed());
        }
    }
    out.push(Line {
        work: format!(
            "change visible in another console (PostgreSQL, {} notes; {missed} not seen in 10 s)",
            ours.len()
        ),
        budget: "p99 ≤ 1 s".into(),
        ours: p50_p99(ours),
        raw: format!(
            "bare LISTEN: notification + the page's SELECT: {}",
            p50_p99(floor)
        ),
    });
    out.push(Line {
        work: "  the re-read's requests, each timed (one run)".into(),
        budget: "-".into(),
        ours: reread.into(),
        raw: "-".into(),
    });
}
