//! HMAC-SHA256 request signatures, as PagerDuty and Slack sign what they send, checked
//! in constant time (the `hmac` crate's own verification).

use hmac::{Hmac, Mac};
use modelwatch::secret::Secret;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Whether `received_hex` is the hex HMAC-SHA256 of `parts` under `secret`. Malformed hex
/// is simply no match.
pub fn signed(secret: &Secret, parts: &[&[u8]], received_hex: &str) -> bool {
    signed_any(secret, parts, [received_hex])
}

/// Whether any of `candidates` is the hex HMAC-SHA256 of `parts` under `secret`. The body
/// is hashed once, however many candidates a header lists: a forged header of thousands
/// must not cost a hash of the body each.
pub fn signed_any<'a>(
    secret: &Secret,
    parts: &[&[u8]],
    candidates: impl IntoIterator<Item = &'a str>,
) -> bool {
    let Some(mac) = mac_of(secret, parts) else {
        return false;
    };
    let mut matched = false;
    for candidate in candidates {
        if let Ok(bytes) = hex::decode(candidate.trim()) {
            // Each candidate is checked in full, in constant time, matched or not.
            matched |= mac.clone().verify_slice(&bytes).is_ok();
        }
    }
    matched
}

/// The MAC over `parts`; `None` never happens in practice (HMAC takes keys of any
/// length, hashing long ones first, RFC 2104).
fn mac_of(secret: &Secret, parts: &[&[u8]]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes()).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

/// HMAC-SHA256 of the concatenated `parts` under `secret`, as a sender computes it.
#[cfg(test)]
pub fn hmac_sha256(secret: &Secret, parts: &[&[u8]]) -> [u8; 32] {
    mac_of(secret, parts)
        .expect("any key length")
        .finalize()
        .into_bytes()
        .into()
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
    fn verification_refuses_other_lengths_and_non_hex() {
        let key = Secret::new("k");
        let good = hex::encode(hmac_sha256(&key, &[b"body"]));
        assert!(signed(&key, &[b"body"], &good));
        assert!(signed(&key, &[b"body"], &good.to_uppercase()));
        assert!(!signed(&key, &[b"body"], &good[..62]));
        assert!(!signed(&key, &[b"other"], &good));
        assert!(!signed(&key, &[b"body"], "zz"));
        assert!(!signed(&key, &[b"body"], ""));
    }

    #[test]
    fn any_of_several_candidates_matches_wherever_it_stands() {
        let key = Secret::new("k");
        let good = hex::encode(hmac_sha256(&key, &[b"body"]));
        let other = hex::encode(hmac_sha256(&key, &[b"other"]));
        assert!(signed_any(&key, &[b"body"], ["zz", "", &other, &good]));
        assert!(signed_any(&key, &[b"body"], [good.as_str(), "zz"]));
        assert!(!signed_any(&key, &[b"body"], ["zz", "", &other]));
        assert!(!signed_any(&key, &[b"body"], []));
    }
}
