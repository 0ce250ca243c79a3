//! carequeue: a terminal operations console for telehealth care pipelines.
//!
//! Data flows one way: `pipeline.toml` → validated [`domain::Pipeline`] →
//! [`engine`] decisions → [`store`] transactions → events → views.
//! `domain`, `engine` and `store` never touch the terminal.

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod ops;
pub mod present;
pub mod state_file;
pub mod store;
pub mod tui;
pub mod ui;
