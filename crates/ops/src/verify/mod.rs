//! `verify`'s business rules, above the store and the same for both: the
//! stored pipelines are the ones their events logged, the team equals the
//! replay of its `user` events, every record equals the replay of its
//! events, and every event is one carequeue would have written: each kind
//! is checked against the pipeline then in force and its actor's roles
//! then, by the same decisions the operations make (a claim of a record
//! someone holds needs a supervisor, a timer fires only once due, a create
//! starts at the entry stage, …), and times run forward. The store checks
//! its own integrity and hash chains first
//! ([`Verifiable::check_structure`]). Every problem is reported (the first
//! hundred, then a count); one bad event does not hide what follows.

mod events;
mod records;
mod team;
mod versions;

use carequeue_core::domain::Pipeline;
use carequeue_core::engine::{Clock, SystemClock};
use carequeue_store::Result;
use carequeue_store::verify::{Problem, Problems, Verdict, Verifiable, VerifyReport};

/// Every check, in one snapshot of `src`, every problem found.
pub fn verify(p: &Pipeline, src: &dyn Verifiable) -> Result<Verdict> {
    let _snapshot = src.hold()?;
    // Entries dated after the verify's own real clock are in the future,
    // whatever `--now` a command runs at.
    let now = SystemClock.now().timestamp();
    let mut found = Problems::default();
    let Some(structure) = src.check_structure(now, &mut found)? else {
        return Ok(Verdict {
            report: empty_report(),
            problems: found,
        });
    };
    let versions = versions::Versions::load(src, &mut found)?;
    let (roles, users) = team::replay(src, &versions, p, &mut found)?;
    let trust = src.trust_mode()?;
    let ctx = records::Context {
        p,
        versions: &versions,
        roles: &roles,
        early: &structure.early,
        trust,
    };
    let records = records::replay_all(&ctx, src, &mut found)?;
    Ok(Verdict {
        report: VerifyReport {
            events: structure.events,
            records,
            users,
            head: structure.head,
            access_events: structure.access_events,
            access_head: structure.access_head,
        },
        problems: found,
    })
}

/// [`verify`] under the pipeline the store holds in force (the checker a
/// store is given when it verifies on its own: `migrate`, PostgreSQL).
pub fn verify_stored(src: &dyn Verifiable) -> Result<Verdict> {
    let current = src.pipeline_versions()?.pop();
    let Some(p) = current.and_then(|v| carequeue_core::domain::check(&v.text).pipeline) else {
        let mut problems = Problems::default();
        problems.push(Problem::Pipeline(
            "the database holds no pipeline that passes its checks".into(),
        ));
        return Ok(Verdict {
            report: empty_report(),
            problems,
        });
    };
    verify(&p, src)
}

fn empty_report() -> VerifyReport {
    VerifyReport {
        events: 0,
        records: 0,
        users: 0,
        head: String::new(),
        access_events: 0,
        access_head: String::new(),
    }
}
