//! The console: its state machine driven by key presses with no terminal
//! (`harness`), its screens drawn to a test backend and snapshotted with
//! insta (`snapshots`), the store reads behind its pages, and the real
//! binary in a real pseudo-terminal (`pty`).

#[path = "../common/mod.rs"]
mod common;
mod harness;
mod header;

mod access;
mod attention;
mod audit;
mod breaches;
mod bulk;
mod command;
mod config;
mod confirm;
mod derived_views;
mod drill;
mod filters;
mod first_screens;
mod names;
mod numbers;
mod page_cost;
mod paging;
mod power;
mod pty;
mod pty_jumps;
mod pty_overtaken;
mod pty_trust;
mod record_view;
mod snapshots;
mod spoken;
mod state;
mod trends;
mod views;
mod webhooks;
