//! Structured filters, as typed in the console's `/` and `:filter` and in
//! `list --filter`: `stage:`, `owner:NAME|me|none`, `role:`,
//! `sla:breached|warn|ok|paused`, `sub:`, a filterable field
//! (`state:TX`), an exact id (`#42` or `42`), and words of the patient's
//! name. Terms combine with AND; a comma inside one term means OR
//! (`stage:intake,review`); double quotes keep spaces (`stage:"Lab work"`).
//!
//! Three terms select what the stage audit counted (the Audit view's
//! drill-downs): `noaction:yes` (records with no owner action now),
//! `reason:CODE` (a breach explained by that reason, `unacknowledged` for
//! none) and `exited:STAGE` (left that stage for a terminal one before
//! Active Care). Their records come from the audit's pass over the log
//! ([`Terms::resolve`]), then are read by id.

use crate::present::shown;
use carequeue_core::domain::{FieldKind, Pipeline};
use carequeue_core::engine::audit::{Drill, UNACKNOWLEDGED};
use carequeue_store::{ListFilter, OwnerFilter, SlaFilter};
use std::sync::Arc;

/// A term answered by the stage audit's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTerm {
    /// `noaction:yes`: in a stage now, unassigned or the assignee idle
    /// past the stage's warn time.
    NoAction,
    /// `reason:A,B`: a counted stay breached for one of these reasons.
    Reason(Vec<String>),
    /// `exited:S,T`: left one of these stages (ids) before Active Care.
    Exited(Vec<String>),
    /// A `noaction:`, `reason:` or `exited:` term that could not be read:
    /// it selects nothing (left out, it would select every record).
    Unread,
}

/// A parsed filter: what it selects, and what could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms {
    pub stages: Option<Vec<String>>,
    pub owner: Option<OwnerFilter>,
    pub roles: Vec<String>,
    /// The stages the `roles` own.
    pub role_stages: Vec<String>,
    pub sla: Option<SlaFilter>,
    pub substatus: Option<Vec<Option<String>>>,
    pub id: Option<i64>,
    pub fields: Vec<(String, Vec<String>)>,
    pub words: Vec<String>,
    /// Terms the stage audit answers (AND between them).
    pub audit: Vec<AuditTerm>,
    /// Their records, once [`Terms::resolve`] has read them from an audit.
    pub among: Option<Arc<Vec<i64>>>,
    /// One line per term that was not understood (left out of the filter).
    pub errors: Vec<String>,
}

/// The keys of the terms the stage audit answers.
const AUDIT_KEYS: [&str; 4] = ["noaction", "no-action", "reason", "exited"];

pub const KEYS: [&str; 8] = [
    "stage", "owner", "role", "sla", "sub", "noaction", "reason", "exited",
];

impl Terms {
    pub fn is_empty(&self) -> bool {
        *self == Terms::default()
    }

    /// Whether some term needs the stage audit's records.
    pub fn needs_audit(&self) -> bool {
        !self.audit.is_empty()
    }

    /// Reads the records of the audit terms from `drill` (an audit of
    /// pipeline `p`): the records every term selects.
    pub fn resolve(&mut self, p: &Pipeline, drill: &Drill) {
        if self.audit.is_empty() {
            return;
        }
        let mut out: Option<Vec<i64>> = None;
        for t in &self.audit {
            let mut ids: Vec<i64> = match t {
                AuditTerm::NoAction => drill.no_owner_action.concat(),
                AuditTerm::Reason(codes) => codes
                    .iter()
                    .flat_map(|c| drill.breached_for(c).iter().copied())
                    .collect(),
                AuditTerm::Exited(stages) => stages
                    .iter()
                    .filter_map(|s| p.stage_ix(s))
                    .flat_map(|s| drill.exits_from(s.0).iter().copied())
                    .collect(),
                AuditTerm::Unread => Vec::new(),
            };
            ids.sort_unstable();
            ids.dedup();
            out = Some(match out {
                None => ids,
                Some(prev) => prev
                    .into_iter()
                    .filter(|id| ids.binary_search(id).is_ok())
                    .collect(),
            });
        }
        self.among = out.map(Arc::new);
    }

    /// Narrows `f` by these terms. Stages intersect the view's; an owner or
    /// SLA term replaces the view's own.
    pub fn apply(&self, f: &mut ListFilter) {
        if let Some(st) = &self.stages {
            f.stages = Some(match f.stages.take() {
                Some(view) => view.into_iter().filter(|s| st.contains(s)).collect(),
                None => st.clone(),
            });
            f.notified.clear();
        }
        if let Some(o) = &self.owner {
            f.owner = o.clone();
        }
        f.roles.extend(self.roles.iter().cloned());
        f.role_stages.extend(self.role_stages.iter().cloned());
        if let Some(s) = self.sla {
            f.sla = s;
        }
        if self.substatus.is_some() {
            f.substatus = self.substatus.clone();
        }
        if self.id.is_some() {
            f.id = self.id;
        }
        f.fields.extend(self.fields.iter().cloned());
        if self.among.is_some() {
            f.among = self.among.clone();
        } else if self.needs_audit() {
            // Not resolved: the terms select nothing rather than everything.
            f.among = Some(Arc::new(Vec::new()));
        }
        if !self.words.is_empty() {
            f.text = Some(self.words.join(" "));
        }
    }
}

/// Reads `text` against pipeline `p`; `me` is who `owner:me` means.
pub fn parse(p: &Pipeline, me: &str, text: &str) -> Terms {
    let mut t = Terms::default();
    for tok in tokens(text) {
        let Some((key, value)) = tok.split_once(':') else {
            let bare = tok.trim_start_matches('#');
            match bare.parse::<i64>() {
                Ok(id) if !bare.is_empty() => t.id = Some(id),
                _ => t.words.push(tok.clone()),
            }
            continue;
        };
        let key = key.to_lowercase();
        let values: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            // Still being typed.
            continue;
        }
        if let Err(e) = term(p, me, &key, &values, &mut t) {
            if AUDIT_KEYS.contains(&key.as_str()) {
                t.audit.push(AuditTerm::Unread);
            }
            t.errors.push(e);
        }
    }
    t
}

fn term(p: &Pipeline, me: &str, key: &str, values: &[&str], t: &mut Terms) -> Result<(), String> {
    match key {
        "stage" => t.stages = Some(stages_named(p, values)?),
        "owner" => {
            let [v] = values else {
                return Err("owner: takes one name, `me` or `none`".into());
            };
            t.owner = Some(match v.to_lowercase().as_str() {
                "me" => OwnerFilter::User(me.to_string()),
                "none" => OwnerFilter::Unassigned,
                name => OwnerFilter::User(name.to_string()),
            });
        }
        "role" => {
            for v in values {
                let found = matching(p.roles.iter().map(|r| (r.id.as_str(), r.id.as_str())), v);
                if found.is_empty() {
                    return Err(format!("no role `{}`", shown(v)));
                }
                t.roles.extend(found);
            }
            t.role_stages = p
                .stages
                .iter()
                .filter(|s| s.owner.is_some_and(|o| t.roles.contains(&p.role(o).id)))
                .map(|s| s.id.clone())
                .collect();
        }
        "sla" => {
            let [v] = values else {
                return Err("sla: takes one of breached, warn, ok, paused".into());
            };
            t.sla = Some(match v.to_lowercase().as_str() {
                "breached" | "breach" => SlaFilter::Breached,
                "warn" | "at-risk" | "at_risk" | "risk" => SlaFilter::AtRisk,
                "ok" => SlaFilter::Ok,
                "paused" => SlaFilter::Paused,
                _ => {
                    return Err(format!(
                        "sla:{} is not one of breached, warn, ok, paused",
                        shown(v)
                    ));
                }
            });
        }
        "sub" => {
            let mut out = Vec::new();
            for v in values {
                if v.eq_ignore_ascii_case("none") {
                    out.push(None);
                    continue;
                }
                let found = matching(
                    p.stages
                        .iter()
                        .flat_map(|st| st.substatuses.iter())
                        .map(|s| (s.id.as_str(), s.label.as_str())),
                    v,
                );
                if found.is_empty() {
                    return Err(format!("no sub-status `{}`", shown(v)));
                }
                for f in found {
                    if !out.contains(&Some(f.clone())) {
                        out.push(Some(f));
                    }
                }
            }
            t.substatus = Some(out);
        }
        "noaction" | "no-action" => {
            let [v] = values else {
                return Err("noaction: takes yes".into());
            };
            if !matches!(v.to_lowercase().as_str(), "yes" | "y" | "true") {
                return Err(format!("noaction:{} is not yes", shown(v)));
            }
            t.audit.push(AuditTerm::NoAction);
        }
        "reason" => {
            let mut out = Vec::new();
            let known = p
                .reasons
                .iter()
                .map(|r| (r.code.as_str(), r.label.as_str()))
                .chain([(UNACKNOWLEDGED, "No reason recorded")]);
            for v in values {
                let found = matching(known.clone(), v);
                if found.is_empty() {
                    let codes: Vec<&str> = known.clone().map(|(c, _)| c).collect();
                    return Err(format!(
                        "no breach reason `{}` (reasons: {})",
                        shown(v),
                        codes.join(", ")
                    ));
                }
                out.extend(found);
            }
            t.audit.push(AuditTerm::Reason(out));
        }
        "exited" => t.audit.push(AuditTerm::Exited(stages_named(p, values)?)),
        other => {
            let Some(field) = p.fields.iter().find(|f| f.filterable && f.id == other) else {
                let fields: Vec<&str> = p
                    .fields
                    .iter()
                    .filter(|f| f.filterable)
                    .map(|f| f.id.as_str())
                    .collect();
                let mut keys = KEYS.to_vec();
                keys.extend(fields);
                return Err(format!(
                    "unknown filter `{}:` (filters: {})",
                    shown(other),
                    keys.join(", ")
                ));
            };
            let mut out = Vec::new();
            for v in values {
                out.push(if field.kind == FieldKind::Choice {
                    field
                        .choices
                        .iter()
                        .find(|c| c.eq_ignore_ascii_case(v))
                        .cloned()
                        .ok_or_else(|| {
                            format!(
                                "{}:{} is not one of {}",
                                field.id,
                                shown(v),
                                field.choices.join(", ")
                            )
                        })?
                } else {
                    v.to_string()
                });
            }
            t.fields.push((field.id.clone(), out));
        }
    }
    Ok(())
}

/// The stages each of `values` names (see [`matching`]); a value that
/// names none is an error.
fn stages_named(p: &Pipeline, values: &[&str]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for v in values {
        let found = matching(p.stages.iter().map(|s| (s.id.as_str(), s.name.as_str())), v);
        if found.is_empty() {
            return Err(format!("no stage `{}`", shown(v)));
        }
        out.extend(found);
    }
    Ok(out)
}

/// Ids whose id or name is `v` (letter case ignored); failing that, those
/// whose id or name starts with it.
fn matching<'a>(items: impl Iterator<Item = (&'a str, &'a str)> + Clone, v: &str) -> Vec<String> {
    let v = v.to_lowercase();
    let exact: Vec<String> = items
        .clone()
        .filter(|(id, name)| id.to_lowercase() == v || name.to_lowercase() == v)
        .map(|(id, _)| id.to_string())
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    items
        .filter(|(id, name)| {
            id.to_lowercase().starts_with(&v) || name.to_lowercase().starts_with(&v)
        })
        .map(|(id, _)| id.to_string())
        .collect()
}

/// Whitespace-separated terms; double quotes keep spaces and are removed.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
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

    #[test]
    fn terms_read_ids_names_prefixes_and_quoted_values() {
        let t = parse(
            &p(),
            "maria",
            "stage:\"pending provider\",intake_r owner:me sla:warn sub:none state:tx #42 grün",
        );
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        assert_eq!(
            t.stages,
            Some(vec!["pending_provider".into(), "intake_review".into()])
        );
        assert_eq!(t.owner, Some(OwnerFilter::User("maria".into())));
        assert_eq!(t.sla, Some(SlaFilter::AtRisk));
        assert_eq!(t.substatus, Some(vec![None]));
        assert_eq!(t.fields, vec![("state".into(), vec!["TX".into()])]);
        assert_eq!(t.id, Some(42));
        assert_eq!(t.words, vec!["grün".to_string()]);
    }

    #[test]
    fn an_unread_audit_term_selects_nothing_rather_than_everything() {
        let mut t = parse(&p(), "kim", "reason:nonsense");
        assert_eq!(t.errors.len(), 1);
        let mut f = ListFilter::default();
        t.apply(&mut f);
        assert_eq!(f.among.as_deref(), Some(&Vec::new()), "unresolved: nothing");
        t.resolve(&p(), &Drill::default());
        let mut f = ListFilter::default();
        t.apply(&mut f);
        assert_eq!(f.among.as_deref(), Some(&Vec::new()), "resolved: nothing");
    }

    #[test]
    fn a_bad_term_is_named_and_left_out_while_the_others_apply() {
        let t = parse(
            &p(),
            "maria",
            "colour:red sla:later stage:nowhere owner:none dob:x",
        );
        assert_eq!(t.owner, Some(OwnerFilter::Unassigned));
        assert_eq!(t.errors.len(), 4, "{:?}", t.errors);
        assert!(t.errors[0].contains("unknown filter `colour:`"));
        assert!(
            t.errors[0].contains("state"),
            "filterable fields are offered"
        );
        assert!(t.errors[1].contains("sla:later"));
        assert!(t.errors[2].contains("no stage `nowhere`"));
        assert!(t.errors[3].contains("`dob:`"), "dob is not filterable");
        // A term still being typed is no error.
        assert!(parse(&p(), "maria", "stage:").errors.is_empty());
    }
}
