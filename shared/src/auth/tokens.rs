//! Token verification (HS256 JWTs), which every function with authenticated routes needs. Issuing is
//! the identity crate's (`identity::tokens`): only the auth function signs.
//!
//! Three kinds never stand in for each other: `access` (every authenticated call), `refresh` (only the
//! refresh routes) and `reset` (only `/auth/reset-password`). A refresh token names its session (`sid`)
//! and the session's rotation generation; the session only keeps a counter, never a token id.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::{config::EnvReader, id::Id};

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

/// What every function needs to verify a token (`JWT_SECRET`, `JWT_ISSUER`, `JWT_AUDIENCE`). The
/// issuer signs with the same three, so they are set once for all functions (template.yaml's Globals).
pub struct VerifierConfig {
    /// `JWT_SECRET`: at least 32 bytes; the functions refuse to start otherwise.
    pub secret: SecretString,
    /// `JWT_ISSUER`, the `iss` of every token.
    pub issuer: String,
    /// `JWT_AUDIENCE`, the `aud` of every token.
    pub audience: String,
}

impl VerifierConfig {
    pub const MIN_SECRET_BYTES: usize = 32;

    pub fn read(env: &mut EnvReader) -> Self {
        let secret = env.required("JWT_SECRET");
        if !secret.is_empty() && secret.len() < Self::MIN_SECRET_BYTES {
            env.problem(format!(
                "JWT_SECRET must be at least {} bytes long",
                Self::MIN_SECRET_BYTES
            ));
        }
        VerifierConfig {
            secret: SecretString::from(secret),
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

/// Checks tokens: signature, algorithm, issuer, audience, expiry, kind.
pub struct Verifier {
    decoding: DecodingKey,
    validation: Validation,
}

impl Verifier {
    pub fn new(config: &VerifierConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Verifier {
            decoding: DecodingKey::from_secret(config.secret.expose_secret().as_bytes()),
            validation,
        }
    }

    /// Verifies signature, algorithm, issuer, audience and expiry, then the kind and that the claims
    /// of that kind are there.
    pub fn verify(&self, token: &str, kind: TokenKind) -> Result<Claims, TokenError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
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

    #[test]
    fn a_short_or_missing_secret_is_refused_at_start() {
        let mut env = EnvReader::from_pairs([("JWT_SECRET", "too-short")]);
        let _ = VerifierConfig::read(&mut env);
        assert!(
            env.finish()
                .unwrap_err()
                .to_string()
                .contains("at least 32 bytes")
        );
        let mut env = EnvReader::from_pairs::<&str, &str>([]);
        let _ = VerifierConfig::read(&mut env);
        assert!(
            env.finish()
                .unwrap_err()
                .to_string()
                .contains("JWT_SECRET is missing")
        );
    }

    #[test]
    fn issuer_and_audience_default_to_the_shop() {
        let mut env = EnvReader::from_pairs([("JWT_SECRET", "k".repeat(32))]);
        let config = VerifierConfig::read(&mut env);
        env.finish().unwrap();
        assert_eq!(
            (config.issuer.as_str(), config.audience.as_str()),
            ("belta-shop", "belta-shop-api")
        );
    }
}
