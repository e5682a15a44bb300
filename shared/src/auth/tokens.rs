//! Token verification (EdDSA JWTs), which every function with authenticated routes needs. Issuing is
//! the identity crate's (`identity::tokens`): only the auth function holds a private key and signs.
//!
//! Three kinds never stand in for each other: `access` (every authenticated call), `refresh` (only the
//! refresh routes) and `reset` (only `/auth/reset-password`). A refresh token names its session (`sid`)
//! and the session's rotation generation; the session only keeps a counter, never a token id.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use super::{Role, keys::PublicKeys};
use crate::{config::EnvReader, id::Id};

/// The one algorithm tokens are signed with (Ed25519). A token naming any other is refused before
/// its signature is looked at, so no key is ever used with an algorithm it was not made for.
pub const ALGORITHM: Algorithm = Algorithm::EdDSA;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
    Reset,
}

/// What a token says. The issuer fills it in; [`Verifier::verify`] hands it back once it checks out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: Id,
    pub role: Role,
    pub typ: TokenKind,
    /// The session (access and refresh tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Id>,
    /// The session's rotation generation this refresh token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<u64>,
    /// The grant a reset token redeems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// What every function needs to verify a token (`TOKEN_PUBLIC_KEYS`, `JWT_ISSUER`, `JWT_AUDIENCE`). The
/// issuer signs with the same issuer and audience, so they are set once for all functions
/// (template.yaml's Globals).
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// `TOKEN_PUBLIC_KEYS`: the keys a token may be signed with, by kid; the functions refuse to start
    /// without a valid list.
    pub public_keys: PublicKeys,
    /// `JWT_ISSUER`, the `iss` of every token.
    pub issuer: String,
    /// `JWT_AUDIENCE`, the `aud` of every token.
    pub audience: String,
}

impl VerifierConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        VerifierConfig {
            public_keys: PublicKeys::read(env),
            issuer: env
                .optional("JWT_ISSUER")
                .unwrap_or_else(|| "belta-shop".into()),
            audience: env
                .optional("JWT_AUDIENCE")
                .unwrap_or_else(|| "belta-shop-api".into()),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Bad signature, wrong algorithm (`none` included), issuer, audience, expired, or not a JWT.
    #[error("invalid token")]
    Invalid,
    /// A valid token of another kind (a refresh token used as an access token, ...).
    #[error("wrong token kind")]
    WrongKind,
}

/// Checks tokens: algorithm, key id, signature, issuer, audience, expiry, kind.
pub struct Verifier {
    /// By kid: a token names its key, and a kid not listed here is refused.
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl Verifier {
    pub fn new(config: &VerifierConfig) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        let keys = config
            .public_keys
            .iter()
            .map(|key| {
                let decoding = DecodingKey::from_ed_components(&key.x())
                    .expect("a listed key is 32 bytes of base64url");
                (key.kid().to_owned(), decoding)
            })
            .collect();
        Verifier { keys, validation }
    }

    /// Verifies algorithm, key, signature, issuer, audience and expiry, then the kind and that the
    /// claims of that kind are there.
    pub fn verify(&self, token: &str, kind: TokenKind) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != ALGORITHM {
            return Err(TokenError::Invalid);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.get(kid))
            .ok_or(TokenError::Invalid)?;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        let complete = match claims.typ {
            TokenKind::Access => claims.sid.is_some(),
            TokenKind::Refresh => claims.sid.is_some() && claims.generation.is_some(),
            TokenKind::Reset => claims.jti.is_some(),
        };
        if claims.typ != kind {
            Err(TokenError::WrongKind)
        } else if !complete {
            Err(TokenError::Invalid)
        } else {
            Ok(claims)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    #[test]
    fn missing_or_malformed_public_keys_are_refused_at_start() {
        let mut env = EnvReader::from_pairs::<&str, &str>([]);
        let _ = VerifierConfig::read(&mut env);
        let error = env.finish().unwrap_err().to_string();
        assert!(error.contains("TOKEN_PUBLIC_KEYS is missing"), "{error}");

        let mut env = EnvReader::from_pairs([("TOKEN_PUBLIC_KEYS", "k1:short")]);
        let config = VerifierConfig::read(&mut env);
        let error = env.finish().unwrap_err().to_string();
        assert!(error.contains("TOKEN_PUBLIC_KEYS key \"k1\""), "{error}");
        assert_eq!(config.public_keys.iter().count(), 0);
    }

    #[test]
    fn issuer_and_audience_default_to_the_shop() {
        let mut env = EnvReader::from_pairs([("TOKEN_PUBLIC_KEYS", format!("k1:{X}"))]);
        let config = VerifierConfig::read(&mut env);
        env.finish().unwrap();
        assert_eq!(
            (config.issuer.as_str(), config.audience.as_str()),
            ("belta-shop", "belta-shop-api")
        );
        assert_eq!(config.public_keys.get("k1").unwrap().x(), X);
    }
}
