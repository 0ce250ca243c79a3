//! A record's columns, spelled once: their names and order in the
//! `records` table of both stores, what each holds of a [`Record`], and how
//! a record is read back from a row of them. Each store's reading, writing,
//! copying and updating derives from this list.

use carequeue_core::engine::Record;
use carequeue_core::engine::sla::ClockState;
use std::sync::LazyLock;

/// One column of `records`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Id,
    Patient,
    Stage,
    Substatus,
    Assignee,
    OwnerRole,
    EnteredAt,
    DueAt,
    WarnAt,
    PausedSince,
    PausedLeft,
    /// Derived: the clock's due instant as the queue sorts it.
    SortDue,
    Escalation,
    Priority,
    BreachReason,
    /// The record fields as JSON text.
    Fields,
    CreatedAt,
    UpdatedAt,
    Version,
    TimerAt,
    NotifyRole,
    /// Working seconds into the stay of its last early warning.
    Warned,
    /// When the stay's next early warning is due.
    WarningAt,
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Int,
    Text,
}

/// One column's value for a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Text(String),
    Null,
}

impl Col {
    /// Every column, in table order.
    pub const ALL: [Col; 23] = [
        Col::Id,
        Col::Patient,
        Col::Stage,
        Col::Substatus,
        Col::Assignee,
        Col::OwnerRole,
        Col::EnteredAt,
        Col::DueAt,
        Col::WarnAt,
        Col::PausedSince,
        Col::PausedLeft,
        Col::SortDue,
        Col::Escalation,
        Col::Priority,
        Col::BreachReason,
        Col::Fields,
        Col::CreatedAt,
        Col::UpdatedAt,
        Col::Version,
        Col::TimerAt,
        Col::NotifyRole,
        Col::Warned,
        Col::WarningAt,
    ];

    /// The columns a record is read from, in the order [`record_from`]
    /// reads them: every one but the derived `sort_due`.
    pub const READ: [Col; 22] = [
        Col::Id,
        Col::Patient,
        Col::Stage,
        Col::Substatus,
        Col::Assignee,
        Col::OwnerRole,
        Col::EnteredAt,
        Col::DueAt,
        Col::WarnAt,
        Col::PausedSince,
        Col::PausedLeft,
        Col::Escalation,
        Col::Priority,
        Col::BreachReason,
        Col::Fields,
        Col::CreatedAt,
        Col::UpdatedAt,
        Col::Version,
        Col::TimerAt,
        Col::NotifyRole,
        Col::Warned,
        Col::WarningAt,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::Patient => "patient",
            Col::Stage => "stage",
            Col::Substatus => "substatus",
            Col::Assignee => "assignee",
            Col::OwnerRole => "owner_role",
            Col::EnteredAt => "entered_at",
            Col::DueAt => "due_at",
            Col::WarnAt => "warn_at",
            Col::PausedSince => "paused_since",
            Col::PausedLeft => "paused_left",
            Col::SortDue => "sort_due",
            Col::Escalation => "escalation",
            Col::Priority => "priority",
            Col::BreachReason => "breach_reason",
            Col::Fields => "fields",
            Col::CreatedAt => "created_at",
            Col::UpdatedAt => "updated_at",
            Col::Version => "version",
            Col::TimerAt => "timer_at",
            Col::NotifyRole => "notify_role",
            Col::Warned => "warned",
            Col::WarningAt => "warning_at",
        }
    }

    pub const fn ty(self) -> Ty {
        match self {
            Col::Patient
            | Col::Stage
            | Col::Substatus
            | Col::Assignee
            | Col::OwnerRole
            | Col::BreachReason
            | Col::Fields
            | Col::NotifyRole => Ty::Text,
            _ => Ty::Int,
        }
    }

    /// What `r` holds in this column.
    pub fn value(self, r: &Record) -> Value {
        let int = |v: Option<i64>| v.map_or(Value::Null, Value::Int);
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
        match self {
            Col::Id => Value::Int(r.id),
            Col::Patient => Value::Text(r.patient.clone()),
            Col::Stage => Value::Text(r.stage.clone()),
            Col::Substatus => text(&r.substatus),
            Col::Assignee => text(&r.assignee),
            Col::OwnerRole => text(&r.owner_role),
            Col::EnteredAt => Value::Int(r.entered_at),
            Col::DueAt => int(r.due_at),
            Col::WarnAt => int(r.warn_at),
            Col::PausedSince => int(r.paused_since),
            Col::PausedLeft => int(r.paused_left),
            Col::SortDue => Value::Int(ClockState::of(r).sort_due()),
            Col::Escalation => Value::Int(r.escalation),
            Col::Priority => Value::Int(r.priority),
            Col::BreachReason => text(&r.breach_reason),
            Col::Fields => Value::Text(fields_json(r)),
            Col::CreatedAt => Value::Int(r.created_at),
            Col::UpdatedAt => Value::Int(r.updated_at),
            Col::Version => Value::Int(r.version),
            Col::TimerAt => int(r.timer_at),
            Col::NotifyRole => text(&r.notify_role),
            Col::Warned => Value::Int(r.warned),
            Col::WarningAt => int(r.warning_at),
        }
    }
}

/// The record fields as stored: JSON text.
pub fn fields_json(r: &Record) -> String {
    serde_json::to_string(&r.fields).unwrap_or_else(|_| "{}".to_string())
}

/// [`Col::READ`]'s names, comma-separated, for a `SELECT`.
pub fn read_list() -> &'static str {
    static LIST: LazyLock<String> = LazyLock::new(|| {
        Col::READ
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    });
    &LIST
}

/// A row of [`Col::READ`] as each store's client reads it.
pub trait Cells {
    type Error;
    fn int(&self, i: usize) -> Result<i64, Self::Error>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
}

/// A record from a row of [`Col::READ`].
pub fn record_from<C: Cells>(c: &C) -> Result<Record, C::Error> {
    let at = |col: Col| Col::READ.iter().position(|x| *x == col).unwrap_or(0);
    let fields: String = c.text(at(Col::Fields))?;
    Ok(Record {
        id: c.int(at(Col::Id))?,
        patient: c.text(at(Col::Patient))?,
        stage: c.text(at(Col::Stage))?,
        substatus: c.opt_text(at(Col::Substatus))?,
        assignee: c.opt_text(at(Col::Assignee))?,
        owner_role: c.opt_text(at(Col::OwnerRole))?,
        entered_at: c.int(at(Col::EnteredAt))?,
        due_at: c.opt_int(at(Col::DueAt))?,
        warn_at: c.opt_int(at(Col::WarnAt))?,
        paused_since: c.opt_int(at(Col::PausedSince))?,
        paused_left: c.opt_int(at(Col::PausedLeft))?,
        escalation: c.int(at(Col::Escalation))?,
        priority: c.int(at(Col::Priority))?,
        breach_reason: c.opt_text(at(Col::BreachReason))?,
        // A corrupt fields text shows as no fields rather than failing
        // the whole list.
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        created_at: c.int(at(Col::CreatedAt))?,
        updated_at: c.int(at(Col::UpdatedAt))?,
        version: c.int(at(Col::Version))?,
        timer_at: c.opt_int(at(Col::TimerAt))?,
        notify_role: c.opt_text(at(Col::NotifyRole))?,
        warned: c.int(at(Col::Warned))?,
        warning_at: c.opt_int(at(Col::WarningAt))?,
    })
}

#[cfg(test)]
mod tests {
    use super::Col;

    #[test]
    fn the_read_columns_are_all_but_the_derived_one_in_table_order() {
        let all: Vec<Col> = Col::ALL
            .into_iter()
            .filter(|c| *c != Col::SortDue)
            .collect();
        assert_eq!(all, Col::READ.to_vec());
    }
}
