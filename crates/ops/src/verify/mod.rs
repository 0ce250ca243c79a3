//! `verify`'s business rules, above the store and the same for both: the
//! stored pipelines are the ones their events logged, the team equals the
//! replay of its `user` events, every record equals the replay of its
//! events, each event was allowed to its actor under the pipeline then in
//! force, and the board's kept counts equal the records. The store checks
//! its own integrity and hash chains first ([`Verifiable::check_structure`]).

mod records;
mod team;
mod versions;

use carequeue_core::domain::Pipeline;
use carequeue_store::verify::{Checked, Verifiable, VerifyReport};

/// Every check, in one snapshot of `src`, stopping at the first problem.
pub fn verify(p: &Pipeline, src: &dyn Verifiable) -> Checked<VerifyReport> {
    let _snapshot = src.hold()?;
    let structure = match src.check_structure()? {
        Ok(s) => s,
        Err(problem) => return Ok(Err(problem)),
    };
    let versions = match versions::Versions::load(src)? {
        Ok(v) => v,
        Err(problem) => return Ok(Err(problem)),
    };
    let (roles, users) = match team::replay(src)? {
        Ok(r) => r,
        Err(problem) => return Ok(Err(problem)),
    };
    let records = match records::replay_all(p, &versions, &roles, src)? {
        Ok(n) => n,
        Err(problem) => return Ok(Err(problem)),
    };
    Ok(Ok(VerifyReport {
        events: structure.events,
        records,
        users,
        head: structure.head,
        access_events: structure.access_events,
        access_head: structure.access_head,
    }))
}

/// [`verify`] under the pipeline the store holds in force (the checker a
/// store is given when it verifies on its own: `migrate`, PostgreSQL).
pub fn verify_stored(src: &dyn Verifiable) -> Checked<VerifyReport> {
    let current = src.pipeline_versions()?.pop();
    let Some(p) = current.and_then(|v| carequeue_core::domain::check(&v.text).pipeline) else {
        return Ok(Err(carequeue_store::verify::Problem::Pipeline(
            "the database holds no pipeline that passes its checks".into(),
        )));
    };
    verify(&p, src)
}
