//! How an event is sealed into the chain: SHA-256 over the previous hash
//! and the event's parts, each length-prefixed. Pinned by the first
//! release's chain: a change here would break every stored hash.

use super::NewEvent;
use sha2::{Digest, Sha256};

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Stands for an absent value in the hash input (distinct from "").
pub const NONE: &str = "\u{0}";

/// SHA-256 over the previous hash (as hex), then the id, record id and
/// time (decimal; an absent record id as [`NONE`]) and each text, every part
/// length-prefixed so that no two different contents hash alike. The
/// message is built in `buf` (reused by a bulk load) and hashed at once.
pub fn chain_hash(
    buf: &mut Vec<u8>,
    prev: &str,
    [id, at]: [i64; 2],
    record: Option<i64>,
    texts: [&str; 8],
) -> [u8; 32] {
    fn part(buf: &mut Vec<u8>, b: &[u8]) {
        buf.extend_from_slice(&(b.len() as u64).to_le_bytes());
        buf.extend_from_slice(b);
    }
    buf.clear();
    buf.extend_from_slice(prev.as_bytes());
    let mut digits = [0u8; 20];
    part(buf, decimal(id, &mut digits));
    match record {
        Some(r) => part(buf, decimal(r, &mut digits)),
        None => part(buf, NONE.as_bytes()),
    }
    part(buf, decimal(at, &mut digits));
    for t in texts {
        part(buf, t.as_bytes());
    }
    Sha256::digest(&buf[..]).into()
}

/// The hash `e` carries as event `id` after `prev`, with `actor` as its
/// actor (on PostgreSQL the server's, whatever `e` says).
pub fn event_hash(buf: &mut Vec<u8>, prev: &str, id: i64, e: &NewEvent, actor: &str) -> [u8; 32] {
    chain_hash(
        buf,
        prev,
        [id, e.at],
        e.record_id,
        [
            actor,
            e.kind.as_str(),
            e.event.unwrap_or(NONE),
            e.from.unwrap_or(NONE),
            e.to.unwrap_or(NONE),
            e.reason.unwrap_or(NONE),
            e.note.unwrap_or(NONE),
            e.data.unwrap_or(NONE),
        ],
    )
}

/// `n` in decimal, as `n.to_string()` writes it, without allocating.
fn decimal(n: i64, out: &mut [u8; 20]) -> &[u8] {
    let mut v = n.unsigned_abs();
    let mut at = out.len();
    loop {
        at -= 1;
        out[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        at -= 1;
        out[at] = b'-';
    }
    &out[at..]
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

pub fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Hashes pinned from the first release's chain: a change to how the
    /// message is built must not change a single stored hash.
    #[test]
    fn hashes_match_the_chain_already_on_disk() {
        let e = super::super::EventRow {
            id: 42,
            record_id: Some(-7),
            at: 1_795_748_400,
            actor: "sam".into(),
            kind: super::super::EventKind::Transition.into(),
            event: Some("approve".into()),
            from: Some("in_review".into()),
            to: Some("approved".into()),
            reason: None,
            note: Some("".into()),
            data: Some("{\"a\":\"é\"}".into()),
            hash: String::new(),
        };
        assert_eq!(
            e.expected_hash(GENESIS),
            "720ddf0cdd9a8f1e8a1e57e0b5dee625ff2742690e4cd8551a9f4aacebfa950b"
        );
        assert_eq!(
            e.expected_hash("abc"),
            "ae90f7968bc72928ecb0c570bbb58be43736605737fd1c1f68418f97324a23f9"
        );
    }

    proptest! {
        #[test]
        fn decimal_is_to_string(n in any::<i64>()) {
            let mut d = [0u8; 20];
            let expected = n.to_string();
            prop_assert_eq!(decimal(n, &mut d), expected.as_bytes());
        }
    }

    #[test]
    fn decimal_extremes() {
        let mut d = [0u8; 20];
        for n in [0, -1, 9, 10, i64::MIN, i64::MAX] {
            assert_eq!(decimal(n, &mut d), n.to_string().as_bytes());
        }
    }
}
