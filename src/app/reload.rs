//! A pipeline applied while the console is open: the data side loads it,
//! the screen side rebuilds its views under it.

use super::service::{Response, Service};
use super::{App, views};
use crate::domain::Pipeline;
use crate::engine::User;
use crate::ops;
use std::sync::Arc;

impl Service {
    /// Loads the stored pipeline if another was applied since this console
    /// read it. A user whose roles only followed a rename keeps working.
    pub(super) fn reload_pipeline(&mut self) -> anyhow::Result<Option<Response>> {
        let stored = self.store.pipeline_hash()?;
        if stored.is_none() || stored == self.store.expected_pipeline() {
            return Ok(None);
        }
        if self.store.expected_pipeline().is_none() {
            // A handle bound to nothing yet: what is stored now is what
            // this console was opened under.
            self.store.expect_pipeline(stored);
            return Ok(None);
        }
        let Some(current) = self.store.stored_pipeline()? else {
            return Ok(None);
        };
        self.store.expect_pipeline(Some(current.hash.clone()));
        if self.read_only.is_some() {
            // A what-if console keeps its own pipeline; its writes stay refused.
            return Ok(None);
        }
        let Some(p) = crate::domain::check(&current.text).pipeline else {
            anyhow::bail!(
                "the stored pipeline version {} does not pass its checks",
                current.version
            );
        };
        let p = Arc::new(p);
        let renamed: Vec<String> = self
            .user
            .roles
            .iter()
            .map(|r| match p.role_ix_or_renamed(r) {
                Some(ix) => p.role(ix).id.clone(),
                None => r.clone(),
            })
            .collect();
        if let Some(m) = self.store.member(&self.user.name)?
            && m.enabled
            && m.roles == renamed
        {
            self.user = ops::identity::actor(&*self.store, &self.user.name)?;
        }
        self.pipeline = p.clone();
        Ok(Some(Response::PipelineChanged {
            pipeline: p,
            version: current.version,
            user: (*self.user).clone(),
        }))
    }
}

impl App {
    /// Everything on screen, re-read: counts, the visible page, the detail.
    /// Runs under a newly applied pipeline: views rebuilt (the current one
    /// kept by name where it still exists), prompts decided under the old
    /// rules closed.
    pub(super) fn reload(&mut self, pipeline: Arc<Pipeline>, user: User) {
        let name = self.current().title.clone();
        self.pipeline = pipeline;
        self.user = user;
        self.views = views::build(&self.pipeline, &self.user);
        self.view = self
            .views
            .iter()
            .position(|v| v.title == name)
            .unwrap_or_else(|| views::first_view(&self.pipeline, &self.user, &self.views));
        self.stage_sel = 0;
        self.popup = None;
        // The audit (and the records behind its counts, kept by stage
        // position) was computed under the old pipeline.
        self.audit = None;
        self.audit_nav = Default::default();
    }
}
