//! HMAC-SHA256 request signatures, as PagerDuty and Slack sign what they send, checked
//! in constant time.

use modelwatch::secret::Secret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const BLOCK: usize = 64;

/// HMAC-SHA256 (RFC 2104) of the concatenated `parts` under `secret`.
pub fn hmac_sha256(secret: &Secret, parts: &[&[u8]]) -> [u8; 32] {
    let key = secret.expose().as_bytes();
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Whether `received_hex` is the hex form of `mac`. The bytes are compared in constant
/// time; malformed hex is simply no match.
pub fn matches_hex(mac: &[u8; 32], received_hex: &str) -> bool {
    match hex::decode(received_hex.trim()) {
        Ok(bytes) => bytes.ct_eq(mac).into(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_cases() {
        let key = Secret::new(String::from_utf8(vec![0x0b; 20]).unwrap());
        assert_eq!(
            hex::encode(hmac_sha256(&key, &[b"Hi There"])),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        let jefe = Secret::new("Jefe");
        assert_eq!(
            hex::encode(hmac_sha256(&jefe, &[b"what do ya want ", b"for nothing?"])),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first (value from Python's hmac module).
        let long = Secret::new("a".repeat(131));
        assert_eq!(
            hex::encode(hmac_sha256(&long, &[b"x"])),
            "76f0801bdbc0ff29214ffdd6edce36467d4142a842d91a011c59c66d12693db0"
        );
    }

    #[test]
    fn hex_comparison_refuses_other_lengths_and_non_hex() {
        let mac = hmac_sha256(&Secret::new("k"), &[b"body"]);
        let good = hex::encode(mac);
        assert!(matches_hex(&mac, &good));
        assert!(matches_hex(&mac, &good.to_uppercase()));
        assert!(!matches_hex(&mac, &good[..62]));
        assert!(!matches_hex(&mac, "zz"));
        assert!(!matches_hex(&mac, ""));
    }
}
