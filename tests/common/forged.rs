//! Events forged by hand, one of each kind, each breaking one rule, and
//! what `verify` says of it: the same table for SQLite (appended with
//! carequeue's chain code) and PostgreSQL (sealed by the schema's owner,
//! who may call the server's internal functions).
//!
//! The clinic they are forged into: ann (ops), pat and lee (providers);
//! record 1 just created by ann, record 2 at `in_review` held by pat.

use super::ADMIN;
use carequeue::log::EventKind;
use carequeue::store::events::NewEvent;

/// An event about record `record` by `actor`.
pub fn by(actor: &'static str, kind: EventKind, record: i64) -> NewEvent<'static> {
    NewEvent {
        record_id: Some(record),
        actor,
        ..NewEvent::blank(kind)
    }
}

/// Each kind, forged so that it breaks one rule, and what verify says.
pub fn forgeries() -> Vec<(&'static str, NewEvent<'static>, &'static str)> {
    use EventKind::*;
    vec![
        (
            "a second create",
            NewEvent {
                to: Some("form_submitted"),
                ..by("ann", Create, 2)
            },
            "a second create for one record",
        ),
        (
            "a create in a later stage",
            NewEvent {
                record_id: Some(3),
                to: Some("approved"),
                data: Some(r#"{"patient":"Someone Else","fields":{}}"#),
                ..by("ann", Create, 3)
            },
            "a create in `approved` by `ann`: records start at",
        ),
        (
            "a provider's decision by ops",
            NewEvent {
                event: Some("approve"),
                from: Some("in_review"),
                to: Some("approved"),
                ..by("ann", Transition, 2)
            },
            "`ann` (roles: ops) may not fire `approve`",
        ),
        (
            "an override by ops",
            NewEvent {
                event: Some("approve"),
                from: Some("in_review"),
                to: Some("approved"),
                note: Some("override: because"),
                ..by("ann", Override, 2)
            },
            "an override by `ann`, who holds no supervising role",
        ),
        (
            "a timer before it was due",
            NewEvent {
                event: Some("give_up"),
                ..by("system", Timer, 2)
            },
            "a timer that was not yet due then",
        ),
        (
            "an escalation before it was due",
            NewEvent {
                data: Some(r#"{"level":1}"#),
                ..by("system", Escalation, 2)
            },
            "escalation level 1, which was not due then",
        ),
        (
            "an early warning the stage does not give",
            NewEvent {
                event: Some("50%"),
                data: Some(r#"{"threshold":"50%","after":3600}"#),
                ..by("system", SlaWarning, 2)
            },
            "warning `50%`, which was not due then",
        ),
        (
            "a claim of a record a colleague holds",
            NewEvent {
                from: Some("pat"),
                to: Some("lee"),
                ..by("lee", Claim, 2)
            },
            "it is held by `pat`; taking a record someone holds needs a supervising role",
        ),
        (
            "a claim for someone else",
            NewEvent {
                to: Some("pat"),
                ..by("ann", Claim, 1)
            },
            "a claim by `ann` for `pat`",
        ),
        (
            "an assignment to someone outside the owning role",
            NewEvent {
                to: Some("pat"),
                ..by("ann", Assign, 1)
            },
            "`pat` does not hold the owning role `ops`",
        ),
        (
            "a release of a colleague's record",
            NewEvent {
                from: Some("pat"),
                ..by("ann", Release, 2)
            },
            "it is assigned to `pat`; only they or a supervisor may release it",
        ),
        (
            "a sub-status the stage has not",
            NewEvent {
                to: Some("on_the_moon"),
                ..by("pat", Substatus, 2)
            },
            "`on_the_moon` is not a sub-status of this stage",
        ),
        (
            "an empty note",
            NewEvent {
                note: Some("   "),
                ..by("ann", Note, 1)
            },
            "an empty note",
        ),
        (
            "an ack with no breach",
            NewEvent {
                reason: Some("staffing"),
                ..by("ann", Ack, 1)
            },
            "the SLA is not breached",
        ),
        (
            "a snapshot outside adopt",
            by("ann", Snapshot, 1),
            "a snapshot, which only `pipeline adopt` writes",
        ),
        (
            "a rename outside pipeline apply",
            NewEvent {
                from: Some("form_submitted"),
                to: Some("approved"),
                ..by("ann", Rename, 1)
            },
            "a rename that no `pipeline apply` follows",
        ),
        (
            "a user event about a record",
            NewEvent {
                to: Some("ann"),
                ..by("ann", User, 1)
            },
            "a `user` event about a record",
        ),
        (
            "a pipeline event about a record",
            by(ADMIN, Pipeline, 1),
            "a `pipeline` event about a record",
        ),
        (
            "a note by the system",
            NewEvent {
                note: Some("hello"),
                ..by("system", Note, 1)
            },
            "by the system actor, which only fires timers, escalations and warnings",
        ),
        (
            "a note by someone who is no user",
            NewEvent {
                note: Some("hello"),
                ..by("mallory", Note, 1)
            },
            "by `mallory`, who was not a user then",
        ),
    ]
}
