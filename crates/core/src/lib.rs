//! carequeue's core: the pipeline as data ([`domain`]), the decisions made
//! on it ([`engine`]: rules, SLA clocks, timers, the audit's maths, the
//! clock) and the text neutraliser every layer uses before a value reaches
//! a person ([`text`]). Pure code: no database, no terminal, no I/O but
//! the clock.

pub mod domain;
pub mod engine;
pub mod log;
pub mod text;
