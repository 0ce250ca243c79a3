//! The data side of saved views: list, save, delete, through `ops`; every
//! answer carries the user's views as they now are.

use super::service::{Request, Response, Service};
use crate::ops;
use chrono::{DateTime, Utc};

impl Service {
    pub(super) fn saved_views(
        &mut self,
        req: Request,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Response> {
        let said = match req {
            Request::SaveView(v) => Some(
                ops::views::save(&mut *self.store, &self.user, &v, now)
                    .map(|()| format!("saved view `{}`", v.name)),
            ),
            Request::DeleteView(name) => Some(
                ops::views::delete(&mut *self.store, &self.user, &name)
                    .map(|()| format!("deleted view `{name}`")),
            ),
            _ => None,
        };
        Ok(Response::SavedViews {
            views: ops::views::list(&*self.store, &self.user)?,
            said: said.map(|r| r.map_err(|e| e.to_string())),
        })
    }
}
