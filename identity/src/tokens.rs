//! Token issuing: only the auth function signs. What a token contains and how it is checked is the
//! platform's (`shared::auth::tokens`); this module fills in the claims and signs them with the same key,
//! issuer and audience every function verifies with.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use shared::{
    Id,
    auth::{
        Role,
        tokens::{Claims, TokenKind, VerifierConfig},
    },
    clock::now_secs,
    config::EnvReader,
};

/// What only the issuer needs: the tokens' lifetimes and the refresh grace window.
#[derive(Clone, Debug)]
pub struct IssuerConfig {
    /// `ACCESS_TOKEN_TTL_SECS`.
    pub access_ttl_secs: i64,
    /// `REFRESH_TOKEN_TTL_SECS`: also the session's sliding lifetime.
    pub refresh_ttl_secs: i64,
    /// `RESET_TOKEN_TTL_SECS`.
    pub reset_ttl_secs: i64,
    /// `REFRESH_REUSE_GRACE_SECS`: how long the previous refresh token still works after a rotation
    /// (a client that refreshed twice at once).
    pub refresh_grace_secs: i64,
}

impl IssuerConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        IssuerConfig {
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

/// Signs tokens.
pub struct TokenIssuer {
    pub config: IssuerConfig,
    encoding: EncodingKey,
    issuer: String,
    audience: String,
}

impl TokenIssuer {
    pub fn new(verifier: &VerifierConfig, config: IssuerConfig) -> Self {
        TokenIssuer {
            encoding: EncodingKey::from_secret(verifier.secret.expose_secret().as_bytes()),
            issuer: verifier.issuer.clone(),
            audience: verifier.audience.clone(),
            config,
        }
    }

    fn ttl_secs(&self, kind: TokenKind) -> i64 {
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
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
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

    /// A refresh token that expires after `ttl_secs` when given (never later than a normal one).
    pub fn refresh_with_ttl(
        &self,
        user: Id,
        role: Role,
        session: Id,
        generation: u64,
        ttl_secs: Option<i64>,
    ) -> anyhow::Result<Issued> {
        self.sign(user, role, TokenKind::Refresh, |c| {
            c.sid = Some(session);
            c.generation = Some(generation);
            if let Some(ttl) = ttl_secs {
                c.exp = c.exp.min(c.iat + ttl);
            }
        })
    }

    pub fn reset(&self, user: Id, role: Role, grant: String) -> anyhow::Result<Issued> {
        self.sign(user, role, TokenKind::Reset, |c| c.jti = Some(grant))
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::EncodingKey;
    use shared::auth::tokens::{TokenError, Verifier};

    use super::*;

    fn keys_with(secret: &str) -> (TokenIssuer, Verifier) {
        let mut env = EnvReader::from_pairs([("JWT_SECRET", secret)]);
        let verifier = VerifierConfig::read(&mut env);
        let issuer = IssuerConfig::read(&mut env);
        env.finish().unwrap();
        (
            TokenIssuer::new(&verifier, issuer),
            Verifier::new(&verifier),
        )
    }

    #[test]
    fn kinds_never_stand_in_for_each_other() {
        let (tokens, verifier) = keys_with(&"k".repeat(32));
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
            verifier.verify(&access, TokenKind::Access).unwrap().sid,
            Some(session)
        );
        assert_eq!(
            verifier
                .verify(&refresh, TokenKind::Refresh)
                .unwrap()
                .generation,
            Some(0)
        );
        assert_eq!(
            verifier
                .verify(&reset, TokenKind::Reset)
                .unwrap()
                .jti
                .as_deref(),
            Some("grant")
        );
        for (token, kind) in [
            (&access, TokenKind::Refresh),
            (&refresh, TokenKind::Access),
            (&reset, TokenKind::Access),
        ] {
            assert_eq!(verifier.verify(token, kind), Err(TokenError::WrongKind));
        }
    }

    #[test]
    fn tampered_foreign_unsigned_and_expired_tokens_are_invalid() {
        use base64::Engine;
        let (tokens, verifier) = keys_with(&"k".repeat(32));
        let access = tokens
            .access(Id::new(), Role::Client, Id::new())
            .unwrap()
            .token;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;

        let foreign = keys_with(&"x".repeat(32))
            .0
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
                verifier.verify(&token, TokenKind::Access),
                Err(TokenError::Invalid),
                "{why}"
            );
        }
    }
}
