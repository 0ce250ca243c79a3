//! The queue filter's terms that both stores write alike: stages (and the
//! roles notified there), owner, owning roles, sub-statuses, the SLA state
//! and an id. Each store adds its own words for the rest (fields, name
//! words, keyset bounds) in its own dialect: SQLite's `?N` arguments and
//! `0`, PostgreSQL's `$N` and `false`.

use super::{ListFilter, OwnerFilter, SlaFilter};

/// One argument of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Text(String),
    Int(i64),
}

/// How a store writes an argument's place and a term that holds for no row.
pub struct Dialect {
    pub mark: char,
    pub never: &'static str,
    /// What makes an argument compared with a `bigint` column one too.
    pub int: &'static str,
    /// What orders text byte by byte, as SQLite's default does.
    pub bytewise: &'static str,
    /// The hint that reads a table whole rather than through an index.
    pub whole_table: &'static str,
    /// The ids of a JSON array argument, as a subquery's rows (`{}`: its
    /// place).
    pub json_ids: &'static str,
}

pub const SQLITE: Dialect = Dialect {
    mark: '?',
    never: "0",
    int: "",
    bytewise: "",
    whole_table: "NOT INDEXED",
    json_ids: "SELECT value FROM json_each({})",
};

pub const POSTGRES: Dialect = Dialect {
    mark: '$',
    never: "false",
    int: "::bigint",
    bytewise: " COLLATE \"C\"",
    whole_table: "",
    json_ids: "SELECT jsonb_array_elements_text({}::text::jsonb)::bigint",
};

impl Dialect {
    /// The record field that argument `n` names (as [`Dialect::field_arg`]
    /// writes it), as the store reads it.
    pub fn field_at(&self, n: usize) -> String {
        if self.mark == '$' {
            format!("fields::jsonb ->> ${n}")
        } else {
            format!("json_extract(fields, ?{n})")
        }
    }

    /// The argument that names record field `name` for [`Dialect::field_at`]:
    /// its key, or on SQLite its JSON path.
    pub fn field_arg(&self, name: &str) -> String {
        if self.mark == '$' {
            name.to_string()
        } else {
            format!("$.\"{}\"", name.replace('"', "\\\""))
        }
    }

    /// `v` as the next argument; its place.
    pub fn arg(&self, v: Param, args: &mut Vec<Param>) -> String {
        args.push(v);
        format!("{}{}", self.mark, args.len())
    }

    /// Each of `vals` as an argument; their places, comma-separated.
    pub fn list(&self, vals: &[String], args: &mut Vec<Param>) -> String {
        vals.iter()
            .map(|s| self.arg(Param::Text(s.clone()), args))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The shared terms of `f` at `now`, each to be joined by AND.
pub fn common(f: &ListFilter, now: i64, d: &Dialect, args: &mut Vec<Param>) -> Vec<String> {
    let mut w: Vec<String> = Vec::new();
    if let Some(stages) = &f.stages {
        if stages.is_empty() {
            w.push(d.never.into());
        } else {
            let st = d.list(stages, args);
            if f.notified.is_empty() {
                w.push(format!("stage IN ({st})"));
            } else {
                let nt = d.list(&f.notified, args);
                w.push(format!("(stage IN ({st}) OR notify_role IN ({nt}))"));
            }
        }
    }
    match &f.owner {
        OwnerFilter::Any => {}
        OwnerFilter::Unassigned => w.push("assignee IS NULL".into()),
        OwnerFilter::User(u) => {
            let a = d.arg(Param::Text(u.clone()), args);
            w.push(format!("assignee = {a}"));
        }
        OwnerFilter::UserOrUnassigned(u) => {
            let a = d.arg(Param::Text(u.clone()), args);
            w.push(format!("(assignee = {a} OR assignee IS NULL)"));
        }
    }
    if !f.roles.is_empty() {
        let handed = format!("owner_role IN ({})", d.list(&f.roles, args));
        w.push(if f.role_stages.is_empty() {
            handed
        } else {
            format!(
                "({handed} OR (owner_role IS NULL AND stage IN ({})))",
                d.list(&f.role_stages, args)
            )
        });
    }
    if let Some(subs) = &f.substatus {
        let named: Vec<String> = subs.iter().flatten().cloned().collect();
        let mut any = Vec::new();
        if !named.is_empty() {
            any.push(format!("substatus IN ({})", d.list(&named, args)));
        }
        if subs.iter().any(Option::is_none) {
            any.push("substatus IS NULL".into());
        }
        w.push(if any.is_empty() {
            d.never.into()
        } else {
            format!("({})", any.join(" OR "))
        });
    }
    let n = if matches!(f.sla, SlaFilter::Any | SlaFilter::Paused) {
        String::new()
    } else {
        d.arg(Param::Int(now), args)
    };
    w.extend(sla_term(f.sla, &n));
    if let Some(id) = f.id {
        let a = d.arg(Param::Int(id), args);
        w.push(format!("id = {a}"));
    }
    if let Some(ids) = &f.among {
        if ids.is_empty() {
            w.push(d.never.into());
        } else {
            let list = serde_json::to_string(ids.as_slice()).unwrap_or_else(|_| "[]".into());
            let a = d.arg(Param::Text(list), args);
            w.push(format!("id IN ({})", d.json_ids.replace("{}", &a)));
        }
    }
    w
}

/// The term of SLA state `sla`, `n` the place of the argument that holds
/// the time now (unused for `Any` and `Paused`); None for `Any`.
pub fn sla_term(sla: SlaFilter, n: &str) -> Option<String> {
    match sla {
        SlaFilter::Any => None,
        // A stay paused after its breach is still breached.
        SlaFilter::Breached => Some(format!(
            "(sort_due <= {n} OR (paused_since IS NOT NULL AND paused_left <= 0))"
        )),
        SlaFilter::AtRisk => Some(format!("warn_at <= {n} AND sort_due > {n}")),
        // A running clock's due time never precedes its warn time, so
        // "past warn" covers breached too (and the attention index serves it).
        SlaFilter::Attention => Some(format!("warn_at <= {n}")),
        SlaFilter::Ok => Some(format!(
            "due_at > {n} AND (warn_at IS NULL OR warn_at > {n})"
        )),
        SlaFilter::Paused => Some("paused_since IS NOT NULL".into()),
    }
}
