//! The command line, the store and the engine on SQLite: the real binary
//! for every command, the engine and store through the library, and the
//! SQLite-only behaviour (crash safety, concurrent processes, OS
//! accounts). One test binary; each module was once a file of its own.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod accounts;
mod adopt;
mod audit;
mod calendar;
mod check;
mod clear_errors;
mod concurrency;
mod config;
mod contracts;
mod crash;
mod deliver;
mod demo;
mod exchange;
mod exchange_prop;
mod fhir;
mod filters;
mod forged_kinds;
mod formula_csv;
mod hostile;
mod import_limits;
mod import_names;
mod ingest;
mod limits;
mod parser_prop;
mod pipeline_change;
mod pipeline_escapes;
mod pipeline_race;
mod pipes_files;
mod query_plans;
mod read_only;
mod refusals;
mod report;
mod sla;
mod stays;
mod streaming;
mod tables;
mod tamper;
mod trend;
mod verify;
mod walk_alt;
mod walk_default;
mod warnings;
