//! Saved console views: each user reads, saves and deletes their own.
//! Preferences, outside the event chain; a saved view holds no patient data
//! of its own (its filter is the user's own text).

use super::{Actor, OpError, OpResult};
use carequeue_store::Board;
use carequeue_store::views::SavedView;
use chrono::{DateTime, Utc};

/// Longest view name.
pub const MAX_NAME: usize = 40;

pub fn list(store: &dyn Board, actor: &Actor) -> OpResult<Vec<SavedView>> {
    Ok(store.views(&actor.name)?)
}

/// Saves `v` as one of `actor`'s views (replacing one of the same name).
pub fn save(
    store: &mut dyn Board,
    actor: &Actor,
    v: &SavedView,
    now: DateTime<Utc>,
) -> OpResult<()> {
    check_name(&v.name)?;
    Ok(store.save_view(&actor.name, v, now.timestamp())?)
}

/// Deletes `actor`'s view `name`.
pub fn delete(store: &mut dyn Board, actor: &Actor, name: &str) -> OpResult<()> {
    let gone = store.delete_view(&actor.name, name)?;
    if gone {
        Ok(())
    } else {
        Err(OpError::Invalid(format!(
            "you have no saved view `{}`",
            crate::present::shown(name)
        )))
    }
}

fn check_name(name: &str) -> OpResult<()> {
    let bad = |why: &str| {
        Err(OpError::Invalid(format!(
            "cannot save a view named `{}`: {why}",
            crate::present::shown(name)
        )))
    };
    if name.trim().is_empty() {
        return bad("it needs a name");
    }
    if name.chars().count() > MAX_NAME {
        return bad(&format!("names are at most {MAX_NAME} characters"));
    }
    if name.chars().any(char::is_control) {
        return bad("names hold no control characters");
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        return bad("a number names a view by its position");
    }
    if name.eq_ignore_ascii_case("delete") {
        return bad("`:view delete NAME` deletes a view");
    }
    Ok(())
}
