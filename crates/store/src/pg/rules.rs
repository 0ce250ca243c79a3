//! The rules of a pipeline as the server's write functions judge changes
//! by them (the `rules` table, one document per stored pipeline version):
//! which stage is the entry, each stage's owner, sub-statuses, breach
//! reasons, escalation levels and timers, each transition's stages, roles,
//! guards, reasons, counter and set fields, and each role's flags. Keyed
//! by id, so a function looks an item up rather than scanning a list.
//!
//! The document is made here, from the pipeline carequeue parsed, by the
//! admin who stores it (or the owner who upgrades a database to step 2):
//! the server cannot parse a pipeline file itself, and an admin is trusted
//! with the pipeline anyway. `verify` judges every event by the pipeline's
//! text, so rules that differ from it are found there.

use carequeue_core::domain::{Pipeline, SetValue};
use serde_json::{Map, Value, json};

/// The rules document of `p`.
pub fn document(p: &Pipeline) -> Value {
    let role = |r: carequeue_core::domain::RoleIx| Value::from(p.role(r).id.clone());
    let roles: Map<String, Value> = p
        .roles
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                json!({"supervises": r.supervises, "admin": r.admin}),
            )
        })
        .collect();
    let fields: Map<String, Value> = p
        .fields
        .iter()
        .map(|f| (f.id.clone(), json!({"required": f.required})))
        .collect();
    let stages: Map<String, Value> = p
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let subs: Map<String, Value> = s
                .substatuses
                .iter()
                .map(|x| (x.id.clone(), json!({"pauses": x.pauses})))
                .collect();
            let levels: Vec<Value> = s
                .escalations
                .iter()
                .map(|e| {
                    json!({
                        "notify": e.notify.map(role),
                        "reassign": e.reassign.map(role),
                        "priority": e.priority.map(|x| x.rank()),
                    })
                })
                .collect();
            let timers: Vec<Value> = p
                .timers
                .iter()
                .filter(|t| t.stage.0 == i)
                .map(|t| Value::from(p.transition(t.transition).event.clone()))
                .collect();
            (
                s.id.clone(),
                json!({
                    "owner": s.owner.map(role),
                    "terminal": s.terminal,
                    "initial": s.initial_substatus,
                    "subs": subs,
                    "breach": s.breach_reasons,
                    "levels": levels,
                    "timers": timers,
                    "max": s.sla.as_ref().map(|x| x.max.0),
                    "warn": s.sla.as_ref().map_or(Vec::new(), |x| x.warnings.iter().map(|t| t.after.0).collect()),
                    "repeat": s.sla.as_ref().and_then(|x| x.repeat).map(|r| r.0),
                }),
            )
        })
        .collect();
    let transitions: Map<String, Value> = p
        .transitions
        .iter()
        .map(|t| {
            let sets: Map<String, Value> = t
                .sets
                .iter()
                .map(|(f, v)| {
                    let v = match v {
                        SetValue::Today => Value::Null,
                        SetValue::Literal(s) => Value::from(s.clone()),
                    };
                    (p.field(*f).id.clone(), v)
                })
                .collect();
            (
                t.event.clone(),
                json!({
                    "from": t.from.iter().map(|s| p.stage(*s).id.clone()).collect::<Vec<_>>(),
                    "to": p.stage(t.to).id,
                    "roles": t.roles.iter().map(|r| p.role(*r).id.clone()).collect::<Vec<_>>(),
                    "reason": t.guards.reason,
                    "note": t.guards.note,
                    "no_sub": t.guards.no_substatus,
                    "assignee": t.guards.assignee,
                    "reasons": t.reasons,
                    "counter": t.counter.map(|(f, _)| p.field(f).id.clone()),
                    "max": t.counter.map(|(_, m)| m),
                    "sets": sets,
                }),
            )
        })
        .collect();
    json!({
        "entry": p.stage(p.entry).id,
        "roles": roles,
        "fields": fields,
        "stages": stages,
        "transitions": transitions,
    })
}

/// The rules document of a stored pipeline's text; an error names the
/// version whose text does not parse.
pub fn of_text(version: i64, text: &str) -> crate::Result<Value> {
    carequeue_core::domain::check(text)
        .pipeline
        .map(|p| document(&p))
        .ok_or_else(|| {
            crate::StoreError::Broken(format!(
                "stored pipeline version {version} does not parse: its rules cannot be laid down"
            ))
        })
}

/// Lays down the rules of every stored pipeline version that has none (the
/// owner's: after `migrate` copies pipelines, or when step 2 upgrades a
/// database), and dates each chain at its latest entry.
pub fn fill(tx: &mut postgres::Transaction) -> crate::Result<()> {
    let rows = tx.query(
        "SELECT p.version, p.text FROM carequeue.pipelines p
         WHERE NOT EXISTS (SELECT 1 FROM carequeue.rules r WHERE r.version = p.version)
         ORDER BY p.version",
        &[],
    )?;
    for row in &rows {
        let (version, text): (i32, String) = (super::col(row, 0)?, super::col(row, 1)?);
        let doc = of_text(i64::from(version), &text)?.to_string();
        tx.execute(
            "SELECT carequeue.set_rules($1, $2::text::jsonb)",
            &[&version, &doc],
        )?;
    }
    tx.batch_execute(
        "UPDATE carequeue.chains SET at = coalesce((SELECT max(at) FROM carequeue.events), 0)
             WHERE name = 'events';
         UPDATE carequeue.chains SET at = coalesce((SELECT max(at) FROM carequeue.access_log), 0)
             WHERE name = 'access';",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_pipeline_gives_every_stage_and_event_its_rules() {
        let p = carequeue_core::domain::check(carequeue_core::domain::DEFAULT_PIPELINE)
            .pipeline
            .expect("the shipped pipeline parses");
        let doc = document(&p);
        assert_eq!(doc["entry"], Value::from(p.stage(p.entry).id.clone()));
        for s in &p.stages {
            assert!(doc["stages"][&s.id].is_object(), "stage {}", s.id);
        }
        for t in &p.transitions {
            let rule = &doc["transitions"][&t.event];
            assert_eq!(rule["to"], Value::from(p.stage(t.to).id.clone()));
            assert_eq!(
                rule["from"].as_array().map(Vec::len),
                Some(t.from.len()),
                "event {}",
                t.event
            );
        }
        let supervisors: Vec<&String> = p
            .roles
            .iter()
            .filter(|r| r.supervises)
            .map(|r| &r.id)
            .collect();
        assert!(!supervisors.is_empty());
        for r in supervisors {
            assert_eq!(doc["roles"][r]["supervises"], Value::Bool(true));
        }
    }
}
