//! Signed tokens (HS256 JWTs). Three kinds that never stand in for each other: `access` (every
//! authenticated call), `refresh` (only the refresh routes) and `reset` (only `/auth/reset-password`).
//!
//! A refresh token names its session (`sid`) and the session's rotation generation (`gen`): it is valid
//! while `gen` is the session's current generation, so no token id is ever stored, hashed or not; the
//! session only keeps a counter (see `session.rs`).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::{clock::now_secs, config::EnvReader, id::Id};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
    Reset,
}

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

/// Token settings, from the environment.
pub struct TokenConfig {
    /// `JWT_SECRET`: at least 32 bytes; the functions refuse to start otherwise.
    pub secret: SecretString,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub reset_ttl_secs: i64,
    /// How long the previous refresh token still works after a rotation (concurrent refreshes).
    pub refresh_grace_secs: i64,
}

impl TokenConfig {
    pub const MIN_SECRET_BYTES: usize = 32;

    pub fn read(env: &mut EnvReader) -> Self {
        let secret = env.required("JWT_SECRET");
        if !secret.is_empty() && secret.len() < Self::MIN_SECRET_BYTES {
            env.problem(format!(
                "JWT_SECRET must be at least {} bytes long",
                Self::MIN_SECRET_BYTES
            ));
        }
        TokenConfig {
            secret: SecretString::from(secret),
            issuer: env
                .optional("JWT_ISSUER")
                .unwrap_or_else(|| "belta-shop".into()),
            audience: env
                .optional("JWT_AUDIENCE")
                .unwrap_or_else(|| "belta-shop-api".into()),
            access_ttl_secs: env.checked(
                "ACCESS_TOKEN_TTL_SECS",
                900,
                "seconds from 60 to 3600",
                |s| (60..=3600).contains(s),
            ),
            refresh_ttl_secs: env.checked(
                "REFRESH_TOKEN_TTL_SECS",
                7 * 86_400,
                "seconds from 3600 to 7776000",
                |s| (3600..=90 * 86_400).contains(s),
            ),
            reset_ttl_secs: env.checked(
                "RESET_TOKEN_TTL_SECS",
                900,
                "seconds from 60 to 3600",
                |s| (60..=3600).contains(s),
            ),
            refresh_grace_secs: env.checked(
                "REFRESH_REUSE_GRACE_SECS",
                30,
                "seconds from 0 to 300",
                |s| (0..=300).contains(s),
            ),
        }
    }
}

/// A freshly signed token and when it expires (Unix seconds).
#[derive(Clone, Debug)]
pub struct Issued {
    pub token: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl Issued {
    /// Lifetime in seconds, as OAuth's `expires_in`.
    pub fn expires_in(&self) -> i64 {
        self.expires_at - self.issued_at
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

/// Signs and verifies tokens.
pub struct Tokens {
    pub config: TokenConfig,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Tokens {
    pub fn new(config: TokenConfig) -> Self {
        let secret = config.secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            config,
        }
    }

    pub fn ttl_secs(&self, kind: TokenKind) -> i64 {
        match kind {
            TokenKind::Access => self.config.access_ttl_secs,
            TokenKind::Refresh => self.config.refresh_ttl_secs,
            TokenKind::Reset => self.config.reset_ttl_secs,
        }
    }

    fn sign(
        &self,
        sub: Id,
        role: Role,
        typ: TokenKind,
        fill: impl FnOnce(&mut Claims),
    ) -> anyhow::Result<Issued> {
        let iat = now_secs();
        let mut claims = Claims {
            sub,
            role,
            typ,
            sid: None,
            generation: None,
            jti: None,
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            iat,
            exp: iat + self.ttl_secs(typ),
        };
        fill(&mut claims);
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(Issued {
            token,
            issued_at: claims.iat,
            expires_at: claims.exp,
        })
    }

    pub fn access(&self, user: Id, role: Role, session: Id) -> anyhow::Result<Issued> {
        self.sign(user, role, TokenKind::Access, |c| c.sid = Some(session))
    }

    pub fn refresh(
        &self,
        user: Id,
        role: Role,
        session: Id,
        generation: u64,
    ) -> anyhow::Result<Issued> {
        self.sign(user, role, TokenKind::Refresh, |c| {
            c.sid = Some(session);
            c.generation = Some(generation);
        })
    }

    pub fn reset(&self, user: Id, role: Role, grant: String) -> anyhow::Result<Issued> {
        self.sign(user, role, TokenKind::Reset, |c| c.jti = Some(grant))
    }

    /// Verifies signature, algorithm, issuer, audience and expiry, then the kind.
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
pub(crate) mod tests {
    use super::*;

    pub(crate) fn tokens_with(secret: &str) -> Tokens {
        let mut env = EnvReader::from_pairs([("JWT_SECRET", secret)]);
        let config = TokenConfig::read(&mut env);
        env.finish().unwrap();
        Tokens::new(config)
    }

    #[test]
    fn a_short_or_missing_secret_is_refused_at_start() {
        let mut env = EnvReader::from_pairs([("JWT_SECRET", "too-short")]);
        let _ = TokenConfig::read(&mut env);
        assert!(
            env.finish()
                .unwrap_err()
                .to_string()
                .contains("at least 32 bytes")
        );
        let mut env = EnvReader::from_pairs::<&str, &str>([]);
        let _ = TokenConfig::read(&mut env);
        assert!(
            env.finish()
                .unwrap_err()
                .to_string()
                .contains("JWT_SECRET is missing")
        );
    }

    #[test]
    fn kinds_never_stand_in_for_each_other() {
        let tokens = tokens_with(&"k".repeat(32));
        let (user, session) = (Id::new(), Id::new());
        let access = tokens.access(user, Role::Client, session).unwrap().token;
        let refresh = tokens
            .refresh(user, Role::Client, session, 0)
            .unwrap()
            .token;
        let reset = tokens
            .reset(user, Role::Client, "grant".into())
            .unwrap()
            .token;

        assert_eq!(
            tokens.verify(&access, TokenKind::Access).unwrap().sid,
            Some(session)
        );
        assert_eq!(
            tokens
                .verify(&refresh, TokenKind::Refresh)
                .unwrap()
                .generation,
            Some(0)
        );
        assert_eq!(
            tokens
                .verify(&reset, TokenKind::Reset)
                .unwrap()
                .jti
                .as_deref(),
            Some("grant")
        );
        assert_eq!(
            tokens.verify(&access, TokenKind::Refresh),
            Err(TokenError::WrongKind)
        );
        assert_eq!(
            tokens.verify(&refresh, TokenKind::Access),
            Err(TokenError::WrongKind)
        );
        assert_eq!(
            tokens.verify(&reset, TokenKind::Access),
            Err(TokenError::WrongKind)
        );
    }

    #[test]
    fn tampered_foreign_unsigned_and_expired_tokens_are_invalid() {
        use base64::Engine;
        let tokens = tokens_with(&"k".repeat(32));
        let access = tokens
            .access(Id::new(), Role::Client, Id::new())
            .unwrap()
            .token;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;

        let foreign = tokens_with(&"x".repeat(32))
            .access(Id::new(), Role::Admin, Id::new())
            .unwrap()
            .token;
        let parts: Vec<&str> = access.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        claims["role"] = "admin".into();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64.encode(claims.to_string()),
            parts[2]
        );
        let unsigned = format!(
            "{}.{}.",
            b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        claims["role"] = "client".into();
        claims["exp"] = (now_secs() - 60).into();
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&[b'k'; 32]),
        )
        .unwrap();

        for (token, why) in [
            (foreign, "other secret"),
            (tampered, "edited claims"),
            (unsigned, "alg none"),
            (expired, "expired"),
            ("garbage".into(), "not a JWT"),
        ] {
            assert_eq!(
                tokens.verify(&token, TokenKind::Access),
                Err(TokenError::Invalid),
                "{why}"
            );
        }
    }
}
