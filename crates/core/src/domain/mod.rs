//! The pipeline model: schema, validation and working-time calendars.
//! Nothing here knows a stage, role or event name; all of it is data.

pub mod calendar;
pub mod codes;
#[cfg(test)]
mod confirm_tests;
mod controls;
pub mod diag;
pub mod duration;
pub mod fields;
mod graph;
pub mod model;
mod offsets;
mod raw;
mod resolve;
pub mod work_table;

pub use diag::{Diagnostic, Located, Severity};
pub use model::*;

/// The default pipeline, shipped in the binary.
pub const DEFAULT_PIPELINE: &str = include_str!("../../../../pipeline.toml");

/// Outcome of checking a pipeline source: the model if no error was found,
/// and every diagnostic (errors and warnings) in file order.
pub struct Checked {
    pub pipeline: Option<Pipeline>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Parses and validates a pipeline file. Never panics; every problem is a
/// diagnostic with a span into `source`.
pub fn check(source: &str) -> Checked {
    let raw: raw::RawPipeline = match toml::from_str(source) {
        Ok(r) => r,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_string();
            return Checked {
                pipeline: None,
                diagnostics: vec![Diagnostic::error(codes::SYNTAX, span, msg)],
            };
        }
    };
    let mut r = resolve::Resolver::default();
    controls::check(source, &mut r.diags);
    let pipeline = r.resolve(&raw);
    if let Some(p) = &pipeline {
        graph::check(p, &raw, &mut r.diags);
    }
    let mut diagnostics = r.diags;
    diagnostics.sort_by_key(|d| d.span.start);
    let failed = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Checked {
        pipeline: if failed { None } else { pipeline },
        diagnostics,
    }
}
