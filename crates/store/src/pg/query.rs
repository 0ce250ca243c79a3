//! A queue query on PostgreSQL: the same [`ListFilter`] as on SQLite, in
//! PostgreSQL's words (`$n` arguments, `json` fields, `ILIKE` for name
//! words, where SQLite has its trigram index).

use crate::ListFilter;
use crate::columns::Col;
use crate::sort::{KeyVal, RowKey, Seek, SortKey};
use crate::terms;

/// The record columns, typed as the record reads them.
pub fn columns() -> String {
    // The server keeps the escalation level and priority as int; the
    // record reads them as bigint.
    Col::READ
        .iter()
        .map(|c| match c {
            Col::Escalation | Col::Priority => format!("{}::bigint", c.name()),
            c => c.name().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One argument of a query (the same as SQLite's, bound as the client takes it).
pub use crate::terms::Param as Arg;

impl Arg {
    pub fn sql(&self) -> &(dyn postgres::types::ToSql + Sync) {
        match self {
            Arg::Text(s) => s,
            Arg::Int(n) => n,
        }
    }
}

/// Borrows each argument as the client takes them.
pub fn refs(args: &[Arg]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    args.iter().map(Arg::sql).collect()
}

fn marks(vals: &[String], args: &mut Vec<Arg>) -> String {
    vals.iter()
        .map(|s| {
            args.push(Arg::Text(s.clone()));
            format!("${}", args.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `WHERE …` for `f` at `now`, from its keyset (console pages) on.
pub fn where_clause(f: &ListFilter, now: i64, args: &mut Vec<Arg>) -> String {
    let mut w = terms::common(f, now, &terms::POSTGRES, args);
    for (field, values) in &f.fields {
        args.push(Arg::Text(field.clone()));
        let key = args.len();
        w.push(format!(
            "(fields::json ->> ${key}) IN ({})",
            marks(values, args)
        ));
    }
    for group in f.word_groups() {
        // A substring of the name, letter case folded; a word with
        // alternatives (`ada,bea`) any of them.
        let alts: Vec<String> = group
            .iter()
            .map(|word| {
                let escaped = word
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                args.push(Arg::Text(format!("%{escaped}%")));
                format!("patient ILIKE ${}", args.len())
            })
            .collect();
        w.push(match alts.as_slice() {
            [one] => one.clone(),
            _ => format!("({})", alts.join(" OR ")),
        });
    }
    match &f.seek {
        Seek::From(k) => w.push(bound(f, k, false, args)),
        Seek::Before(k) => w.push(bound(f, k, true, args)),
        Seek::Start | Seek::End => {}
    }
    if let Some(k) = &f.until {
        w.push(bound(f, k, true, args));
    }
    if w.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", w.join(" AND "))
    }
}

/// The column an order reads. Names fold ASCII letters only and compare
/// byte by byte (the C collation), as `Sort::row_key` keys them, so a
/// keyset taken from a row finds its place again.
fn column(key: SortKey) -> &'static str {
    match key {
        SortKey::Due => "sort_due",
        SortKey::Age => "entered_at",
        SortKey::Patient => "lower(patient COLLATE \"C\")",
        SortKey::Id => "id",
    }
}

/// Whether the SQL order is descending (age ascending is the latest entry
/// first).
fn sql_desc(f: &ListFilter) -> bool {
    match f.sort.key {
        SortKey::Age => !f.sort.desc,
        _ => f.sort.desc,
    }
}

/// Rows from `key` on in the order (inclusive), or strictly before it.
fn bound(f: &ListFilter, key: &RowKey, before: bool, args: &mut Vec<Arg>) -> String {
    let op = match (before, sql_desc(f)) {
        (false, false) => ">=",
        (false, true) => "<=",
        (true, false) => "<",
        (true, true) => ">",
    };
    if f.sort.key == SortKey::Id {
        args.push(Arg::Int(key.1));
        return format!("id {op} ${}", args.len());
    }
    args.push(match &key.0 {
        KeyVal::Int(i) => Arg::Int(*i),
        KeyVal::Text(t) => Arg::Text(t.clone()),
    });
    let a = args.len();
    args.push(Arg::Int(key.1));
    format!("({}, id) {op} (${a}, ${})", column(f.sort.key), a + 1)
}

/// `ORDER BY …` for `f`'s sort, as on SQLite (ties by id); read backwards
/// from a keyset, the other way round.
pub fn order_by(f: &ListFilter) -> String {
    let dir = if sql_desc(f) != f.seek.backwards() {
        "DESC"
    } else {
        "ASC"
    };
    match f.sort.key {
        SortKey::Id => format!("id {dir}"),
        key => format!("{} {dir}, id {dir}", column(key)),
    }
}

/// What a count of `f` reads: the table itself when no term of `f` reads a
/// column that names a patient (a count by stage, owner or clock, open to
/// every member as the board's counts are), else the logged read view.
fn relation(f: &ListFilter) -> &'static str {
    if f.words().is_empty() && f.fields.is_empty() {
        "records"
    } else {
        "records_read"
    }
}

/// The rows of `f`, most urgent first (or in its sort), up to its limit.
pub fn select_sql(f: &ListFilter, now: i64) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let w = where_clause(f, now, &mut args);
    let limit = f.limit.map_or(String::new(), |l| format!(" LIMIT {l}"));
    (
        format!(
            "SELECT {} FROM records_read {w} ORDER BY {}{limit}",
            columns(),
            order_by(f)
        ),
        args,
    )
}

/// How many rows `f` selects, ignoring its limit.
pub fn count_sql(f: &ListFilter, now: i64) -> (String, Vec<Arg>) {
    let f = ListFilter {
        seek: Seek::Start,
        until: None,
        ..f.clone()
    };
    let mut args = Vec::new();
    let w = where_clause(&f, now, &mut args);
    (format!("SELECT count(*) FROM {} {w}", relation(&f)), args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OwnerFilter, SlaFilter};

    #[test]
    fn arguments_are_numbered_in_order_and_words_are_escaped() {
        let f = ListFilter {
            stages: Some(vec!["a".into(), "b".into()]),
            owner: OwnerFilter::User("kim".into()),
            sla: SlaFilter::AtRisk,
            text: Some("50%_off".into()),
            limit: Some(5),
            ..Default::default()
        };
        let (sql, args) = select_sql(&f, 100);
        assert!(sql.contains("stage IN ($1, $2)"), "{sql}");
        assert!(sql.contains("assignee = $3"), "{sql}");
        assert!(sql.contains("warn_at <= $4 AND sort_due > $4"), "{sql}");
        assert!(sql.contains("patient ILIKE $5"), "{sql}");
        assert!(
            sql.ends_with("ORDER BY sort_due ASC, id ASC LIMIT 5"),
            "{sql}"
        );
        assert_eq!(args.len(), 5);
        match &args[4] {
            Arg::Text(t) => assert_eq!(t, "%50\\%\\_off%"),
            Arg::Int(_) => panic!("a word is text"),
        }
    }

    #[test]
    fn an_empty_stage_list_selects_nothing() {
        let f = ListFilter {
            stages: Some(vec![]),
            ..Default::default()
        };
        let (sql, _) = count_sql(&f, 0);
        assert_eq!(sql, "SELECT count(*) FROM records WHERE false");
    }

    #[test]
    fn a_count_by_name_or_field_reads_through_the_logged_view() {
        for f in [
            ListFilter {
                text: Some("ada".into()),
                ..Default::default()
            },
            ListFilter {
                fields: vec![("state".into(), vec!["TX".into()])],
                ..Default::default()
            },
        ] {
            let (sql, _) = count_sql(&f, 0);
            assert!(
                sql.starts_with("SELECT count(*) FROM records_read "),
                "{sql}"
            );
        }
        let (sql, _) = count_sql(&ListFilter::default(), 0);
        assert_eq!(sql, "SELECT count(*) FROM records ");
    }
}
