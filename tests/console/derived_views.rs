//! My Queue, Decisions and the first view, derived from the pipeline's
//! graph and the user's roles, on three clinics: the shipped pipeline, the
//! four-phase skin clinic (`alt_pipeline.toml`) and the seven-phase physio
//! referral clinic (`physio_referrals.toml`), each role in turn.

use crate::harness as console;

use carequeue::app::views::{self, ViewKind};
use carequeue::domain::{DEFAULT_PIPELINE, Pipeline};
use carequeue::engine::{Record, User};
use carequeue::store::Store;
use console::{Console, demo_db_on, now};
use std::path::Path;

/// What one role of a clinic gets.
pub struct Role {
    pub role: &'static str,
    pub first: ViewKind,
    pub queue: &'static [&'static str],
    pub decisions: &'static [&'static str],
}

pub struct Clinic {
    pub name: &'static str,
    pub text: String,
    pub roles: Vec<Role>,
}

fn fixture(file: &str) -> String {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("fixture")
}

const OPS: &[&str] = &[
    "form_submitted",
    "intake_review",
    "intake_complete",
    "needs_more_info",
    "denied",
    "first_fill_complete",
    "ongoing",
    "refill_due",
    "lapsed",
    "reengagement_attempted",
    "reactivated",
];

/// The three clinics and what each of their roles should get.
pub fn clinics() -> Vec<Clinic> {
    use ViewKind::{Breaches, Decisions, MyQueue};
    let r = |role, first, queue, decisions| Role {
        role,
        first,
        queue,
        decisions,
    };
    vec![
        Clinic {
            name: "shipped",
            text: DEFAULT_PIPELINE.to_string(),
            roles: vec![
                r("ops", MyQueue, OPS, &[]),
                // Pending Provider has one outcome (begin the review): work
                // to take, not a decision. My Queue holds both stages.
                r(
                    "provider",
                    MyQueue,
                    &["pending_provider", "in_review"],
                    &["in_review"],
                ),
                r(
                    "pharmacy",
                    MyQueue,
                    &["approved", "rx_sent", "pharmacy_received", "shipped"],
                    &[],
                ),
                // Form Submitted escalates to the supervisor after a breach.
                r("supervisor", Breaches, &["form_submitted"], &["in_review"]),
            ],
        },
        Clinic {
            name: "skin",
            text: fixture("alt_pipeline.toml"),
            roles: vec![
                r(
                    "coordinator",
                    MyQueue,
                    &[
                        "received",
                        "verified",
                        "declined",
                        "info_hold",
                        "maintained",
                        "renewal",
                    ],
                    &[],
                ),
                // Every stage of theirs is a decision point.
                r(
                    "clinician",
                    Decisions,
                    &["queued_consult"],
                    &["queued_consult"],
                ),
                r(
                    "dispenser",
                    MyQueue,
                    // Handed Over is theirs, but only the coordinator
                    // moves it on: no claim, so not their queue.
                    &["rx_written", "packed"],
                    &[],
                ),
                r("lead", Breaches, &[], &["queued_consult"]),
            ],
        },
        Clinic {
            name: "physio",
            text: fixture("physio_referrals.toml"),
            roles: vec![
                // The entry stage's owner: new referrals first, and the
                // chasing stage is no decision.
                r(
                    "triage_nurse",
                    MyQueue,
                    &["referral_in", "awaiting_reply", "home_programme"],
                    &[],
                ),
                r(
                    "scheduler",
                    MyQueue,
                    &["to_schedule", "discharge_letter"],
                    &[],
                ),
                r(
                    "physio",
                    MyQueue,
                    &[
                        "assessment_booked",
                        "initial_assessment",
                        "treatment_block",
                        "progress_review",
                    ],
                    &["initial_assessment", "progress_review"],
                ),
                // Late referrals are handed to the lead.
                r(
                    "clinical_lead",
                    Breaches,
                    &["referral_in"],
                    &["initial_assessment", "progress_review"],
                ),
            ],
        },
    ]
}

/// The first enabled user of the demo team holding `role` alone.
pub fn user_of(db: &Path, role: &str) -> User {
    let store = Store::open(db).expect("open");
    store
        .users()
        .expect("users")
        .into_iter()
        .find(|u| u.roles == [role])
        .unwrap_or_else(|| panic!("a demo user holds {role}"))
}

fn ids(p: &Pipeline, stages: &[carequeue::domain::StageIx]) -> Vec<String> {
    stages.iter().map(|s| p.stage(*s).id.clone()).collect()
}

fn view_of(c: &Console, kind: ViewKind) -> usize {
    c.app
        .views
        .iter()
        .position(|v| v.kind == kind)
        .expect("the view exists")
}

#[test]
fn decision_points_are_stages_whose_outcomes_differ_in_kind() {
    let decisions = |text: &str| {
        let p = carequeue::domain::check(text).pipeline.expect("checks");
        ids(&p, &views::decision_stages(&p))
    };
    // Approve (pharmacy) or deny / ask (ops): different roles.
    assert_eq!(decisions(DEFAULT_PIPELINE), ["in_review"]);
    assert_eq!(
        decisions(&fixture("seven_phases.toml")),
        ["in_review"],
        "the same graph in seven phases"
    );
    assert_eq!(decisions(&fixture("alt_pipeline.toml")), ["queued_consult"]);
    // Not awaiting_reply (a reminder to itself, a time-out to the desk),
    // not assessment_booked (one outcome); progress_review's continue
    // (the physio's) and discharge (the end) differ in kind.
    assert_eq!(
        decisions(&fixture("physio_referrals.toml")),
        ["initial_assessment", "progress_review"]
    );
    // Two ends of different dispositions differ too; two of the same do not.
    let text = fixture("physio_referrals.toml").replace(
        "to = \"discharged\"\nroles = [\"physio\"]",
        "to = \"withdrawn\"\nroles = [\"physio\"]",
    );
    let p = carequeue::domain::check(&text).pipeline.expect("checks");
    let review = p.stage_ix("progress_review").expect("stage");
    assert!(views::is_decision(&p, review), "continue or withdrawn");
    let text = text.replace(
        "from = [\"progress_review\"]\nto = \"treatment_block\"",
        "from = [\"progress_review\"]\nto = \"referred_on\"",
    );
    let p = carequeue::domain::check(&text).pipeline.expect("checks");
    let review = p.stage_ix("progress_review").expect("stage");
    let accept = p.stage_ix("initial_assessment").expect("stage");
    assert!(!views::is_decision(&p, review), "two `closed` ends");
    assert!(views::is_decision(&p, accept), "the edit left the rest");
}

#[test]
fn each_role_opens_on_its_work_with_its_own_queue_and_decisions() {
    for clinic in clinics() {
        let (_d, db, p) = demo_db_on(&clinic.text, 60);
        for r in &clinic.roles {
            let u = user_of(&db, r.role);
            let c = Console::open_on(&db, p.clone(), &u.name, 120, 36);
            let at = format!("{} / {}", clinic.name, r.role);
            assert_eq!(c.app.current().kind, r.first, "{at}: first view");
            let queue = &c.app.views[view_of(&c, ViewKind::MyQueue)];
            assert_eq!(ids(&p, &queue.stages), r.queue, "{at}: My Queue");
            // An empty queue says why; one of a role that owns no stage, too.
            let says = r.queue.is_empty() || views::owned_stages(&p, &u).is_empty();
            assert_eq!(queue.empty.is_some(), says, "{at}: says why");
            let dec = &c.app.views[view_of(&c, ViewKind::Decisions)];
            assert_eq!(ids(&p, &dec.stages), r.decisions, "{at}: Decisions");
            assert_eq!(dec.empty.is_some(), r.decisions.is_empty(), "{at}");
            // The first view holds every stage the user's roles own.
            for s in views::owned_stages(&p, &u) {
                assert!(
                    c.app.current().stages.contains(&s) || r.first == ViewKind::Breaches,
                    "{at}: {} not in the first view",
                    p.stage(s).id
                );
            }
        }
    }
}

/// Every record of the user's My Queue (all pages), as the store reads it.
fn my_queue(c: &mut Console, db: &Path) -> Vec<Record> {
    let i = view_of(c, ViewKind::MyQueue);
    c.press(char::from_digit(i as u32 + 1, 10).expect("digit"));
    assert_eq!(c.app.current().kind, ViewKind::MyQueue);
    let store = Store::open(db).expect("open");
    store
        .list(&c.app.list_filter(), now().timestamp())
        .expect("list")
}

#[test]
fn every_row_of_my_queue_is_owned_by_the_users_role_and_claimable() {
    for clinic in clinics() {
        let (_d, db, p) = demo_db_on(&clinic.text, 160);
        let all = Store::open(&db)
            .expect("open")
            .list(&Default::default(), now().timestamp())
            .expect("list");
        for r in &clinic.roles {
            let u = user_of(&db, r.role);
            let mut c = Console::open_on(&db, p.clone(), &u.name, 120, 36);
            let rows = my_queue(&mut c, &db);
            let at = format!("{} / {}", clinic.name, r.role);
            // The premise: a role that owns stages has work in them.
            if !views::owned_stages(&p, &u).is_empty() {
                assert!(!rows.is_empty(), "{at}: an empty queue proves nothing");
            }
            for row in &rows {
                let owner = carequeue::ops::owner_role(&p, row).unwrap_or_default();
                assert!(u.has_role(owner), "{at}: #{} is {owner}'s", row.id);
                if row.assignee.is_none() {
                    let claim = carequeue::ops::decide_assign(&p, row, &u, &u);
                    assert!(claim.is_ok(), "{at}: claim #{}: {claim:?}", row.id);
                } else {
                    assert_eq!(row.assignee.as_deref(), Some(u.name.as_str()));
                }
            }
            // What the queue leaves out of the unassigned records is
            // another role's (handed away by an escalation, or only notified
            // to this role), or one the engine would not let the user claim.
            let mine: Vec<i64> = rows.iter().map(|r| r.id).collect();
            for rec in all
                .iter()
                .filter(|x| !mine.contains(&x.id) && x.assignee.is_none())
            {
                let owner = carequeue::ops::owner_role(&p, rec).unwrap_or_default();
                let claim = carequeue::ops::decide_assign(&p, rec, &u, &u);
                assert!(
                    !u.has_role(owner) || claim.is_err(),
                    "{at}: #{} ({}) left out",
                    rec.id,
                    rec.stage
                );
            }
            // `c` in the console claims the first unassigned row.
            let Some(first) = rows.iter().find(|r| r.assignee.is_none()) else {
                continue;
            };
            c.select(first.id);
            c.press('c');
            let now_held = Store::open(&db).expect("open").record(first.id);
            assert_eq!(
                now_held.expect("record").assignee.as_deref(),
                Some(u.name.as_str()),
                "{at}: `c` on #{}: {:?}",
                first.id,
                c.app.status
            );
        }
    }
}

/// The records that made the old queue wrong exist in the demo, and stay
/// out of the queue of a role that may not claim them.
#[test]
fn notified_and_handed_away_records_stay_with_their_owner() {
    let clinic = clinics().pop().expect("physio");
    let (_d, db, p) = demo_db_on(&clinic.text, 160);
    // A day on, late referrals have been handed to the lead.
    let later = now() + chrono::Duration::days(1);
    let mut store = Store::open(&db).expect("open");
    carequeue::ops::sweep(&p, &mut store, later).expect("sweep");
    let all = store
        .list(&Default::default(), later.timestamp())
        .expect("list");
    let notified: Vec<i64> = all
        .iter()
        .filter(|r| r.notify_role.as_deref() == Some("scheduler"))
        .map(|r| r.id)
        .collect();
    let handed: Vec<i64> = all
        .iter()
        .filter(|r| r.stage == "referral_in" && r.owner_role.as_deref() == Some("clinical_lead"))
        .map(|r| r.id)
        .collect();
    assert!(!notified.is_empty(), "an escalation notified the desk");
    assert!(!handed.is_empty(), "an escalation handed a referral on");
    let queue = |role: &str| {
        let u = user_of(&db, role);
        let mut c = Console::open_on(&db, p.clone(), &u.name, 120, 36);
        my_queue(&mut c, &db)
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    let desk = queue("scheduler");
    assert!(notified.iter().all(|id| !desk.contains(id)), "{desk:?}");
    let nurse = queue("triage_nurse");
    assert!(handed.iter().all(|id| !nurse.contains(id)), "{nurse:?}");
    let lead = queue("clinical_lead");
    assert!(handed.iter().all(|id| lead.contains(id)), "{lead:?}");
    let u = user_of(&db, "clinical_lead");
    for rec in all.iter().filter(|r| handed.contains(&r.id)) {
        let claim = carequeue::ops::decide_assign(&p, rec, &u, &u);
        assert!(claim.is_ok() || rec.assignee.is_some(), "{claim:?}");
    }
}

/// A `role:` term in My Queue narrows to the user's own roles, never wider.
#[test]
fn a_role_term_never_widens_my_queue() {
    let (_d, db, p) = demo_db_on(DEFAULT_PIPELINE, 60);
    let u = user_of(&db, "ops");
    let mut c = Console::open_on(&db, p, &u.name, 120, 36);
    let before = my_queue(&mut c, &db).len();
    assert!(before > 0);
    c.app.filter = "role:provider".into();
    assert!(my_queue(&mut c, &db).is_empty(), "the provider's records");
    c.app.filter = "role:ops".into();
    assert_eq!(my_queue(&mut c, &db).len(), before);
}
