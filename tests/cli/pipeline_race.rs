//! A write racing `pipeline apply` runs under one set of rules or the
//! other, never a mix: a write decided under the old pipeline is refused
//! inside its own transaction once another is applied, and an open
//! console reloads the new pipeline and says so.

use crate::common::{Cq, default_pipeline};
use carequeue::app::App;
use carequeue::app::service::{Request, Response, Service, pump};
use carequeue::domain::{Pipeline, check};
use carequeue::engine::FixedClock;
use carequeue::ops::{self, ChangeOpts};
use carequeue::store::{Store, sqlite::setup};
use chrono::{DateTime, Utc};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

const T0: &str = "2026-03-02T14:00:00Z";
const T1: &str = "2026-03-02T15:00:00Z";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

/// The default pipeline where only a supervisor may start an intake review.
fn supervisors_start_reviews(cq: &Cq) -> String {
    let text = std::fs::read_to_string(default_pipeline())
        .expect("pipeline")
        .replace(
            "to = \"intake_review\"\nroles = [\"ops\"]",
            "to = \"intake_review\"\nroles = [\"supervisor\"]",
        );
    let path = cq.dir.path().join("v2.toml");
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

/// The database's handle as a command holds it: bound to the stored pipeline.
fn bound(cq: &Cq) -> (Store, Pipeline) {
    let mut store = Store::open(&cq.db).expect("open");
    let stored = setup::current_pipeline(store.conn())
        .expect("read")
        .expect("stored pipeline");
    store.expect_pipeline(Some(stored.hash.clone()));
    let p = check(&stored.text).pipeline.expect("valid");
    (store, p)
}

#[test]
fn a_write_decided_under_the_old_pipeline_is_refused_once_another_is_applied() {
    let cq = Cq::init_default(T0);
    cq.ok("nobody", T0, &["user", "add", "ann", "--role", "ops"]);
    let id = cq.add("ann", T0, "Pat Doe", &[]);
    let (mut store, old) = bound(&cq);
    let ann = ops::actor(&store, "ann").expect("ann");

    let file = supervisors_start_reviews(&cq);
    cq.ok("nobody", T1, &["pipeline", "apply", &file]);

    // Under the old rules ann may start the review; the store refuses to
    // mix them with the new ones.
    let err = ops::move_record(
        &old,
        &mut store,
        &ann,
        id,
        "start_review",
        &Default::default(),
        ChangeOpts::default(),
        at(T1),
    )
    .expect_err("decided under the old pipeline");
    assert!(err.to_string().contains("the pipeline changed"), "{err}");
    let r = store.record(id).expect("record");
    assert_eq!((r.stage.as_str(), r.version), ("form_submitted", 1));

    // A handle bound to the new pipeline applies the new rules.
    let (mut store, new) = bound(&cq);
    let err = ops::move_record(
        &new,
        &mut store,
        &ann,
        id,
        "start_review",
        &Default::default(),
        ChangeOpts::default(),
        at(T1),
    )
    .expect_err("ops may no longer start reviews");
    assert!(!err.to_string().contains("pipeline changed"), "{err}");
    assert!(cq.ok("nobody", T1, &["verify"]).starts_with("ok:"));
}

/// Moves the writer lands under the old pipeline before the apply may
/// start: the race begins with writes already made under the old rules.
const BEFORE_APPLY: usize = 3;

/// How a racing `move` ended.
#[derive(Debug, PartialEq)]
enum Outcome {
    Moved,
    /// Decided under the old pipeline, refused inside its own transaction
    /// because the apply had committed meanwhile.
    Stale,
    /// Started after the apply: its `--pipeline` file is no longer the
    /// database's, so the command refuses to write.
    NotTheDatabases,
}

/// When something ran: from its start to its end.
type Ran = (Instant, Instant);

#[test]
fn writes_racing_an_apply_each_run_under_one_pipeline_and_verify_agrees() {
    let cq = Cq::init_default(T0);
    cq.ok("nobody", T0, &["user", "add", "ann", "--role", "ops"]);
    let ids: Vec<i64> = (0..30)
        .map(|i| cq.add("ann", T0, &format!("Patient {i}"), &[]))
        .collect();
    let file = supervisors_start_reviews(&cq);
    // The writer moves the records one after another; once BEFORE_APPLY
    // moves have landed it says so and waits for the apply to start, then
    // goes on while the apply runs (no sleep decides the interleaving).
    let (landed_tx, landed_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (outcomes, apply): (Vec<(i64, Outcome, Ran)>, Ran) = std::thread::scope(|s| {
        let (cq, ids) = (&cq, &ids);
        let writer = s.spawn(move || {
            let mut outcomes = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                let started = Instant::now();
                let out = cq.run("ann", T1, &["move", &id.to_string(), "start_review"]);
                let ran = (started, Instant::now());
                let err = String::from_utf8_lossy(&out.stderr);
                let outcome = match out.status.code() {
                    Some(0) => Outcome::Moved,
                    Some(1) if err.contains("the pipeline changed while you worked") => {
                        Outcome::Stale
                    }
                    Some(1) if err.contains("is not the database's pipeline") => {
                        Outcome::NotTheDatabases
                    }
                    other => panic!("exit {other:?}: {err}"),
                };
                outcomes.push((*id, outcome, ran));
                if i + 1 == BEFORE_APPLY {
                    landed_tx.send(()).expect("the test waits");
                    // Err: the test is gone (it failed); go on regardless.
                    let _ = go_rx.recv();
                }
            }
            outcomes
        });
        landed_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the writer's first moves");
        go_tx.send(()).expect("the writer waits");
        let started = Instant::now();
        cq.ok("nobody", T1, &["pipeline", "apply", &file]);
        let apply = (started, Instant::now());
        (writer.join().expect("writer"), apply)
    });
    let count = |want: Outcome| outcomes.iter().filter(|(_, o, _)| *o == want).count();
    let moved = count(Outcome::Moved);
    let in_review = ids
        .iter()
        .filter(|id| {
            Store::open(&cq.db)
                .expect("open")
                .record(**id)
                .expect("record")
                .stage
                == "intake_review"
        })
        .count();
    assert_eq!(
        in_review, moved,
        "every success landed, every refusal left nothing"
    );

    // The race happened: moves ran while the apply ran, and the apply
    // committed between the writer's moves, so some moves landed before it
    // (each of their events is logged before the apply's) and every move
    // after it was refused (never a success after a refusal: each write
    // ran under one pipeline).
    let refused = outcomes.len() - moved;
    // The writer's moves in order, for the messages below.
    let seq: Vec<(i64, &Outcome)> = outcomes.iter().map(|(id, o, _)| (*id, o)).collect();
    eprintln!(
        "pipeline race: {moved} moved before the apply, {refused} refused after it ({} decided \
         under the old pipeline and refused in their own transaction)",
        count(Outcome::Stale)
    );
    let during = outcomes
        .iter()
        .filter(|(_, _, (from, to))| *from < apply.1 && apply.0 < *to)
        .count();
    assert!(during > 0, "no move ran while the apply ran: {seq:?}");
    assert!(
        moved >= BEFORE_APPLY,
        "the first {BEFORE_APPLY} moves landed before the apply: {seq:?}"
    );
    assert!(
        refused > 0,
        "no move was refused: the apply did not commit while the writer was at work, \
         so nothing raced it: {seq:?}"
    );
    assert!(
        outcomes[..moved]
            .iter()
            .all(|(_, o, _)| *o == Outcome::Moved),
        "a move landed after one was refused: {seq:?}"
    );
    let store = Store::open(&cq.db).expect("open");
    let applied = setup::current_pipeline(store.conn())
        .expect("read")
        .expect("stored pipeline");
    assert_eq!(applied.version, 2, "the apply committed");
    for (id, _, _) in &outcomes[..moved] {
        let logged: i64 = store
            .conn()
            .query_row(
                "SELECT id FROM events WHERE record_id = ?1 AND event = 'start_review'",
                [id],
                |r| r.get(0),
            )
            .expect("the move's event");
        assert!(
            logged < applied.event_id,
            "record {id}'s move (event {logged}) was logged before the apply (event {})",
            applied.event_id
        );
    }
    drop(store);
    // verify re-checks each transition under the pipeline in force when it
    // was logged: a start_review by ann after the apply would be named.
    let v = cq.ok("nobody", T1, &["verify"]);
    assert!(v.starts_with("ok:"), "{v}");
}

#[test]
fn an_open_console_reloads_a_newly_applied_pipeline_and_says_so() {
    let cq = Cq::init_default(T0);
    cq.ok("nobody", T0, &["user", "add", "ann", "--role", "ops"]);
    cq.add("ann", T0, "Pat Doe", &[]);
    let (store, p) = bound(&cq);
    let p = Arc::new(p);
    let ann = ops::actor(&store, "ann").expect("ann");
    let mut app = App::new(p.clone(), ann.user().clone(), at(T1));
    let mut svc = Service::new(p, store, Arc::new(FixedClock(at(T1))), ann, None);
    let reqs = app.start();
    pump(&mut app, &mut svc, reqs);
    let start = app.pipeline.transition_ix("start_review").expect("event");
    assert!(app.pipeline.transition(start).roles.len() == 1);

    let file = supervisors_start_reviews(&cq);
    cq.ok("nobody", T1, &["pipeline", "apply", &file]);
    let r = svc.handle(Request::Counts);
    let Response::PipelineChanged { version, .. } = &r else {
        panic!("expected the reload, got {r:?}");
    };
    assert_eq!(*version, 2);
    let more = app.on_response(r);
    pump(&mut app, &mut svc, more);
    let status = app.status.as_ref().expect("status").text.clone();
    assert!(
        status.contains("pipeline version 2 was applied"),
        "{status}"
    );
    let t = app.pipeline.transition(start);
    assert_eq!(app.pipeline.role(t.roles[0]).id, "supervisor");
    assert!(matches!(svc.handle(Request::Counts), Response::Counts(_)));
}
