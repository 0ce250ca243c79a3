//! Tasks read back (`import --format fhir`): each Task of an NDJSON file
//! (Provenance lines are passed over) becomes a row of the CSV import's
//! columns (`id`, `patient`, `stage`, `substatus`, `owner`, `entered_at`,
//! the fields), so a FHIR import is checked and written exactly as a CSV
//! one is: all or nothing, by an admin, migration columns by a supervising
//! role. A Task whose record id is already in the database is passed over
//! (an import of the same file twice adds nothing); a fault names its line
//! and element, never a value.

use super::{ENTERED_AT, FIELD_SYSTEM, RECORD_SYSTEM, STAGE_SYSTEM, SUBSTATUS_SYSTEM, USER_SYSTEM};
use crate::formula;
use carequeue_core::domain::Pipeline;
use serde_json::Value;

/// The Tasks of a file as the CSV import's input.
#[derive(Debug, Default)]
pub struct ReadTasks {
    /// CSV text: a header, then one row per Task to import.
    pub csv: Vec<u8>,
    /// The NDJSON line of each CSV row (row 2 is `lines[0]`).
    pub lines: Vec<usize>,
    /// Tasks whose record is already in the database.
    pub present: usize,
    /// Faults: (line, element, what).
    pub faults: Vec<(usize, String, String)>,
}

/// The Task element a CSV import column came from.
pub fn element_of(column: &str) -> String {
    match column {
        "id" => "Task.identifier".into(),
        "patient" => "Task.for.display".into(),
        "stage" => "Task.businessStatus".into(),
        "substatus" => "Task.statusReason".into(),
        "owner" => "Task.owner".into(),
        "entered_at" => format!("Task.extension({ENTERED_AT})"),
        field => format!("Task.input({field})"),
    }
}

/// The code in `system` among a CodeableConcept's codings.
fn code<'a>(concept: &'a Value, system: &str) -> Option<&'a str> {
    concept["coding"]
        .as_array()?
        .iter()
        .find(|c| c["system"] == system)?["code"]
        .as_str()
}

/// Reads `text` (NDJSON) under pipeline `p`; `exists` says whether a
/// record id is already in the database.
pub fn read_tasks(p: &Pipeline, text: &str, exists: &mut dyn FnMut(i64) -> bool) -> ReadTasks {
    let mut out = ReadTasks::default();
    let mut header = vec!["id", "patient", "stage", "substatus", "owner", "entered_at"];
    header.extend(p.fields.iter().map(|f| f.id.as_str()));
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&header);
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut fault = |element: &str, what: &str| {
            out.faults.push((n, element.to_string(), what.to_string()));
        };
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            fault("(line)", "not a JSON object");
            continue;
        };
        match v["resourceType"].as_str() {
            Some("Task") => {}
            Some("Provenance") => continue,
            _ => {
                fault("resourceType", "is not Task or Provenance");
                continue;
            }
        }
        let id = v["identifier"].as_array().and_then(|ids| {
            ids.iter()
                .find(|x| x["system"] == RECORD_SYSTEM)
                .and_then(|x| x["value"].as_str())
        });
        let Some(id) = id else {
            fault(
                "Task.identifier",
                &format!("no identifier in {RECORD_SYSTEM} (the record id)"),
            );
            continue;
        };
        let Ok(id) = id.trim().parse::<i64>() else {
            fault("Task.identifier", "is not a record id (a whole number)");
            continue;
        };
        if id > 0 && exists(id) {
            out.present += 1;
            continue;
        }
        let Some(patient) = v["for"]["display"].as_str() else {
            fault("Task.for.display", "is missing (the patient)");
            continue;
        };
        let Some(stage) = code(&v["businessStatus"], STAGE_SYSTEM) else {
            fault(
                "Task.businessStatus",
                &format!("has no code in {STAGE_SYSTEM} (the stage)"),
            );
            continue;
        };
        let substatus = code(&v["statusReason"], SUBSTATUS_SYSTEM).unwrap_or("");
        let owner = (v["owner"]["identifier"]["system"] == USER_SYSTEM)
            .then(|| v["owner"]["identifier"]["value"].as_str())
            .flatten()
            .unwrap_or("");
        let entered = v["extension"]
            .as_array()
            .and_then(|x| x.iter().find(|e| e["url"] == ENTERED_AT))
            .and_then(|e| e["valueDateTime"].as_str())
            .or_else(|| v["executionPeriod"]["start"].as_str())
            .unwrap_or("");
        let inputs = v["input"].as_array().cloned().unwrap_or_default();
        let field = |f: &str| -> String {
            inputs
                .iter()
                .find(|x| code(&x["type"], FIELD_SYSTEM) == Some(f))
                .and_then(|x| x["valueString"].as_str())
                .unwrap_or("")
                .to_string()
        };
        let id_text = id.to_string();
        let mut row: Vec<String> = [&id_text, patient, stage, substatus, owner, entered]
            .iter()
            .map(|c| formula::escape(c).into_owned())
            .collect();
        row.extend(
            p.fields
                .iter()
                .map(|f| formula::escape(&field(&f.id)).into_owned()),
        );
        if w.write_record(&row).is_ok() {
            out.lines.push(n);
        }
    }
    out.csv = w.into_inner().unwrap_or_default();
    out
}
