//! Sign-in with GitHub (Belta's store) and Google (seed 002), done safely:
//!
//! - **state**: `<id>.<exp>.<mac>`, HMAC-SHA256 with a key derived from the token signing key under
//!   its own label, valid 10 minutes, and single use: `<id>` names a pending login (`identity::oauth`) that the
//!   callback deletes as it reads it, so a replayed state finds nothing.
//! - **bound to the browser**: the start sets a `__Host-` cookie (HttpOnly, Secure, SameSite=Lax)
//!   holding a random value whose hash is in the pending login; a callback from another browser fails.
//! - **PKCE** (S256) on both providers; the verifier never leaves the server.
//! - **redirect targets** only on `ALLOWED_ORIGINS` (the same list as CORS), checked before anything
//!   is stored, so a foreign target gets a 400, never a redirect.
//! - **register-github** only with a one-time proof the callback issued (the `providerId` the store
//!   receives in `profile` is that proof, never GitHub's account id).
//! - **tokens in URLs**: the GitHub login's refresh token lives 2 minutes (the store exchanges it at
//!   once, which rotates it); redirects carry `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.
//!
//! # Layout
//! - [`config`]: provider endpoints, client ids, allowed origins; [`secrets`]: client secrets from
//!   Secrets Manager, read on first use.
//! - [`github`]: `/auth/github`, its callback, `/auth/register-github`.
//! - [`google`]: `POST /auth/google`, seed 002's `/v1/auth/google` and its callback; [`jwks`]: the
//!   provider's keys, cached by their `max-age`.

pub mod config;
pub mod github;
pub mod google;
pub mod jwks;
pub mod secrets;

use axum::response::{IntoResponse, Response};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use identity::{Pending, PendingKey, Provider, SigningKey, oauth::PENDING_TTL_SECS};
use sha2::{Digest, Sha256};
use shared::clock::now_secs;
use subtle::ConstantTimeEq;

pub use config::OAuthConfig;

/// The browser-binding cookie. `__Host-`: Secure, `Path=/`, no `Domain`, so no other site sets it.
pub const BINDING_COOKIE: &str = "__Host-belta-oauth";

/// Signs and checks `state` values.
pub struct StateSigner {
    key: Vec<u8>,
}

impl StateSigner {
    /// The key is derived from the signing key under its own label: tied to the deployment's secret,
    /// useless as a token key.
    pub fn new(signing: &SigningKey) -> Self {
        StateSigner {
            key: signing.derive_key(b"belta oauth state v1").to_vec(),
        }
    }

    fn mac(&self, provider: Provider, id: &str, exp: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(format!("{}|{id}|{exp}", provider.as_str()).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A state for the pending login `id`.
    pub fn sign(&self, provider: Provider, id: &str) -> String {
        let exp = now_secs() + PENDING_TTL_SECS;
        format!("{id}.{exp}.{}", self.mac(provider, id, exp))
    }

    /// The pending login's id, when the state is ours, for this provider and unexpired.
    pub fn verify(&self, provider: Provider, state: &str) -> Option<String> {
        let mut parts = state.splitn(3, '.');
        let (id, exp, mac) = (parts.next()?, parts.next()?, parts.next()?);
        let exp: i64 = exp.parse().ok()?;
        let expected = self.mac(provider, id, exp);
        let genuine = bool::from(expected.as_bytes().ct_eq(mac.as_bytes()));
        (genuine && exp > now_secs()).then(|| id.to_owned())
    }
}

/// A random value for states, bindings and proofs (256 bits, hex).
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A PKCE verifier (43 characters) and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The cookie that binds a pending login to this browser.
pub fn binding_cookie(value: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{BINDING_COOKIE}={value}; Path=/; Max-Age={PENDING_TTL_SECS}; HttpOnly; Secure; SameSite=Lax"
    ))
    .expect("hex is a valid header value")
}

fn clear_binding_cookie() -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{BINDING_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"
    ))
    .expect("ASCII")
}

/// Whether the request's binding cookie is the one the pending login was started with.
pub fn browser_matches(headers: &HeaderMap, binding_hash: &str) -> bool {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == BINDING_COOKIE)
        .map(|(_, value)| value.to_owned());
    value.is_some_and(|v| bool::from(sha256_hex(&v).as_bytes().ct_eq(binding_hash.as_bytes())))
}

/// `base?k=v&...`, keeping any query `base` has.
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(pairs).expect("string pairs encode");
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}{query}")
}

/// A 302 that leaks nothing through the Referer and is never cached; `cookie` is set alongside.
pub fn redirect(location: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            headers.insert(header::LOCATION, value);
        }
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if let Some(cookie) = cookie {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The end of a callback: to `location`, with the binding cookie cleared.
pub fn finish(location: &str) -> Response {
    redirect(location, Some(clear_binding_cookie()))
}

/// The query a provider sends the browser back with.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    /// Set by the provider when the user denied access.
    error: Option<String>,
}

impl shared::extract::Validate for CallbackQuery {}

/// What a provider's callback goes on with.
pub enum Callback {
    /// The sign-in this browser started, and the provider's code.
    Granted {
        pending: identity::oauth::PendingLogin,
        code: String,
    },
    /// The redirect to the failure target: another browser, or access not granted.
    Refused(Response),
}

/// The part every callback shares: the `state` names a pending sign-in of `provider` (else the 400
/// of [`OAuthState::take_pending`]: there is no trustworthy place to send the browser), started by
/// this browser, and the provider granted a code.
pub async fn accept_callback(
    state: &crate::AppState,
    provider: Provider,
    headers: &HeaderMap,
    query: CallbackQuery,
) -> shared::ApiResult<Callback> {
    let pending = state
        .oauth
        .take_pending(&state.identity.oauth, provider, query.state.as_deref())
        .await?;
    let failure = || Callback::Refused(finish(pending.failure_url.as_deref().unwrap_or_default()));
    if !browser_matches(headers, &pending.binding_hash) {
        tracing::warn!(
            ?provider,
            "callback from another browser than the one that started it"
        );
        return Ok(failure());
    }
    match (query.code, query.error) {
        (Some(code), None) => Ok(Callback::Granted { pending, code }),
        (_, error) => {
            tracing::info!(?provider, denied = error.is_some(), "sign-in not granted");
            Ok(failure())
        }
    }
}

/// The browser's `User-Agent`, recorded on the session it opens.
pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> StateSigner {
        static KEY: std::sync::LazyLock<SigningKey> =
            std::sync::LazyLock::new(|| SigningKey::generate("k1").unwrap());
        StateSigner::new(&KEY)
    }

    #[test]
    fn a_state_verifies_only_for_its_provider_and_unaltered() {
        let state = signer().sign(Provider::Github, "abc");
        assert_eq!(
            signer().verify(Provider::Github, &state).as_deref(),
            Some("abc")
        );
        assert_eq!(signer().verify(Provider::Google, &state), None);
        let tampered = state.replacen("abc", "abd", 1);
        assert_eq!(signer().verify(Provider::Github, &tampered), None);
        let other = StateSigner::new(&SigningKey::generate("k1").unwrap());
        assert_eq!(other.verify(Provider::Github, &state), None);
    }

    #[test]
    fn an_expired_state_is_refused() {
        let s = signer();
        let exp = now_secs() - 1;
        let state = format!("abc.{exp}.{}", s.mac(Provider::Github, "abc", exp));
        assert_eq!(s.verify(Provider::Github, &state), None);
    }

    #[test]
    fn the_binding_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; __Host-belta-oauth=xyz; b=2"),
        );
        assert!(browser_matches(&headers, &sha256_hex("xyz")));
        assert!(!browser_matches(&headers, &sha256_hex("xy")));
        assert!(!browser_matches(&HeaderMap::new(), &sha256_hex("")));
    }

    #[test]
    fn pkce_challenge_is_the_s256_of_the_verifier() {
        let (verifier, challenge) = pkce_pair();
        assert_eq!(verifier.len(), 43);
        assert_eq!(
            challenge,
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        );
    }
}

/// What the OAuth handlers share; cheap to clone.
#[derive(Clone)]
pub struct OAuthState {
    pub config: std::sync::Arc<OAuthConfig>,
    pub signer: Pending<StateSigner>,
    pub secrets: secrets::SecretSource,
    pub jwks: jwks::JwksCache,
}

impl OAuthState {
    pub fn new(
        config: OAuthConfig,
        signing: &PendingKey,
        secrets_client: aws_sdk_secretsmanager::Client,
    ) -> Self {
        OAuthState {
            signer: signing.map(StateSigner::new),
            secrets: secrets::SecretSource::new(secrets_client, config.secret_id.clone()),
            jwks: jwks::JwksCache::default(),
            config: std::sync::Arc::new(config),
        }
    }

    /// Our callback URL for a path (`/auth/github/callback`).
    pub fn callback_url(&self, path: &str) -> String {
        format!("{}{path}", self.config.callback_base_url)
    }

    /// Checks the state's signature and expiry, then spends its pending login (a second use finds
    /// nothing). Any failure is a 400 `invalid_oauth_state`.
    pub async fn take_pending(
        &self,
        store: &identity::oauth::OAuthStore,
        provider: Provider,
        state: Option<&str>,
    ) -> shared::ApiResult<identity::oauth::PendingLogin> {
        let invalid = || shared::ApiError::BadRequest(shared::Msg::InvalidOAuthState);
        let signer = self.signer.get().await;
        let id = state
            .and_then(|s| signer.verify(provider, s))
            .ok_or_else(invalid)?;
        store
            .take(&id)
            .await?
            .filter(|p| p.provider == provider)
            .ok_or_else(invalid)
    }
}
