//! Queue order: by due time (the default), age, patient or id, either
//! direction, paged by keyset on (sort column, id) so a page costs the same
//! at row 10 as at row 1,000,000 whatever the order. Each order has its
//! indexes, table-wide and per stage (see schema step 5).

use carequeue_core::engine::Record;
use carequeue_core::engine::sla::ClockState;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// The wall-clock due instant: most urgent first.
    #[default]
    Due,
    /// Time in the current stage.
    Age,
    /// The patient's name (letter case ignored).
    Patient,
    /// The record id: the order records arrived in.
    Id,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [SortKey::Due, SortKey::Age, SortKey::Patient, SortKey::Id];

    pub fn id(self) -> &'static str {
        match self {
            SortKey::Due => "due",
            SortKey::Age => "age",
            SortKey::Patient => "patient",
            SortKey::Id => "id",
        }
    }

    /// As shown in a title: "by due time".
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Due => "due time",
            SortKey::Age => "age",
            SortKey::Patient => "patient",
            SortKey::Id => "id",
        }
    }

    pub fn parse(s: &str) -> Option<SortKey> {
        match s.trim().to_ascii_lowercase().as_str() {
            "due" | "due_time" | "sla" => Some(SortKey::Due),
            "age" => Some(SortKey::Age),
            "patient" | "name" => Some(SortKey::Patient),
            "id" => Some(SortKey::Id),
            _ => None,
        }
    }

    /// The direction a bare `:sort KEY` takes: soonest due, oldest, A to Z,
    /// lowest id.
    pub fn natural(self) -> Sort {
        Sort {
            key: self,
            desc: self == SortKey::Age,
        }
    }
}

/// An order: a key and a direction. `desc` reverses the key's own sense
/// (for age, descending is oldest first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Sort {
    pub key: SortKey,
    pub desc: bool,
}

impl Sort {
    /// `due`, `age desc`, `patient:asc`: a key and an optional direction.
    pub fn parse(s: &str) -> Result<Sort, String> {
        let mut words = s.split([' ', ':']).filter(|w| !w.is_empty());
        let key_word = words.next().unwrap_or("");
        let key = SortKey::parse(key_word).ok_or_else(|| {
            format!(
                "unknown sort `{}` (one of: due, age, patient, id)",
                carequeue_core::text::shown(key_word)
            )
        })?;
        let mut sort = key.natural();
        match words.next() {
            None => {}
            Some(d) if d.eq_ignore_ascii_case("asc") => sort.desc = false,
            Some(d) if d.eq_ignore_ascii_case("desc") => sort.desc = true,
            Some(d) => {
                return Err(format!(
                    "unknown direction `{}` (asc or desc)",
                    carequeue_core::text::shown(d)
                ));
            }
        }
        if let Some(extra) = words.next() {
            return Err(format!(
                "unexpected `{}` after the sort",
                carequeue_core::text::shown(extra)
            ));
        }
        Ok(sort)
    }

    /// `due asc`: what `parse` reads back.
    pub fn text(self) -> String {
        format!(
            "{} {}",
            self.key.id(),
            if self.desc { "desc" } else { "asc" }
        )
    }

    /// "by due time ↑", for titles.
    pub fn title(self) -> String {
        format!(
            "by {} {}",
            self.key.label(),
            if self.desc { "↓" } else { "↑" }
        )
    }

    /// Whether the SQL order is descending (age ascending is the latest
    /// entry first).
    pub fn sql_desc(self) -> bool {
        match self.key {
            SortKey::Age => !self.desc,
            _ => self.desc,
        }
    }

    /// The key of `r` in this order.
    pub fn row_key(self, r: &Record) -> RowKey {
        let v = match self.key {
            SortKey::Due => KeyVal::Int(ClockState::of(r).sort_due()),
            SortKey::Age => KeyVal::Int(r.entered_at),
            // NOCASE folds ASCII letters only; so does this, so a merge in
            // Rust orders rows exactly as SQLite does.
            SortKey::Patient => KeyVal::Text(r.patient.to_ascii_lowercase()),
            SortKey::Id => KeyVal::Int(r.id),
        };
        (v, r.id)
    }

    /// Orders two rows as the query does.
    pub fn compare(self, a: &Record, b: &Record) -> Ordering {
        let o = self.row_key(a).cmp(&self.row_key(b));
        if self.sql_desc() { o.reverse() } else { o }
    }

    /// How two keys compare in this order (the first is read first when Less).
    pub fn key_cmp(self, a: &RowKey, b: &RowKey) -> Ordering {
        let o = a.cmp(b);
        if self.sql_desc() { o.reverse() } else { o }
    }
}

/// One row's sort value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyVal {
    Int(i64),
    Text(String),
}

/// A row's place in an order: its sort value, then its id.
pub type RowKey = (KeyVal, i64);

/// Where a page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Seek {
    #[default]
    Start,
    /// From this key on, inclusive.
    From(RowKey),
    /// The rows strictly before this key, nearest last (returned in order).
    Before(RowKey),
    /// The last rows (returned in order).
    End,
}

impl Seek {
    pub fn backwards(&self) -> bool {
        matches!(self, Seek::Before(_) | Seek::End)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_with_their_natural_direction_and_read_back() {
        assert_eq!(Sort::parse("due"), Ok(Sort::default()));
        assert_eq!(
            Sort::parse("age"),
            Ok(Sort {
                key: SortKey::Age,
                desc: true
            })
        );
        assert_eq!(
            Sort::parse("patient desc").map(Sort::title),
            Ok("by patient ↓".to_string())
        );
        for s in ["due asc", "age desc", "patient asc", "id desc"] {
            assert_eq!(Sort::parse(s).map(Sort::text).as_deref(), Ok(s));
        }
        assert!(
            Sort::parse("colour")
                .err()
                .is_some_and(|e| e.contains("colour"))
        );
        assert!(Sort::parse("due sideways").is_err());
    }
}
