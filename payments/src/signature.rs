//! Stripe's webhook signature scheme, both halves.
//!
//! The provider sends `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, where each `v1` is
//! HMAC-SHA256 over `"{t}.{raw body}"` keyed with the endpoint's webhook secret (several `v1` entries
//! appear while a secret is being rolled). A request is genuine when any `v1` matches, compared in
//! constant time, and `t` is within [`TOLERANCE_SECS`] of now, which bounds how long a captured
//! request can be replayed. [`sign`] is the sending half, used by the local provider (devpay).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::PaymentError;

/// How far a signature's timestamp may be from our clock, either way (Stripe's default, 5 minutes).
pub const TOLERANCE_SECS: i64 = 300;

/// Headers longer than this are refused unread: a genuine one holds a timestamp and a few signatures.
const MAX_HEADER_LEN: usize = 4096;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> [u8; 32] {
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac.finalize().into_bytes().into()
}

/// The `Stripe-Signature` header value for `payload` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, payload))
    )
}

/// Checks a `Stripe-Signature` header against the raw body. Every failure is
/// [`PaymentError::BadSignature`]: a caller learns nothing about which part was wrong.
pub fn verify_signature(
    secret: &str,
    payload: &[u8],
    header: &str,
    now_secs: i64,
) -> Result<(), PaymentError> {
    let (timestamp, candidates) = parse_header(header).ok_or(PaymentError::BadSignature)?;
    if (now_secs - timestamp).abs() > TOLERANCE_SECS {
        return Err(PaymentError::BadSignature);
    }
    let expected = mac(secret, timestamp, payload);
    // Every candidate is compared (no early exit), each in constant time.
    let matched = candidates
        .iter()
        .filter_map(|hex_mac| hex::decode(hex_mac).ok())
        .filter(|mac| mac.len() == expected.len())
        .fold(subtle::Choice::from(0), |any, mac| {
            any | mac.as_slice().ct_eq(&expected)
        });
    if bool::from(matched) {
        Ok(())
    } else {
        Err(PaymentError::BadSignature)
    }
}

/// `t` and the `v1` values; other schemes (Stripe's test-only `v0`) are ignored. `None` when there is
/// no single well-formed `t` or no `v1`.
fn parse_header(header: &str) -> Option<(i64, Vec<&str>)> {
    if header.len() > MAX_HEADER_LEN {
        return None;
    }
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for item in header.split(',') {
        let (key, value) = item.trim().split_once('=')?;
        match key {
            "t" if timestamp.is_none() => timestamp = Some(value.parse::<i64>().ok()?),
            "t" => return None,
            "v1" => candidates.push(value),
            _ => {}
        }
    }
    if candidates.is_empty() {
        return None;
    }
    Some((timestamp?, candidates))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const PAYLOAD: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
    const T: i64 = 1_700_000_000;

    fn check(header: &str, now: i64) -> bool {
        verify_signature(SECRET, PAYLOAD, header, now).is_ok()
    }

    #[test]
    fn signing_matches_an_independent_hmac_sha256() {
        // Computed with Python: hmac.new(b"whsec_test_secret", b"1700000000." + PAYLOAD, sha256).hexdigest()
        assert_eq!(
            sign(SECRET, T, PAYLOAD),
            "t=1700000000,v1=a13d4b1f9003bc2fb6c06224e878b6056185eaa50d40e1e7dc05517f8af41d7b"
        );
    }

    #[test]
    fn a_fresh_genuine_signature_is_accepted() {
        assert!(check(&sign(SECRET, T, PAYLOAD), T));
        assert!(check(&sign(SECRET, T, PAYLOAD), T + TOLERANCE_SECS));
        assert!(check(&sign(SECRET, T, PAYLOAD), T - TOLERANCE_SECS));
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let header = sign(SECRET, T, PAYLOAD);
        let tampered = br#"{"id":"evt_1","type":"checkout.session.completeD"}"#;
        assert!(verify_signature(SECRET, tampered, &header, T).is_err());
    }

    #[test]
    fn a_signature_made_with_another_secret_is_refused() {
        assert!(!check(&sign("whsec_other", T, PAYLOAD), T));
    }

    #[test]
    fn a_changed_timestamp_breaks_the_signature() {
        let header = sign(SECRET, T, PAYLOAD).replace("t=1700000000", "t=1700000001");
        assert!(!check(&header, T));
    }

    #[test]
    fn stale_or_future_timestamps_are_refused() {
        let header = sign(SECRET, T, PAYLOAD);
        assert!(!check(&header, T + TOLERANCE_SECS + 1), "too old");
        assert!(!check(&header, T - TOLERANCE_SECS - 1), "from the future");
    }

    #[test]
    fn any_matching_v1_among_several_is_enough() {
        let genuine = sign(SECRET, T, PAYLOAD);
        let genuine_mac = genuine.split_once(",v1=").unwrap().1;
        let wrong = "00".repeat(32);
        let header = format!("t={T},v1={wrong},v0=abc,v1={genuine_mac}");
        assert!(check(&header, T));
        let header = format!("t={T},v1={genuine_mac},v1=not-hex");
        assert!(check(&header, T));
        let header = format!("t={T},v1={wrong},v1=not-hex");
        assert!(!check(&header, T));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let genuine = sign(SECRET, T, PAYLOAD);
        let genuine_mac = genuine.split_once(",v1=").unwrap().1;
        let cases = [
            ("", "empty"),
            ("garbage", "no key=value"),
            (&format!("v1={genuine_mac}") as &str, "no timestamp"),
            (&format!("t={T}"), "no v1"),
            (
                &format!("t=soon,v1={genuine_mac}"),
                "timestamp not a number",
            ),
            (&format!("t={T},t={T},v1={genuine_mac}"), "two timestamps"),
            (&format!("t={T},v0={genuine_mac}"), "only the test scheme"),
            (&format!("t={T},v1={}", &genuine_mac[..40]), "truncated mac"),
            (
                &format!("t={T},v1={genuine_mac},{}", "x".repeat(5000)),
                "too long",
            ),
        ];
        for (header, why) in cases {
            assert!(!check(header, T), "{why}: {header:?}");
        }
    }
}
