//! The team as a store keeps it: each user with their roles, the login
//! they are linked to, and whether they may still act.

use carequeue_core::engine::User;
use serde::{Deserialize, Serialize};

/// A user as stored: what [`User`] holds, and the account bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub roles: Vec<String>,
    pub login: Option<String>,
    pub enabled: bool,
    #[serde(skip)]
    pub created_at: i64,
}

impl Member {
    pub fn user(&self) -> User {
        User {
            name: self.name.clone(),
            roles: self.roles.clone(),
        }
    }
}
