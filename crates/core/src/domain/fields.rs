//! Record field values: checked against the field's declared type.

use super::model::{Field, FieldKind};
use chrono::NaiveDate;

/// Checks `value` for `field`; the error says what was expected, never echoes
/// the value (it may be patient data).
pub fn check_value(field: &Field, value: &str) -> Result<(), String> {
    match field.kind {
        FieldKind::Text => Ok(()),
        FieldKind::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(|_| ())
            .map_err(|_| format!("`{}` must be a date YYYY-MM-DD", field.id)),
        FieldKind::Integer => value
            .trim()
            .parse::<i64>()
            .map(|_| ())
            .map_err(|_| format!("`{}` must be a whole number", field.id)),
        FieldKind::Choice => {
            if field.choices.iter().any(|c| c == value) {
                Ok(())
            } else {
                Err(format!(
                    "`{}` must be one of: {}",
                    field.id,
                    field.choices.join(", ")
                ))
            }
        }
    }
}
