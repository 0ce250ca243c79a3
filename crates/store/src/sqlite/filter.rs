//! A queue filter in SQLite's words: the page, boundary and count queries,
//! with the index each is told to use, and the filterable fields' indexes.

use super::records::COLUMNS;
use crate::filter::{ListFilter, SlaFilter, TRIGRAM};
use crate::sort::{Seek, Sort};
use crate::terms::Param;
use rusqlite::types::Value;

impl ListFilter {
    fn where_clause(&self, now: i64, args: &mut Vec<Value>) -> String {
        let mut params = Vec::new();
        let mut w = crate::terms::common(self, now, &crate::terms::SQLITE, &mut params);
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
        let groups = self.word_groups();
        let (words, any): (Vec<&Vec<String>>, Vec<&Vec<String>>) =
            groups.iter().partition(|g| g.len() == 1);
        let (long, short): (Vec<&String>, Vec<&String>) = words
            .iter()
            .flat_map(|g| g.iter())
            .partition(|t| t.chars().count() >= TRIGRAM);
        if !long.is_empty() {
            // Each word a quoted phrase: a substring of the folded name.
            let q: Vec<String> = long.iter().map(|t| phrase(t)).collect();
            args.push(Value::Text(q.join(" AND ")));
            w.push(format!(
                "id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?{})",
                args.len()
            ));
        }
        for t in short {
            w.push(name_starts(t, args));
        }
        // A word with alternatives (`ada,bea`): any of them.
        for g in any {
            let alts: Vec<String> = g
                .iter()
                .map(|t| {
                    if t.chars().count() >= TRIGRAM {
                        args.push(Value::Text(phrase(t)));
                        format!(
                            "id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?{})",
                            args.len()
                        )
                    } else {
                        format!("({})", name_starts(t, args))
                    }
                })
                .collect();
            w.push(format!("({})", alts.join(" OR ")));
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
            format!(
                "SELECT {} FROM records {hint} {w} ORDER BY {order}{limit}",
                *COLUMNS
            ),
            args,
        )
    }

    /// A first page's ids in order beside the count of every match, in one
    /// read of the candidates (the count's): the same terms, plan and
    /// order as [`ListFilter::select_sql`] from the start without a walk.
    pub fn counted_ids_sql(&self, now: i64) -> (String, Vec<Value>) {
        let f = ListFilter {
            seek: Seek::Start,
            until: None,
            walk: false,
            ..self.clone()
        };
        let mut args = Vec::new();
        let w = f.where_clause(now, &mut args);
        let limit = f.limit.map_or(String::new(), |l| format!(" LIMIT {l}"));
        let order = f.sort.order_by(false);
        let hint = f.hint();
        (
            format!("SELECT id, count(*) OVER () FROM records {hint} {w} ORDER BY {order}{limit}"),
            args,
        )
    }

    /// The board's counts under this filter in one grouped pass: per stage,
    /// the total under its SLA state, the breached and the at-risk, each
    /// as the stage's own count with that state would give it.
    pub fn stage_counts_sql(&self, now: i64) -> (String, Vec<Value>) {
        let f = ListFilter {
            sla: SlaFilter::Any,
            seek: Seek::Start,
            until: None,
            walk: false,
            limit: None,
            sort: Sort::default(),
            ..self.clone()
        };
        let mut args = Vec::new();
        let w = f.where_clause(now, &mut args);
        args.push(Value::Integer(now));
        let n = format!("?{}", args.len());
        let total = crate::terms::sla_term(self.sla, &n).unwrap_or_else(|| "1".into());
        let breached = crate::terms::sla_term(SlaFilter::Breached, &n).unwrap_or_default();
        let at_risk = crate::terms::sla_term(SlaFilter::AtRisk, &n).unwrap_or_default();
        (
            format!(
                "SELECT stage, count(*) FILTER (WHERE {total}), count(*) FILTER (WHERE {breached}), \
                 count(*) FILTER (WHERE {at_risk}) FROM records {} {w} GROUP BY stage",
                f.hint()
            ),
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

    /// Whether the filter holds only records handed to one of its roles
    /// (`owner_role IN (…)`, a term of its own: none of the roles owns a
    /// stage), over some stages: then `records_owner_role` serves it. An
    /// empty stage list matches nothing, and SQLite, having dropped the
    /// whole WHERE, would refuse that partial index.
    fn handed_only(&self) -> bool {
        !self.roles.is_empty()
            && self.role_stages.is_empty()
            && self.stages.as_ref().is_none_or(|s| !s.is_empty())
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
            // Handed to a role: the few such records, on their own index
            // (the stages' indexes would read every record of the stages).
            _ if !self.names_ids() && self.handed_only() => "INDEXED BY records_owner_role".into(),
            _ if !self.words().is_empty() || self.names_ids() || !self.fields.is_empty() => {
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
            _ if !f.names_ids() && f.handed_only() => "INDEXED BY records_owner_role",
            _ => "",
        };
        (format!("SELECT count(*) FROM records {hint} {w}"), args)
    }
}

/// The indexed expression of a filterable field (ids are checked to be
/// `[a-z0-9_]` by the pipeline, so they are safe inside the path).
pub fn field_expr(field: &str) -> String {
    format!("json_extract(fields, '$.{field}')")
}

/// Gives each filterable field its index and drops those of fields no
/// longer filterable (at `init` and `pipeline apply`, in their transaction).
pub fn index_fields(conn: &rusqlite::Connection, fields: &[&str]) -> crate::Result<()> {
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

/// `word` as a quoted FTS phrase: a substring of the folded name.
fn phrase(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

/// The start of the name, on the patient index (a word too short for the
/// trigram index).
fn name_starts(word: &str, args: &mut Vec<Value>) -> String {
    args.push(Value::Text(word.to_ascii_lowercase()));
    let a = args.len();
    args.push(Value::Text(format!(
        "{}\u{10FFFF}",
        word.to_ascii_lowercase()
    )));
    format!(
        "patient COLLATE NOCASE >= ?{a} AND patient COLLATE NOCASE < ?{}",
        a + 1
    )
}
