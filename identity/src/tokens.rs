//! Token issuing: only the auth function signs. What a token contains and how it is checked is the
//! platform's (`shared::auth::tokens`); this module fills in the claims and signs them with the auth
//! function's Ed25519 key ([`SigningKey`]), whose public half every function verifies with.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::STANDARD};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use futures_util::{
    FutureExt,
    future::{BoxFuture, Shared},
};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{EncodingKey, Header};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::Deserialize;
use sha2::Sha256;
use shared::{
    Id,
    auth::{
        PublicKey, PublicKeys, Role,
        keys::is_valid_kid,
        tokens::{ALGORITHM, Claims, TokenKind, VerifierConfig},
    },
    clock::now_secs,
    config::EnvReader,
};

/// The auth function's private key and its id, as the signing-key secret holds them:
/// `{"kid": "...", "privateKey": "<base64 of the PKCS#8 DER of an Ed25519 key>"}` (what `ops keys new`
/// prints, or `openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`).
///
/// The auth function's other keys (one-time codes, OAuth `state`) are derived from it under labels of
/// their own ([`SigningKey::derive_key`]), so the deployment has one secret and it is in one place.
pub struct SigningKey {
    public: PublicKey,
    encoding: EncodingKey,
    seed: SecretBox<[u8; 32]>,
}

/// Why a signing-key secret was refused. Never quotes the secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigningKeyError {
    #[error("the signing key secret is not JSON with \"kid\" and \"privateKey\"")]
    Shape,
    #[error("the signing key's kid must be 1 to 64 characters of A-Z a-z 0-9 . _ -")]
    Kid,
    #[error("the signing key's privateKey is not the base64 of an Ed25519 PKCS#8 DER key")]
    Key,
}

impl SigningKey {
    /// A new random key (for `ops keys new`, the local stack and tests).
    pub fn generate(kid: &str) -> Result<Self, SigningKeyError> {
        Self::from_seed(kid, rand::random())
    }

    fn from_seed(kid: &str, seed: [u8; 32]) -> Result<Self, SigningKeyError> {
        if !is_valid_kid(kid) {
            return Err(SigningKeyError::Kid);
        }
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let der = key.to_pkcs8_der().map_err(|_| SigningKeyError::Key)?;
        let public = PublicKey::new(kid, key.verifying_key().to_bytes())
            .expect("a valid kid and a key's own public half");
        Ok(SigningKey {
            public,
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            seed: SecretBox::new(Box::new(seed)),
        })
    }

    /// Reads the secret's JSON (see the type's doc).
    pub fn from_secret_json(json: &str) -> Result<Self, SigningKeyError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            kid: String,
            private_key: String,
        }
        // serde's message is dropped: it may quote part of the secret.
        let raw: Raw = serde_json::from_str(json).map_err(|_| SigningKeyError::Shape)?;
        let private_key = SecretString::from(raw.private_key);
        let der = STANDARD
            .decode(private_key.expose_secret().trim())
            .map_err(|_| SigningKeyError::Key)?;
        let key =
            ed25519_dalek::SigningKey::from_pkcs8_der(&der).map_err(|_| SigningKeyError::Key)?;
        Self::from_seed(raw.kid.trim(), key.to_bytes())
    }

    /// The secret's JSON for this key: what the signing-key secret is to hold.
    pub fn to_secret_json(&self) -> SecretString {
        let key = ed25519_dalek::SigningKey::from_bytes(self.seed.expose_secret());
        let der = key.to_pkcs8_der().expect("an Ed25519 key encodes");
        let json = serde_json::json!({
            "kid": self.public.kid(),
            "privateKey": STANDARD.encode(der.as_bytes()),
        });
        SecretString::from(json.to_string())
    }

    pub fn kid(&self) -> &str {
        self.public.kid()
    }

    /// The public half, to list in `TOKEN_PUBLIC_KEYS`.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// `Ok` when `keys` lists this key's public half under its kid: otherwise every function would
    /// refuse the tokens it signs, so the auth function refuses to start instead.
    pub fn check_published(&self, keys: &PublicKeys) -> Result<(), String> {
        match keys.get(self.kid()) {
            Some(listed) if listed == &self.public => Ok(()),
            Some(_) => Err(format!(
                "TOKEN_PUBLIC_KEYS lists kid {:?} with another key than the signing key's",
                self.kid()
            )),
            None => Err(format!(
                "TOKEN_PUBLIC_KEYS does not list the signing key's kid {:?} (add {})",
                self.kid(),
                self.public.entry()
            )),
        }
    }

    /// A key of its own for another use (HMAC-SHA256 of the private key over `label`), so no two uses
    /// share a key and no derived key reveals the signing key.
    pub fn derive_key(&self, label: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.seed.expose_secret())
            .expect("HMAC takes any key length");
        mac.update(label);
        mac.finalize().into_bytes().into()
    }
}

impl Clone for SigningKey {
    fn clone(&self) -> Self {
        Self::from_seed(self.kid(), *self.seed.expose_secret()).expect("it was valid")
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}

/// A value that may still be on its way: the signing key, or what is made from it. The auth function
/// starts reading its key from Secrets Manager at init without waiting for it ([`Pending::spawn`]), so
/// a cold start does not pay for the read and requests that sign nothing (`/auth/me`, the sessions,
/// logout) never wait for it; what signs or derives a key awaits it here ([`Pending::get`]). Cheap to
/// clone; every clone gets the same value.
pub struct Pending<T>(Shared<BoxFuture<'static, Arc<T>>>);

/// The signing key, as [`Pending`].
pub type PendingKey = Pending<SigningKey>;

impl<T: Send + Sync + 'static> Pending<T> {
    /// A value already in hand (tools, benchmarks, tests).
    pub fn ready(value: T) -> Self {
        Pending(
            futures_util::future::ready(Arc::new(value))
                .boxed()
                .shared(),
        )
    }

    /// Runs `make` as a task of its own from now on, so that it goes on while nothing awaits it.
    pub fn spawn(make: impl Future<Output = T> + Send + 'static) -> Self {
        let task = tokio::spawn(make);
        Pending(
            async move {
                Arc::new(
                    task.await
                        .expect("the task neither panics nor is cancelled"),
                )
            }
            .boxed()
            .shared(),
        )
    }

    /// The value, once it is there.
    pub async fn get(&self) -> Arc<T> {
        self.0.clone().await
    }

    /// What `make` makes of the value, made once, when first asked for after the value is there.
    pub fn map<U: Send + Sync + 'static>(
        &self,
        make: impl FnOnce(&T) -> U + Send + 'static,
    ) -> Pending<U> {
        let value = self.0.clone();
        Pending(
            async move { Arc::new(make(&*value.await)) }
                .boxed()
                .shared(),
        )
    }
}

impl<T> Clone for Pending<T> {
    fn clone(&self) -> Self {
        Pending(self.0.clone())
    }
}

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

/// Signs tokens; each names its key in the header (`kid`).
pub struct TokenIssuer {
    pub config: IssuerConfig,
    encoding: EncodingKey,
    kid: String,
    issuer: String,
    audience: String,
}

impl TokenIssuer {
    pub fn new(verifier: &VerifierConfig, key: &SigningKey, config: IssuerConfig) -> Self {
        TokenIssuer {
            encoding: key.encoding.clone(),
            kid: key.kid().to_owned(),
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
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)?;
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
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::Algorithm;
    use shared::auth::tokens::{TokenError, Verifier};

    use super::*;

    /// An issuer signing with `key` and a verifier accepting `published`.
    fn keys_with(key: &SigningKey, published: &[&SigningKey]) -> (TokenIssuer, Verifier) {
        let listed: Vec<String> = published.iter().map(|k| k.public().entry()).collect();
        let mut env = EnvReader::from_pairs([("TOKEN_PUBLIC_KEYS", listed.join(","))]);
        let verifier = VerifierConfig::read(&mut env);
        let issuer = IssuerConfig::read(&mut env);
        env.finish().unwrap();
        (
            TokenIssuer::new(&verifier, key, issuer),
            Verifier::new(&verifier),
        )
    }

    fn b64(bytes: impl AsRef<[u8]>) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn parts(token: &str) -> (serde_json::Value, serde_json::Value) {
        let mut parts = token.split('.');
        let mut decode = || -> serde_json::Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap()
        };
        (decode(), decode())
    }

    #[tokio::test]
    async fn a_spawned_value_is_made_while_nothing_awaits_it_and_shared_by_every_clone() {
        let (started, has_started) = tokio::sync::oneshot::channel();
        let key = Pending::spawn(async move {
            started.send(()).unwrap();
            SigningKey::generate("k1").unwrap()
        });
        has_started
            .await
            .expect("the read runs without anyone awaiting it");
        let kid = key.map(|key| key.kid().to_owned());
        let copy = key.clone();
        assert_eq!(*kid.get().await, "k1");
        assert!(Arc::ptr_eq(&key.get().await, &copy.get().await));
    }

    #[test]
    fn kinds_never_stand_in_for_each_other() {
        let key = SigningKey::generate("k1").unwrap();
        let (tokens, verifier) = keys_with(&key, &[&key]);
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
    fn tokens_are_eddsa_and_name_their_key() {
        let key = SigningKey::generate("2026-12-a").unwrap();
        let (tokens, _) = keys_with(&key, &[&key]);
        let token = tokens
            .access(Id::new(), Role::Admin, Id::new())
            .unwrap()
            .token;
        let (header, _) = parts(&token);
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["kid"], "2026-12-a");
    }

    #[test]
    fn tampered_foreign_unsigned_confused_and_expired_tokens_are_invalid() {
        let key = SigningKey::generate("k1").unwrap();
        let (tokens, verifier) = keys_with(&key, &[&key]);
        let access = tokens
            .access(Id::new(), Role::Client, Id::new())
            .unwrap()
            .token;
        let (header, mut claims) = parts(&access);
        let signature = access.rsplit('.').next().unwrap();

        // Another key claiming our kid, and a kid nobody published.
        let impostor = SigningKey::generate("k1").unwrap();
        let foreign = keys_with(&impostor, &[&impostor])
            .0
            .access(Id::new(), Role::Admin, Id::new())
            .unwrap()
            .token;
        let stranger = SigningKey::generate("k9").unwrap();
        let unknown_kid = keys_with(&stranger, &[&stranger])
            .0
            .access(Id::new(), Role::Admin, Id::new())
            .unwrap()
            .token;
        let no_kid = {
            let mut header = header.clone();
            header.as_object_mut().unwrap().remove("kid");
            format!(
                "{}.{}.{signature}",
                b64(header.to_string()),
                b64(claims.to_string())
            )
        };
        claims["role"] = "admin".into();
        let tampered = format!(
            "{}.{}.{signature}",
            b64(header.to_string()),
            b64(claims.to_string())
        );
        let unsigned = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#),
            b64(claims.to_string())
        );
        // Algorithm confusion: HS256 keyed with what is public, the raw key and its JWK form.
        let hs256 = |secret: &[u8]| {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("k1".into());
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap()
        };
        let confused_raw = hs256(key.public().bytes());
        let confused_x = hs256(key.public().x().as_bytes());
        claims["role"] = "client".into();
        claims["exp"] = (now_secs() - 60).into();
        let expired = {
            let mut header = Header::new(ALGORITHM);
            header.kid = Some("k1".into());
            jsonwebtoken::encode(&header, &claims, &key.encoding).unwrap()
        };

        for (token, why) in [
            (foreign, "another key under our kid"),
            (unknown_kid, "unknown kid"),
            (no_kid, "no kid"),
            (tampered, "edited claims"),
            (unsigned, "alg none"),
            (confused_raw, "HS256 keyed with the public key"),
            (confused_x, "HS256 keyed with the JWK x"),
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

    #[test]
    fn during_a_rotation_both_published_keys_verify() {
        let (old, new) = (
            SigningKey::generate("old").unwrap(),
            SigningKey::generate("new").unwrap(),
        );
        let (old_tokens, _) = keys_with(&old, &[&old]);
        let (new_tokens, verifier) = keys_with(&new, &[&old, &new]);
        for tokens in [old_tokens, new_tokens] {
            let token = tokens
                .access(Id::new(), Role::Client, Id::new())
                .unwrap()
                .token;
            assert!(verifier.verify(&token, TokenKind::Access).is_ok());
        }
    }

    #[test]
    fn the_secret_json_round_trips_and_bad_secrets_are_refused_without_quoting_them() {
        let key = SigningKey::generate("k1").unwrap();
        let json = key.to_secret_json();
        let read = SigningKey::from_secret_json(json.expose_secret()).unwrap();
        assert_eq!(read.public(), key.public());
        assert_eq!(read.derive_key(b"x"), key.derive_key(b"x"));
        assert_ne!(key.derive_key(b"x"), key.derive_key(b"y"));

        // openssl genpkey -algorithm ed25519 -outform DER | base64 (RFC 8032 test vector 1's seed).
        let openssl = r#"{"kid":"ossl","privateKey":"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g"}"#;
        assert_eq!(
            SigningKey::from_secret_json(openssl).unwrap().public().x(),
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        for (bad, expected) in [
            ("not json", SigningKeyError::Shape),
            (r#"{"kid":"k1"}"#, SigningKeyError::Shape),
            (
                r#"{"kid":"k 1","privateKey":"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g"}"#,
                SigningKeyError::Kid,
            ),
            (
                r#"{"kid":"k1","privateKey":"c2VjcmV0"}"#,
                SigningKeyError::Key,
            ),
        ] {
            let error = SigningKey::from_secret_json(bad).unwrap_err();
            assert_eq!(error, expected, "{bad}");
            assert!(!error.to_string().contains("c2VjcmV0"));
        }
        assert!(!format!("{key:?}").contains(&STANDARD.encode(key.seed.expose_secret())));
    }

    #[test]
    fn the_signing_key_must_be_published_under_its_kid() {
        let key = SigningKey::generate("k1").unwrap();
        let other = SigningKey::generate("k1").unwrap();
        let listed = |keys: &[&SigningKey]| {
            PublicKeys::from_keys(keys.iter().map(|k| k.public().clone()).collect()).unwrap()
        };
        assert!(key.check_published(&listed(&[&key])).is_ok());
        let missing = key
            .check_published(&listed(&[&SigningKey::generate("k2").unwrap()]))
            .unwrap_err();
        assert!(missing.contains(&key.public().entry()), "{missing}");
        let mismatch = key.check_published(&listed(&[&other])).unwrap_err();
        assert!(mismatch.contains("another key"), "{mismatch}");
    }
}
