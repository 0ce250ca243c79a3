//! What a queue query selects, on either store. Every term is served by an
//! index: stages and owners by the urgency indexes, patient names by the
//! trigram full-text index (accents and letter case folded), filterable
//! record fields by an index of their own.

use super::sort::{RowKey, Seek, Sort, SortKey};

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
    /// Only records among these ids (sorted): a drill-down's records, as
    /// the audit that counted them found them. Read by primary key.
    pub among: Option<std::sync::Arc<Vec<i64>>>,
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
    pub(crate) fn has_terms(&self) -> bool {
        !self.words().is_empty()
            || !self.notified.is_empty()
            || !self.roles.is_empty()
            || self.substatus.is_some()
            || self.id.is_some()
            || self.among.is_some()
            || !self.fields.is_empty()
    }

    /// Terms that name the records themselves (an id, a drill-down's ids):
    /// the primary key finds them, then they are sorted.
    pub(crate) fn names_ids(&self) -> bool {
        self.id.is_some() || self.among.is_some()
    }

    pub(crate) fn words(&self) -> Vec<String> {
        self.text
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    /// The name words as the query reads them: each word a list of
    /// alternatives, any of which the name holds (`ada,bea`: a comma means
    /// OR, as in every other term); the words all of which it holds.
    pub(crate) fn word_groups(&self) -> Vec<Vec<String>> {
        self.words()
            .iter()
            .map(|w| {
                w.split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .filter(|g| !g.is_empty())
            .collect()
    }

    /// Terms that find their rows on an index of their own (names, fields).
    pub(crate) fn picks_rows(&self) -> bool {
        !self.names_ids() && (!self.words().is_empty() || !self.fields.is_empty())
    }

    /// Whether a page is better read per stage and merged (a few stages,
    /// each walked on its own index) than on one table-wide index.
    pub(crate) fn mergeable(&self) -> bool {
        self.notified.is_empty() && self.words().is_empty() && !self.names_ids()
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
