//! carequeue: a terminal operations console for telehealth care pipelines.
//!
//! This crate is the front ends: the command line ([`cli`]), the console
//! ([`app`] holds its state, [`ui`] draws it, [`tui`] runs it in a
//! terminal), the console's configuration and the demo builder. Below it,
//! each in a crate of its own so the compiler keeps the layers apart:
//! `carequeue-ops` (what users and the system do, and how it is shown),
//! `carequeue-store` (SQLite and PostgreSQL) and `carequeue-core` (the
//! pipeline, the engine's decisions, the typed event log). Data flows one
//! way: `pipeline.toml` → validated [`domain::Pipeline`] → [`engine`]
//! decisions → [`store`] transactions → events → views.

pub use carequeue_core::{domain, engine, log, text};
pub use carequeue_ops as ops;
pub use carequeue_ops::present;
pub use carequeue_store as store;

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod keys;
pub mod state_file;
pub mod terminal;
pub mod tui;
pub mod ui;
