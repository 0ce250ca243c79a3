//! Encryption at rest (feature `encryption`): `cargo test --features
//! encryption --test encryption`. Without the feature this binary is empty.
#![cfg(feature = "encryption")]

#[path = "../common/mod.rs"]
mod common;

mod at_rest;
mod migrate;

/// Both tests hold this for their whole run: `at_rest` sets
/// `CAREQUEUE_KEY_FILE` in this process (the store reads its key from
/// there), which is sound only while no other thread reads or writes the
/// environment.
static ENV: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// [`ENV`], also after a test that held it failed.
fn env_lock() -> std::sync::MutexGuard<'static, ()> {
    ENV.lock().unwrap_or_else(|e| e.into_inner())
}
