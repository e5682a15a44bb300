//! The CDN in front of the API (template.yaml's `ApiDistribution`): which requests came through it,
//! and the viewer address it reports for them.
//!
//! Behind CloudFront, API Gateway's `sourceIp` is an edge server's address, shared by every viewer
//! that edge serves, so per-address limits (logins) would count strangers together. CloudFront reports
//! the viewer in `CloudFront-Viewer-Address`, but anyone may call the execute-api URL directly and send
//! that header themselves. It is therefore believed only on a request that also carries the secret
//! CloudFront adds to every request it sends to the API (`X-Origin-Verify`; CloudFront overwrites a
//! viewer's own header of that name), compared in constant time. Without the secret configured (the
//! local stack, the tests by default) no request is CloudFront's.

use std::{net::IpAddr, sync::Arc};

use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::config::EnvReader;

/// The header CloudFront adds to every request it sends to the API, holding [`EdgeSecret`].
pub const ORIGIN_VERIFY: &str = "x-origin-verify";

/// CloudFront's `<ip>:<port>` of the viewer.
pub const VIEWER_ADDRESS: &str = "cloudfront-viewer-address";

/// What CloudFront sends in [`ORIGIN_VERIFY`] (`ORIGIN_VERIFY_SECRET`): a request carrying it came
/// through the CDN.
#[derive(Clone, Debug)]
pub struct EdgeSecret(Arc<SecretString>);

impl EdgeSecret {
    /// Shorter values could be guessed; the template generates 48 characters.
    pub const MIN_LEN: usize = 32;

    /// `ORIGIN_VERIFY_SECRET`, when set.
    pub fn read(env: &mut EnvReader) -> Option<Self> {
        let value = env.optional("ORIGIN_VERIFY_SECRET")?;
        if value.len() < Self::MIN_LEN {
            env.problem(format!(
                "ORIGIN_VERIFY_SECRET must be at least {} characters",
                Self::MIN_LEN
            ));
            return None;
        }
        Some(EdgeSecret(Arc::new(SecretString::from(value))))
    }

    /// The viewer CloudFront reports on a request that carries this secret; `None` for any other
    /// request, and for a header CloudFront would not have written (absent, repeated, malformed).
    pub fn viewer(&self, headers: &HeaderMap) -> Option<IpAddr> {
        if !self.vouches_for(headers) {
            return None;
        }
        let mut values = headers.get_all(VIEWER_ADDRESS).iter();
        match (values.next(), values.next()) {
            (Some(value), None) => parse_viewer_address(value.to_str().ok()?),
            _ => None,
        }
    }

    fn vouches_for(&self, headers: &HeaderMap) -> bool {
        let secret = self.0.expose_secret().as_bytes();
        let mut values = headers.get_all(ORIGIN_VERIFY).iter();
        match (values.next(), values.next()) {
            (Some(value), None) => value.as_bytes().ct_eq(secret).into(),
            _ => false,
        }
    }
}

/// The address in `<ip>:<port>` as CloudFront writes it: `198.51.100.10:46532`, and IPv6 unbracketed,
/// `2001:db8::1:46532` (the port follows the last colon); `[2001:db8::1]:46532` is read too. Anything
/// without a port is refused rather than guessed at.
fn parse_viewer_address(value: &str) -> Option<IpAddr> {
    let (address, port) = value.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err()
    {
        return None;
    }
    let address = address
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(address);
    address.parse().ok()
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const SECRET: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL";

    fn secret() -> EdgeSecret {
        let mut env = EnvReader::from_pairs([("ORIGIN_VERIFY_SECRET", SECRET)]);
        let secret = EdgeSecret::read(&mut env);
        env.finish().unwrap();
        secret.expect("set")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn cloudfront_s_viewer_addresses_are_read_without_their_port() {
        for (value, expected) in [
            ("198.51.100.10:46532", "198.51.100.10"),
            ("2001:db8::8a2e:370:7334:46532", "2001:db8::8a2e:370:7334"),
            ("2001:db8::1:443", "2001:db8::1"),
            ("::1:80", "::1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
        ] {
            assert_eq!(
                parse_viewer_address(value),
                Some(expected.parse().unwrap()),
                "{value}"
            );
        }
    }

    #[test]
    fn what_cloudfront_would_not_write_is_no_address() {
        for value in [
            "",
            "198.51.100.10",
            "198.51.100.10:",
            "198.51.100.10:65536",
            "198.51.100.10:+80",
            "198.51.100.10: 80",
            "2001:db8::1",
            "[2001:db8::1]",
            "example.com:443",
            "198.51.100.10:1, 203.0.113.9:2",
        ] {
            assert_eq!(parse_viewer_address(value), None, "{value:?}");
        }
    }

    #[test]
    fn the_viewer_is_believed_only_with_the_secret() {
        let secret = secret();
        let viewer = Some("198.51.100.7".parse().unwrap());
        assert_eq!(
            secret.viewer(&headers(&[
                (ORIGIN_VERIFY, SECRET),
                (VIEWER_ADDRESS, "198.51.100.7:5000")
            ])),
            viewer
        );
        let prefix = &SECRET[..SECRET.len() - 1];
        for (why, pairs) in [
            ("no secret", vec![(VIEWER_ADDRESS, "198.51.100.7:5000")]),
            (
                "a wrong secret",
                vec![
                    (
                        ORIGIN_VERIFY,
                        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKX",
                    ),
                    (VIEWER_ADDRESS, "198.51.100.7:5000"),
                ],
            ),
            (
                "a prefix of the secret",
                vec![
                    (ORIGIN_VERIFY, prefix),
                    (VIEWER_ADDRESS, "198.51.100.7:5000"),
                ],
            ),
            (
                "the secret twice",
                vec![
                    (ORIGIN_VERIFY, SECRET),
                    (ORIGIN_VERIFY, SECRET),
                    (VIEWER_ADDRESS, "198.51.100.7:5000"),
                ],
            ),
            (
                "two viewer addresses",
                vec![
                    (ORIGIN_VERIFY, SECRET),
                    (VIEWER_ADDRESS, "198.51.100.7:5000"),
                    (VIEWER_ADDRESS, "203.0.113.9:5000"),
                ],
            ),
            ("no viewer address", vec![(ORIGIN_VERIFY, SECRET)]),
        ] {
            assert_eq!(secret.viewer(&headers(&pairs)), None, "{why}");
        }
    }

    #[test]
    fn the_secret_is_optional_but_never_short_and_never_printed() {
        let mut env = EnvReader::from_pairs([("ORIGIN_VERIFY_SECRET", "  ")]);
        assert!(EdgeSecret::read(&mut env).is_none());
        env.finish().unwrap();

        let mut env = EnvReader::from_pairs([("ORIGIN_VERIFY_SECRET", "too-short")]);
        assert!(EdgeSecret::read(&mut env).is_none());
        let message = env.finish().unwrap_err().to_string();
        assert!(
            message.contains("ORIGIN_VERIFY_SECRET must be at least 32 characters")
                && !message.contains("too-short"),
            "{message}"
        );

        assert!(!format!("{:?}", secret()).contains(SECRET));
    }
}
