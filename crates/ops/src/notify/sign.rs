//! Signing as the Standard Webhooks specification says: the signed text is
//! `{webhook-id}.{webhook-timestamp}.{body}`, its HMAC-SHA256 under the
//! secret's key is sent base64-encoded as `v1,<signature>` in the
//! `webhook-signature` header, one per secret, space-separated while a key
//! is being rotated. A secret is `whsec_` followed by the key in base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// A signing key, read from its `whsec_…` text.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never printed.
        write!(f, "Secret(…)")
    }
}

impl Secret {
    /// `whsec_` and the key in base64 (at least 24 bytes of key).
    pub fn parse(text: &str) -> Result<Secret, String> {
        let Some(b64) = text.trim().strip_prefix("whsec_") else {
            return Err("a secret starts with `whsec_`".into());
        };
        let key = STANDARD
            .decode(b64)
            .map_err(|_| "the part after `whsec_` is not base64".to_string())?;
        if key.len() < 24 {
            return Err(format!(
                "the key is {} bytes; use 24 or more (32 random bytes, base64)",
                key.len()
            ));
        }
        Ok(Secret(key))
    }

    /// `v1,<base64 HMAC-SHA256 of id.timestamp.body>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes a key of any length.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per secret.
pub fn signature_header(secrets: &[Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example.
    #[test]
    fn signs_the_specification_example() {
        let s = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            s.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_bad_secret_says_why_and_never_prints_itself() {
        assert!(Secret::parse("MfKQ9r8GKYqrTwjU").is_err());
        assert!(Secret::parse("whsec_***").is_err());
        assert!(
            Secret::parse("whsec_c2hvcnQ=")
                .expect_err("short")
                .contains("bytes")
        );
        let s = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        assert_eq!(format!("{s:?}"), "Secret(…)");
    }
}
