//! Encryption at rest (cargo feature `encryption`: SQLCipher with vendored
//! OpenSSL). The key comes from the file named by `CAREQUEUE_KEY_FILE`,
//! never from the command line, where it would show in `ps` and shell history.

use super::{Result, StoreError};
use rusqlite::Connection;

pub const KEY_FILE_VAR: &str = "CAREQUEUE_KEY_FILE";

#[cfg(feature = "encryption")]
pub fn apply_key(conn: &Connection) -> Result<()> {
    use sha2::{Digest, Sha256};
    let Some(path) = std::env::var_os(KEY_FILE_VAR) else {
        return Err(StoreError::Key(format!(
            "{KEY_FILE_VAR} is not set: this build encrypts databases and needs a key file"
        )));
    };
    let bytes = std::fs::read(&path).map_err(|e| {
        StoreError::Key(format!(
            "cannot read key file {}: {e}",
            std::path::Path::new(&path).display()
        ))
    })?;
    let material = bytes.trim_ascii();
    if material.len() < 16 {
        return Err(StoreError::Key("key file holds fewer than 16 bytes".into()));
    }
    // A raw 256-bit key (SQLCipher's x'..' form) derived from the file, so
    // opening does not pay for a passphrase KDF on every command.
    let key: String = Sha256::digest(material)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // SQLCipher's own log lines must never reach the terminal.
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    conn.execute_batch(&format!("PRAGMA key = \"x'{key}'\";"))?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(_) => Err(StoreError::Key(
            "the key does not open this database (wrong key file, or not an encrypted carequeue database)".into(),
        )),
    }
}

#[cfg(not(feature = "encryption"))]
pub fn apply_key(_conn: &Connection) -> Result<()> {
    if std::env::var_os(KEY_FILE_VAR).is_some() {
        return Err(StoreError::Key(format!(
            "{KEY_FILE_VAR} is set but this carequeue was built without encryption (cargo build --features encryption)"
        )));
    }
    Ok(())
}
