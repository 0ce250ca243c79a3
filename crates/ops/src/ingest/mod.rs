//! `ingest`: requests from other systems, one NDJSON line each, turned
//! into records and actions: a new record (`add`) or an action on one
//! (`move`, `note`, `substatus`, `assign`, `claim`, `release`, `ack`).
//! Every line carries an operation id, so ingesting the same file twice
//! applies each request once. A line that cannot be read is named with
//! the field at fault, never with its value (a field may be a date of
//! birth).
//!
//! ```text
//! {"op": "add", "op_id": "form-8812", "patient": "Ada Byron", "fields": {"state": "TX"}}
//! {"op": "move", "op_id": "form-8812-review", "record": 42, "event": "start_review"}
//! {"op": "note", "op_id": "call-17", "record": 42, "text": "called back"}
//! ```

mod apply;

pub use apply::{Outcome, apply_in};

use carequeue_core::log::EventKind;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The longest line read (a request is small; a runaway line is refused
/// rather than held in memory).
pub const MAX_LINE: usize = 64 * 1024;

/// One request, as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Add {
        patient: String,
        fields: BTreeMap<String, String>,
    },
    Move {
        record: i64,
        event: String,
        reason: Option<String>,
        breach_reason: Option<String>,
        note: Option<String>,
    },
    Note {
        record: i64,
        text: String,
    },
    /// `value` null clears it.
    Substatus {
        record: i64,
        value: Option<String>,
    },
    Assign {
        record: i64,
        user: String,
    },
    Claim {
        record: i64,
    },
    Release {
        record: i64,
    },
    Ack {
        record: i64,
        reason: String,
        note: Option<String>,
    },
}

impl Request {
    /// Its `op` word.
    pub fn op(&self) -> &'static str {
        match self {
            Request::Add { .. } => "add",
            Request::Move { .. } => "move",
            Request::Note { .. } => "note",
            Request::Substatus { .. } => "substatus",
            Request::Assign { .. } => "assign",
            Request::Claim { .. } => "claim",
            Request::Release { .. } => "release",
            Request::Ack { .. } => "ack",
        }
    }

    /// The event kinds the request's operation id may be logged on: a
    /// retry finds one of these.
    pub fn logs(&self) -> &'static [EventKind] {
        match self {
            Request::Add { .. } => &[EventKind::Create],
            Request::Move { .. } => &[EventKind::Transition, EventKind::Override],
            Request::Note { .. } => &[EventKind::Note],
            Request::Substatus { .. } => {
                &[EventKind::Substatus, EventKind::Pause, EventKind::Resume]
            }
            Request::Assign { .. } | Request::Claim { .. } => {
                &[EventKind::Assign, EventKind::Claim]
            }
            Request::Release { .. } => &[EventKind::Release],
            Request::Ack { .. } => &[EventKind::Ack],
        }
    }

    /// The record it acts on (none for `add`).
    pub fn record(&self) -> Option<i64> {
        match self {
            Request::Add { .. } => None,
            Request::Move { record, .. }
            | Request::Note { record, .. }
            | Request::Substatus { record, .. }
            | Request::Assign { record, .. }
            | Request::Claim { record }
            | Request::Release { record }
            | Request::Ack { record, .. } => Some(*record),
        }
    }
}

/// One line's request with its operation id.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 1 for the first line of the input.
    pub n: usize,
    pub op_id: String,
    pub expect_version: Option<i64>,
    pub req: Request,
}

/// What a line says, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    op: String,
    op_id: Option<String>,
    record: Option<i64>,
    patient: Option<String>,
    fields: Option<BTreeMap<String, Value>>,
    event: Option<String>,
    reason: Option<String>,
    breach_reason: Option<String>,
    note: Option<String>,
    text: Option<String>,
    #[serde(default, deserialize_with = "present")]
    value: Option<Option<String>>,
    user: Option<String>,
    expect_version: Option<i64>,
}

/// A key given as null is `Some(None)`, a key left out `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

pub const OPS: [&str; 8] = [
    "add",
    "move",
    "note",
    "substatus",
    "assign",
    "claim",
    "release",
    "ack",
];

/// Reads line `n` of the input: its request, or why not (naming the field,
/// never a value).
pub fn parse(n: usize, text: &str) -> Result<Line, String> {
    if text.len() > MAX_LINE {
        return Err(format!(
            "the line is {} bytes; the limit is {MAX_LINE}",
            text.len()
        ));
    }
    let raw: Raw = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    let op_id = match raw.op_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() && id.len() <= 200 => id.to_string(),
        Some(id) if !id.is_empty() => return Err("`op_id` is longer than 200 bytes".into()),
        _ => {
            return Err(
                "`op_id` is missing: every request carries one, so a retry is applied once".into(),
            );
        }
    };
    if let Some(allowed) = takes(&raw.op) {
        let given = [
            ("record", raw.record.is_some()),
            ("patient", raw.patient.is_some()),
            ("fields", raw.fields.is_some()),
            ("event", raw.event.is_some()),
            ("reason", raw.reason.is_some()),
            ("breach_reason", raw.breach_reason.is_some()),
            ("note", raw.note.is_some()),
            ("text", raw.text.is_some()),
            ("value", raw.value.is_some()),
            ("user", raw.user.is_some()),
            ("expect_version", raw.expect_version.is_some()),
        ];
        if let Some((key, _)) = given.iter().find(|(k, on)| *on && !allowed.contains(k)) {
            return Err(format!(
                "`{key}` does not belong to `{}` (it takes {})",
                raw.op,
                allowed.join(", ")
            ));
        }
    }
    let need = |v: Option<String>, key: &str| {
        v.filter(|s| !s.trim().is_empty())
            .ok_or_else(|| format!("`{key}` is missing (`{}` needs it)", raw.op))
    };
    let record = || {
        raw.record
            .ok_or_else(|| format!("`record` is missing (`{}` acts on a record, by id)", raw.op))
    };
    let req = match raw.op.as_str() {
        "add" => Request::Add {
            patient: need(raw.patient.clone(), "patient")?,
            fields: fields(raw.fields.clone().unwrap_or_default())?,
        },
        "move" => Request::Move {
            record: record()?,
            event: need(raw.event.clone(), "event")?,
            reason: raw.reason.clone(),
            breach_reason: raw.breach_reason.clone(),
            note: raw.note.clone(),
        },
        "note" => Request::Note {
            record: record()?,
            text: need(raw.text.clone(), "text")?,
        },
        "substatus" => Request::Substatus {
            record: record()?,
            value: raw.value.clone().ok_or_else(|| {
                "`value` is missing (a `substatus` sets one, or null to clear it)".to_string()
            })?,
        },
        "assign" => Request::Assign {
            record: record()?,
            user: need(raw.user.clone(), "user")?,
        },
        "claim" => Request::Claim { record: record()? },
        "release" => Request::Release { record: record()? },
        "ack" => Request::Ack {
            record: record()?,
            reason: need(raw.reason.clone(), "reason")?,
            note: raw.note.clone(),
        },
        other => {
            return Err(format!(
                "`op` `{}` is not one of {}",
                crate::present::shown(other),
                OPS.join(", ")
            ));
        }
    };
    Ok(Line {
        n,
        op_id,
        expect_version: raw.expect_version,
        req,
    })
}

/// The keys each op takes besides `op` and `op_id`; None for an unknown op.
fn takes(op: &str) -> Option<&'static [&'static str]> {
    Some(match op {
        "add" => &["patient", "fields"],
        "move" => &[
            "record",
            "event",
            "reason",
            "breach_reason",
            "note",
            "expect_version",
        ],
        "note" => &["record", "text", "expect_version"],
        "substatus" => &["record", "value", "expect_version"],
        "assign" => &["record", "user", "expect_version"],
        "claim" | "release" => &["record", "expect_version"],
        "ack" => &["record", "reason", "note", "expect_version"],
        _ => return None,
    })
}

/// A record's fields as text: strings as they are, numbers and booleans
/// written out; anything else names the field.
fn fields(raw: BTreeMap<String, Value>) -> Result<BTreeMap<String, String>, String> {
    raw.into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(format!(
                        "`fields.{}` is not a string, number or boolean",
                        crate::present::shown(&k)
                    ));
                }
            };
            Ok((k, text))
        })
        .collect()
}

/// serde's message without the input it quotes (a value could be patient
/// data): the kind of fault and the column.
fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // "unknown field `x`, expected one of …" and "missing field `op`" name
    // keys only; type errors quote the value ("invalid type: string
    // \"Ada\", expected i64"), so they are said without it.
    if msg.starts_with("unknown field") || msg.starts_with("missing field") {
        return msg.split(" at line ").next().unwrap_or(&msg).to_string();
    }
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("not a JSON object (at column {})", e.column())
        }
        _ => format!(
            "a value of the wrong type (at column {}): `record` and `expect_version` are whole numbers, the others text",
            e.column()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_and_faults_name_the_field_never_the_value() {
        let l = parse(
            3,
            r#"{"op":"add","op_id":"a1","patient":"Ada","fields":{"state":"TX","days_supply":30}}"#,
        )
        .expect("an add");
        assert_eq!(l.n, 3);
        let Request::Add { fields, .. } = &l.req else {
            panic!("{l:?}")
        };
        assert_eq!(fields["days_supply"], "30");
        let sub = parse(
            1,
            r#"{"op":"substatus","op_id":"s","record":4,"value":null}"#,
        )
        .expect("a clear");
        assert_eq!(
            sub.req,
            Request::Substatus {
                record: 4,
                value: None
            }
        );
        let cases = [
            (r#"{"op":"add","patient":"Ada"}"#, "`op_id` is missing"),
            (
                r#"{"op":"move","op_id":"m","event":"x"}"#,
                "`record` is missing",
            ),
            (r#"{"op":"fly","op_id":"m"}"#, "`op` `fly` is not one of"),
            (
                r#"{"op":"add","op_id":"m","patient":"Ada","colour":1}"#,
                "unknown field `colour`",
            ),
            (
                r#"{"op":"add","op_id":"m","patient":"Ada","fields":{"dob":[1]}}"#,
                "`fields.dob`",
            ),
            (
                r#"{"op":"note","op_id":"m","record":"Ada Byron","text":"x"}"#,
                "wrong type",
            ),
            (
                r#"{"op":"substatus","op_id":"m","record":1}"#,
                "`value` is missing",
            ),
            ("{not json", "not a JSON object"),
            (
                r#"{"op":"move","op_id":"m","record":1,"event":"x","text":"Ada"}"#,
                "`text` does not belong to `move`",
            ),
            (
                r#"{"op":"add","op_id":"m","patient":"Ada","record":3}"#,
                "`record` does not belong to `add`",
            ),
        ];
        for (text, said) in cases {
            let e = parse(1, text).expect_err(text);
            assert!(e.contains(said), "{text}: {e}");
            assert!(!e.contains("Ada"), "never the value: {e}");
        }
    }
}
