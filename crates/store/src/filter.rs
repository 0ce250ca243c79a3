//! What a queue query selects, and the SQL for it. Every term is served by
//! an index: stages and owners by the urgency indexes, patient names by the
//! trigram full-text index (accents and letter case folded), filterable
//! record fields by an index of their own.

use super::records::COLUMNS;
use super::sort::{RowKey, Seek, Sort, SortKey};
use super::terms::Param;
use rusqlite::types::Value;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OwnerFilter {
    #[default]
    Any,
    User(String),
    Unassigned,
    /// Assigned to this user, or to nobody yet: "my work and what I could claim".
    UserOrUnassigned(String),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SlaFilter {
    #[default]
    Any,
    Breached,
    AtRisk,
    /// Breached or past warn.
    Attention,
    /// A running clock, not yet past its warn time.
    Ok,
    /// The clock is paused.
    Paused,
}

/// Shorter patient-name words than this match the start of the name (the
/// trigram index needs three letters).
pub const TRIGRAM: usize = 3;

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only these stages (a phase filter expands to its stages).
    pub stages: Option<Vec<String>>,
    /// Also records an escalation notified one of these roles, whatever
    /// their stage (a role's own queue).
    pub notified: Vec<String>,
    pub owner: OwnerFilter,
    /// Only records owned by one of these roles: handed to it (an
    /// escalation's `owner_role`), or in one of `role_stages`, the stages
    /// it owns, and handed to no other role.
    pub roles: Vec<String>,
    pub role_stages: Vec<String>,
    pub sla: SlaFilter,
    /// Only records in one of these sub-statuses (`None`: in none).
    pub substatus: Option<Vec<Option<String>>>,
    /// Only this record.
    pub id: Option<i64>,
    /// Filterable record fields equal to one of these values.
    pub fields: Vec<(String, Vec<String>)>,
    /// Words of the patient's name (all must match).
    pub text: Option<String>,
    pub sort: Sort,
    pub seek: Seek,
    pub limit: Option<usize>,
    /// Walk the order's own index, testing the name and field terms on
    /// each row, rather than find the terms' rows by their index and sort
    /// them: cheaper when the terms match many rows ([`Store::walks`]).
    pub walk: bool,
    /// Only rows strictly before this key in the order (a capped walk).
    pub until: Option<RowKey>,
    /// A walk reads at most this many rows of the order's index for one
    /// page; the page then ends early and says where to resume
    /// ([`Store::list_page`]).
    pub scan_cap: Option<usize>,
}

impl ListFilter {
    /// Terms the maintained counts cannot answer.
    pub(super) fn has_terms(&self) -> bool {
        !self.words().is_empty()
            || !self.notified.is_empty()
            || !self.roles.is_empty()
            || self.substatus.is_some()
            || self.id.is_some()
            || !self.fields.is_empty()
    }

    fn words(&self) -> Vec<String> {
        self.text
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    /// Terms that find their rows on an index of their own (names, fields).
    pub(super) fn picks_rows(&self) -> bool {
        self.id.is_none() && (!self.words().is_empty() || !self.fields.is_empty())
    }

    /// Whether a page is better read per stage and merged (a few stages,
    /// each walked on its own index) than on one table-wide index.
    pub(super) fn mergeable(&self) -> bool {
        self.notified.is_empty() && self.words().is_empty() && self.id.is_none()
    }

    fn where_clause(&self, now: i64, args: &mut Vec<Value>) -> String {
        let mut params = Vec::new();
        let mut w = super::terms::common(self, now, &super::terms::SQLITE, &mut params);
        // The shared terms' arguments come first: their places count from 1.
        debug_assert!(args.is_empty());
        args.extend(params.into_iter().map(|p| match p {
            Param::Text(t) => Value::Text(t),
            Param::Int(i) => Value::Integer(i),
        }));
        let marks = |vals: &[String], args: &mut Vec<Value>| -> String {
            vals.iter()
                .map(|s| {
                    args.push(Value::Text(s.clone()));
                    format!("?{}", args.len())
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (field, values) in &self.fields {
            w.push(format!(
                "{} IN ({})",
                field_expr(field),
                marks(values, args)
            ));
        }
        let words = self.words();
        let (long, short): (Vec<&String>, Vec<&String>) =
            words.iter().partition(|t| t.chars().count() >= TRIGRAM);
        if !long.is_empty() {
            // Each word a quoted phrase: a substring of the folded name.
            let q: Vec<String> = long
                .iter()
                .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
                .collect();
            args.push(Value::Text(q.join(" AND ")));
            w.push(format!(
                "id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?{})",
                args.len()
            ));
        }
        for t in short {
            // The start of the name, on the patient index.
            args.push(Value::Text(t.to_ascii_lowercase()));
            let a = args.len();
            args.push(Value::Text(format!("{}\u{10FFFF}", t.to_ascii_lowercase())));
            w.push(format!(
                "patient COLLATE NOCASE >= ?{a} AND patient COLLATE NOCASE < ?{}",
                a + 1
            ));
        }
        match &self.seek {
            Seek::From(k) => w.push(self.sort.bound(k, false, args)),
            Seek::Before(k) => w.push(self.sort.bound(k, true, args)),
            Seek::Start | Seek::End => {}
        }
        if let Some(k) = &self.until {
            w.push(self.sort.bound(k, true, args));
        }
        if w.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", w.join(" AND "))
        }
    }

    /// The page query: SQL and its arguments.
    pub fn select_sql(&self, now: i64) -> (String, Vec<Value>) {
        let mut args = Vec::new();
        let w = self.where_clause(now, &mut args);
        let limit = self.limit.map_or(String::new(), |l| format!(" LIMIT {l}"));
        let order = self.sort.order_by(self.seek.backwards());
        let hint = self.hint();
        (
            format!("SELECT {COLUMNS} FROM records {hint} {w} ORDER BY {order}{limit}"),
            args,
        )
    }

    /// Where a capped walk must stop: the key of the first row of the
    /// order's index past the cap, counting only what the index serves
    /// (the stages and the cursor). None without a cap, or backwards.
    pub fn boundary_sql(&self, now: i64) -> Option<(String, Vec<Value>)> {
        let cap = self.scan_cap?;
        if !self.walk || self.seek.backwards() || self.limit.is_none() {
            return None;
        }
        let scope = ListFilter {
            stages: self.stages.clone(),
            sort: self.sort,
            seek: self.seek.clone(),
            walk: true,
            ..Default::default()
        };
        let mut args = Vec::new();
        let w = scope.where_clause(now, &mut args);
        let col = self.sort.column();
        Some((
            format!(
                "SELECT {col}, id FROM records {} {w} ORDER BY {} LIMIT 1 OFFSET {cap}",
                scope.hint(),
                self.sort.order_by(false)
            ),
            args,
        ))
    }

    /// Which index the page query is told to use, if any.
    fn hint(&self) -> String {
        // Several stages: walk the order's index and stop at the page
        // (SQLite cannot merge one range per stage in order, and would
        // otherwise sort every row of the phase). One stage: its own index.
        // Names and ids: their own index finds the few rows, then a sort.
        match (&self.stages, self.sort.wide_index()) {
            (Some(st), _) if self.walk && st.len() == 1 => {
                format!("INDEXED BY {}", self.sort.stage_index())
            }
            _ if self.walk => match self.sort.wide_index() {
                Some(ix) => format!("INDEXED BY {ix}"),
                None => "NOT INDEXED".into(),
            },
            _ if !self.words().is_empty() || self.id.is_some() || !self.fields.is_empty() => {
                String::new()
            }
            (Some(st), _) if st.len() == 1 => String::new(),
            (_, Some(ix)) => format!("INDEXED BY {ix}"),
            // By id: walk the table in id order and stop at the page.
            (_, None) => "NOT INDEXED".into(),
        }
    }

    /// The count query for filters the maintained counts cannot answer.
    pub fn count_sql(&self, now: i64) -> (String, Vec<Value>) {
        let f = ListFilter {
            seek: Seek::Start,
            limit: None,
            sort: Sort::default(),
            ..self.clone()
        };
        let mut args = Vec::new();
        let w = f.where_clause(now, &mut args);
        // Past-warn filters are answered from the attention index alone;
        // an empty stage list matches nothing, and SQLite, having dropped
        // the whole WHERE, would refuse the partial index.
        let nothing = f.stages.as_ref().is_some_and(Vec::is_empty);
        let hint = match f.sla {
            SlaFilter::Attention | SlaFilter::AtRisk if !nothing && !f.has_terms() => {
                "INDEXED BY records_attention"
            }
            _ => "",
        };
        (format!("SELECT count(*) FROM records {hint} {w}"), args)
    }

    /// The same filter in another order.
    pub fn sorted(mut self, sort: Sort) -> Self {
        self.sort = sort;
        self
    }

    pub fn is_default_order(&self) -> bool {
        self.sort.key == SortKey::Due && !self.sort.desc
    }
}

/// The indexed expression of a filterable field (ids are checked to be
/// `[a-z0-9_]` by the pipeline, so they are safe inside the path).
pub fn field_expr(field: &str) -> String {
    format!("json_extract(fields, '$.{field}')")
}

/// Gives each filterable field its index and drops those of fields no
/// longer filterable (at `init` and `pipeline apply`, in their transaction).
pub fn index_fields(conn: &rusqlite::Connection, fields: &[&str]) -> super::Result<()> {
    let have: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'records\\_field\\_%' ESCAPE '\\'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let safe: Vec<&str> = fields
        .iter()
        .copied()
        .filter(|f| {
            f.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .collect();
    let want: Vec<String> = safe.iter().map(|f| format!("records_field_{f}")).collect();
    for name in have.iter().filter(|h| !want.contains(h)) {
        conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }
    for (name, field) in want.iter().zip(&safe) {
        if !have.contains(name) {
            conn.execute_batch(&format!(
                "CREATE INDEX \"{name}\" ON records({})",
                field_expr(field)
            ))?;
        }
    }
    Ok(())
}
