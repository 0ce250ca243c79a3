//! Saved console views, one user's each: a name, the built-in view it
//! narrows, and its filter, order, owner mode and columns. Preferences, not
//! history: kept outside the event chain, written only by `:save` and
//! `:view delete`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub name: String,
    /// The built-in view's title.
    pub base: String,
    /// One stage of it, if one was selected.
    pub stage: Option<String>,
    pub filter: String,
    /// As `Sort::text` writes it.
    pub sort: String,
    /// The owner mode's name (`all`, `mine`, ...) or `user:NAME`.
    pub owner: String,
    /// Column ids, comma-separated (empty: the configured columns).
    pub columns: String,
}
