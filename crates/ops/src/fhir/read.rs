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
        // Every input is a field of the pipeline, as text: nothing dropped
        // unsaid.
        let unread = inputs.iter().enumerate().find_map(|(k, x)| {
            let at = format!("Task.input[{k}]");
            match code(&x["type"], FIELD_SYSTEM) {
                None => Some((at, format!("has no code in {FIELD_SYSTEM} (a field id)"))),
                Some(f) if p.field_ix(f).is_none() => Some((
                    at,
                    format!(
                        "`{}` is not a field of the pipeline",
                        crate::present::shown(f)
                    ),
                )),
                Some(_) if !x["valueString"].is_string() => {
                    Some((at, "carries no valueString (fields are text)".into()))
                }
                Some(_) => None,
            }
        });
        if let Some((at, what)) = unread {
            fault(&at, &what);
            continue;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Pipeline {
        carequeue_core::domain::check(carequeue_core::domain::DEFAULT_PIPELINE)
            .pipeline
            .unwrap_or_else(|| panic!("the default pipeline checks"))
    }

    fn task(input: &str) -> String {
        format!(
            r#"{{"resourceType":"Task","id":"4","identifier":[{{"system":"{RECORD_SYSTEM}","value":"4"}}],"status":"ready","intent":"order","for":{{"display":"Ada"}},"businessStatus":{{"coding":[{{"system":"{STAGE_SYSTEM}","code":"form_submitted"}}]}},"input":[{input}]}}"#
        )
    }

    #[test]
    fn an_input_that_is_no_field_or_no_text_is_named() {
        let ok = task(&format!(
            r#"{{"type":{{"coding":[{{"system":"{FIELD_SYSTEM}","code":"state"}}]}},"valueString":"TX"}}"#
        ));
        let r = read_tasks(&p(), &ok, &mut |_| false);
        assert!(r.faults.is_empty(), "{:?}", r.faults);
        assert_eq!(r.lines, vec![1]);
        for (input, said) in [
            (
                format!(
                    r#"{{"type":{{"coding":[{{"system":"{FIELD_SYSTEM}","code":"colour"}}]}},"valueString":"red"}}"#
                ),
                "`colour` is not a field",
            ),
            (
                format!(
                    r#"{{"type":{{"coding":[{{"system":"{FIELD_SYSTEM}","code":"state"}}]}},"valueInteger":3}}"#
                ),
                "no valueString",
            ),
            (
                r#"{"type":{"text":"state"},"valueString":"TX"}"#.to_string(),
                "has no code",
            ),
        ] {
            let r = read_tasks(&p(), &task(&input), &mut |_| false);
            assert_eq!(r.faults.len(), 1, "{input}");
            assert_eq!(r.faults[0].1, "Task.input[0]");
            assert!(r.faults[0].2.contains(said), "{:?}", r.faults);
            assert!(r.lines.is_empty(), "nothing imported from the line");
        }
    }
}
