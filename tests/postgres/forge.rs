//! Writes by hand, as a member with `psql` makes them: SQL calls of the
//! schema's functions with whatever arguments the caller likes, and the
//! seed these tests start from (the minimal pipeline stored, its users,
//! one record).

use carequeue::store::pg::rules;

/// The pipeline the schema tests store: stages `new` (entry, owned by
/// `staff`), `active`, `done`, `closed`; `lead` supervises and administers.
pub const MINIMAL: &str = include_str!("../fixtures/minimal.toml");

/// The SQLSTATE and message of a refused statement.
pub fn why(e: postgres::Error) -> String {
    e.as_db_error()
        .map(|d| format!("{} {}", d.code().code(), d.message()))
        .unwrap_or_else(|| e.to_string())
}

/// The refusal of `r`; panics if it was allowed.
#[track_caller]
pub fn refused<T>(r: Result<T, String>) -> String {
    match r {
        Ok(_) => panic!("the statement was allowed"),
        Err(e) => e,
    }
}

/// Stores [`MINIMAL`] as pipeline version 1, by `c` (an admin's session,
/// through `store_pipeline` as `pipeline apply` does).
pub fn store_pipeline(c: &mut postgres::Client) {
    let doc = rules::of_text(1, MINIMAL)
        .expect("the minimal pipeline's rules")
        .to_string();
    c.query_one(
        "SELECT store_pipeline(1, 'minimal', $1, b.at, 'pipeline', NULL, 'lead', $2::text::jsonb)
         FROM begin_change() b",
        &[&MINIMAL, &doc],
    )
    .expect("store the pipeline");
}

/// A new record (patient `P`, at the entry stage, dated by the server) by
/// `c`, with op id `op`: its id and its event's (negative when the op was
/// in the log already).
pub fn create(c: &mut postgres::Client, op: Option<&str>) -> Result<(i64, i64), String> {
    create_as(c, op, serde_json::json!({}))
}

/// [`create`] with `set` laid over the record the client sends (its
/// `data`, if any, the event's data instead of the patient's).
pub fn create_as(
    c: &mut postgres::Client,
    op: Option<&str>,
    set: serde_json::Value,
) -> Result<(i64, i64), String> {
    let set = set.to_string();
    c.query_one(
        "SELECT w.record_id, w.event_id FROM begin_change() b
         CROSS JOIN LATERAL write_change(
           jsonb_build_object('id', 0, 'patient', 'P', 'stage', 'new',
             'entered_at', b.at, 'sort_due', b.at, 'created_at', b.at, 'updated_at', b.at,
             'version', 1, 'fields', '{}', 'escalation', 0, 'priority', 0) || $2::text::jsonb,
           0, b.at, 'create', NULL, NULL, coalesce($2::text::jsonb ->> 'stage', 'new'),
           NULL, NULL,
           coalesce($2::text::jsonb ->> 'data',
                    jsonb_build_object('patient', 'P', 'fields', '{}'::jsonb)::text),
           $1::text) w",
        &[&op, &set],
    )
    .map(|r| (r.get(0), r.get(1)))
    .map_err(why)
}

/// One change a client asks for, by hand: the record sent is the stored
/// one, a version on, dated `at` (the server's time unless given), with
/// `set` laid over it (where the string `"@at"` stands for that time).
#[derive(Clone, Default)]
pub struct Change<'a> {
    pub kind: &'a str,
    pub event: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub note: Option<&'a str>,
    pub set: Option<serde_json::Value>,
    /// The time sent (the server's by default).
    pub at: Option<i64>,
    /// The version the change was decided on (the stored one by default).
    pub expected: Option<i64>,
    pub op: Option<&'a str>,
    /// The function called: `write_change` by default.
    pub function: Option<&'a str>,
}

impl<'a> Change<'a> {
    pub fn note(text: &'a str) -> Self {
        Change {
            kind: "note",
            note: Some(text),
            ..Change::default()
        }
    }
}

/// `ch` on record `id`, by `c`: the record's id and the event's.
pub fn change(c: &mut postgres::Client, id: i64, ch: &Change) -> Result<(i64, i64), String> {
    let set = ch.set.clone().unwrap_or_else(|| serde_json::json!({}));
    let set = set.to_string();
    let function = ch.function.unwrap_or("write_change");
    // As carequeue does: the read of the record to change logged first,
    // in a transaction of its own (the server lets a member read a
    // record's patient only under an entry committed earlier), then the
    // log's head (and the server's time), then the record read in a
    // statement of its own, so it is read after any change the wait for
    // the head let through.
    c.query_one("SELECT log_access('change', $1, NULL)", &[&id])
        .map_err(why)?;
    let mut tx = c.transaction().map_err(why)?;
    let now: i64 = tx
        .query_one("SELECT at FROM begin_change()", &[])
        .map_err(why)?
        .get(0);
    let at = ch.at.unwrap_or(now);
    let sql = format!(
        "SELECT w.record_id, w.event_id FROM record_rows(ARRAY[$1::bigint]) r
         CROSS JOIN LATERAL {function}(
           to_jsonb(r) || jsonb_build_object('version', r.version + 1, 'updated_at', $2::bigint)
             || replace($3::text, '\"@at\"', $2::bigint::text)::jsonb,
           coalesce($4::bigint, r.version), $2::bigint, $5::text, $6::text,
           $7::text, $8::text, $9::text, $10::text, NULL, $11::text) w
         WHERE r.id = $1"
    );
    let rows = tx
        .query(
            &sql,
            &[
                &id,
                &at,
                &set,
                &ch.expected,
                &ch.kind,
                &ch.event,
                &ch.from,
                &ch.to,
                &ch.reason,
                &ch.note,
                &ch.op,
            ],
        )
        .map_err(why)?;
    tx.commit().map_err(why)?;
    match rows.first() {
        Some(r) => Ok((r.get(0), r.get(1))),
        None => Err(format!("no record {id} to change")),
    }
}

/// The server's time now, in seconds.
pub fn server_now(c: &mut postgres::Client) -> i64 {
    c.query_one("SELECT floor(extract(epoch FROM now()))::bigint", &[])
        .expect("the time")
        .get(0)
}
