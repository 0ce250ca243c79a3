//! What the board counts: per stage, and breached or at-risk records by
//! stage and owner.

/// One stage's totals now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageCount {
    pub stage: String,
    pub total: i64,
    pub breached: i64,
    pub at_risk: i64,
    pub unassigned: i64,
}

/// Breached and at-risk records of one stage and owner (the Breaches view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachGroup {
    pub stage: String,
    pub owner: Option<String>,
    pub breached: i64,
    pub at_risk: i64,
    /// Earliest due time in the group: how far over the worst one is.
    pub oldest_due: i64,
}
