//! The public token keys: which keys every function accepts (`TOKEN_PUBLIC_KEYS`) and the JWK set that
//! `GET /.well-known/jwks.json` publishes.
//!
//! Tokens are signed with Ed25519 (JWS `EdDSA`) by the auth function alone; its private key lives in
//! Secrets Manager (`identity::tokens::SigningKey`). Public keys are not secrets, so every function
//! reads them from plain configuration: verifying a token needs no network call, at init or later.
//! Each key has a `kid`, which every token names in its header, so that two keys can be accepted at
//! once while the signing key rotates (README, "Token keys and their rotation").

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::EnvReader;

/// The most keys accepted at once: the current one, the next one, and one being retired.
pub const MAX_PUBLIC_KEYS: usize = 3;

/// A key id: 1 to 64 characters of `A-Z a-z 0-9 . _ -` (it travels in headers and in a
/// comma-separated setting, so nothing that needs escaping).
pub fn is_valid_kid(kid: &str) -> bool {
    (1..=64).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// One Ed25519 public key and its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    kid: String,
    x: [u8; 32],
}

impl PublicKey {
    /// `None` unless the kid is valid and `x` is a point of the curve.
    pub fn new(kid: &str, x: [u8; 32]) -> Option<Self> {
        let on_curve = ed25519_dalek::VerifyingKey::from_bytes(&x).is_ok();
        (is_valid_kid(kid) && on_curve).then(|| PublicKey {
            kid: kid.to_owned(),
            x,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key's 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.x
    }

    /// The key as a JWK's `x`: base64url without padding.
    pub fn x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.x)
    }

    /// `<kid>:<x>`, this key's entry in `TOKEN_PUBLIC_KEYS`.
    pub fn entry(&self) -> String {
        format!("{}:{}", self.kid, self.x())
    }

    fn parse_entry(entry: &str) -> Result<Self, String> {
        let (kid, x) = entry
            .split_once(':')
            .ok_or_else(|| format!("entry {entry:?} is not <kid>:<x>"))?;
        let (kid, x) = (kid.trim(), x.trim());
        if !is_valid_kid(kid) {
            return Err(format!(
                "kid {kid:?} must be 1 to 64 characters of A-Z a-z 0-9 . _ -"
            ));
        }
        let bytes: [u8; 32] = URL_SAFE_NO_PAD
            .decode(x)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                format!("key {kid:?} must be 32 bytes in base64url without padding (a JWK's x)")
            })?;
        PublicKey::new(kid, bytes).ok_or_else(|| format!("key {kid:?} is not an Ed25519 key"))
    }
}

/// The keys tokens may be signed with: `TOKEN_PUBLIC_KEYS`, a comma-separated list of `<kid>:<x>`
/// (1 to [`MAX_PUBLIC_KEYS`] entries, distinct kids), where `x` is the Ed25519 public key as in a JWK.
/// The default is empty and accepts no token (what a configuration that failed to read holds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicKeys(Vec<PublicKey>);

impl PublicKeys {
    /// `TOKEN_PUBLIC_KEYS`, required; a missing or malformed list is a problem of `env` (and an empty
    /// set beside it).
    pub fn read(env: &mut EnvReader) -> Self {
        let listed = env.required("TOKEN_PUBLIC_KEYS");
        Self::parse(&listed).unwrap_or_else(|problem| {
            if !listed.is_empty() {
                env.problem(format!("TOKEN_PUBLIC_KEYS {problem}"));
            }
            PublicKeys::default()
        })
    }

    /// The message says what is wrong (public keys may be quoted: they are not secret).
    pub fn parse(list: &str) -> Result<Self, String> {
        let keys = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(PublicKey::parse_entry)
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_keys(keys)
    }

    pub fn from_keys(keys: Vec<PublicKey>) -> Result<Self, String> {
        if keys.is_empty() || keys.len() > MAX_PUBLIC_KEYS {
            return Err(format!("must list 1 to {MAX_PUBLIC_KEYS} keys"));
        }
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid == key.kid) {
                return Err(format!("lists kid {:?} twice", key.kid));
            }
        }
        Ok(PublicKeys(keys))
    }

    pub fn get(&self, kid: &str) -> Option<&PublicKey> {
        self.0.iter().find(|k| k.kid == kid)
    }

    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.0.iter()
    }

    /// The same list, as `TOKEN_PUBLIC_KEYS` spells it.
    pub fn to_setting(&self) -> String {
        self.0
            .iter()
            .map(PublicKey::entry)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The JWK set (RFC 7517) of these keys, in their order.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .0
                .iter()
                .map(|k| Jwk {
                    kty: "OKP",
                    crv: "Ed25519",
                    alg: "EdDSA",
                    use_: "sig",
                    kid: k.kid.clone(),
                    x: k.x(),
                })
                .collect(),
        }
    }
}

/// A JWK set: the public keys that verify this API's tokens.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// One Ed25519 public key as a JWK (RFC 8037).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Jwk {
    /// Always `OKP`.
    #[schema(example = "OKP")]
    pub kty: &'static str,
    /// Always `Ed25519`.
    #[schema(example = "Ed25519")]
    pub crv: &'static str,
    /// Always `EdDSA`.
    #[schema(example = "EdDSA")]
    pub alg: &'static str,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: &'static str,
    /// The key id tokens name in their header.
    pub kid: String,
    /// The public key, base64url without padding.
    pub x: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The public key of the RFC 8032 test vector 1 (a point of the curve).
    const X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    #[test]
    fn a_list_of_kid_and_key_pairs_parses_and_round_trips() {
        let keys = PublicKeys::parse(&format!(" k-2026.1:{X} , k_2027:{X},")).unwrap();
        assert_eq!(
            keys.iter().map(PublicKey::kid).collect::<Vec<_>>(),
            ["k-2026.1", "k_2027"]
        );
        assert_eq!(keys.get("k_2027").unwrap().x(), X);
        assert!(keys.get("other").is_none());
        assert_eq!(keys.to_setting(), format!("k-2026.1:{X},k_2027:{X}"));
    }

    #[test]
    fn malformed_lists_are_refused_with_a_reason() {
        let short = URL_SAFE_NO_PAD.encode([1u8; 31]);
        // Not a point of the curve (y = 2 has no x).
        let off_curve = URL_SAFE_NO_PAD.encode({
            let mut y = [0u8; 32];
            y[0] = 2;
            y
        });
        for (list, why, expected) in [
            ("", "empty", "1 to 3 keys"),
            (X, "no kid", "not <kid>:<x>"),
            (&format!("a b:{X}"), "space in kid", "kid \"a b\""),
            (
                &format!("{}:{X}", "k".repeat(65)),
                "long kid",
                "must be 1 to 64",
            ),
            (&format!("a:{short}"), "31 bytes", "32 bytes"),
            (&format!("a:{X}="), "padding", "32 bytes"),
            (
                &format!("a:{off_curve}"),
                "off the curve",
                "not an Ed25519 key",
            ),
            (&format!("a:{X},a:{X}"), "duplicate kid", "twice"),
            (
                &format!("a:{X},b:{X},c:{X},d:{X}"),
                "four keys",
                "1 to 3 keys",
            ),
        ] {
            let error = PublicKeys::parse(list).unwrap_err();
            assert!(error.contains(expected), "{why}: {error}");
        }
    }

    #[test]
    fn the_jwk_set_names_type_curve_algorithm_use_kid_and_key() {
        let keys = PublicKeys::parse(&format!("k1:{X}")).unwrap();
        assert_eq!(
            serde_json::to_value(keys.jwks()).unwrap(),
            serde_json::json!({"keys": [
                {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "k1", "x": X}
            ]})
        );
    }
}
