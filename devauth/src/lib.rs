//! devauth: a local OAuth provider for `make dev` and the tests. Never deployed.
//!
//! A small real HTTP server that stands in for GitHub's OAuth app flow and Google's OpenID Connect
//! code flow, so sign-in runs in a browser without the internet, and the `auth` function's production
//! code talks to it unchanged (only the provider URLs in its configuration differ):
//!
//! | route | stands in for |
//! |---|---|
//! | `GET /{github,google}/authorize` | the consent page: one button per test user, and Deny |
//! | `POST /{github,google}/authorize` | the click: 303 to `redirect_uri?code=&state=` (or `error=access_denied`) |
//! | `POST /github/token` | `https://github.com/login/oauth/access_token` (JSON answer, PKCE S256 checked) |
//! | `GET /github/user`, `/github/user/emails` | `https://api.github.com/user`, `/user/emails` |
//! | `POST /google/token` | `https://oauth2.googleapis.com/token`, with an RS256 `id_token` |
//! | `GET /google/jwks` | `https://www.googleapis.com/oauth2/v3/certs` (`Cache-Control: max-age`) |
//!
//! The client secret, codes (single use, 10 minutes) and access tokens are checked as the real
//! providers check them; the RSA key is generated at start. State lives in memory.
//!
//! # Use from tests
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let devauth = devauth::DevAuth::spawn(devauth::DevAuthConfig::local(
//!     "127.0.0.1:0".parse()?,
//!     "client-secret".into(),
//!     devauth::SigningKey::generate()?,
//! ))
//! .await?;
//! // GITHUB_AUTHORIZE_URL = devauth.url("/github/authorize"), and so on.
//! # Ok(()) }
//! ```
//! The server stops when the handle is dropped.

mod page;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Form, Json, Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::{RsaPrivateKey, pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared::config::EnvReader;
use subtle::ConstantTimeEq;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// Where devauth listens by default for `make dev`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4244";
/// The client ids `make dev` and the tests configure (not secret: real client ids are public too).
pub const GITHUB_CLIENT_ID: &str = "devauth-github";
pub const GOOGLE_CLIENT_ID: &str = "devauth-google.apps.local";
/// How long a code may wait for its exchange.
const CODE_TTL: Duration = Duration::from_secs(600);
/// `max-age` of the JWKS answer.
pub const JWKS_MAX_AGE_SECS: u64 = 300;

/// A GitHub test user.
pub struct GithubUser {
    pub id: u64,
    pub login: &'static str,
    pub name: Option<&'static str>,
    pub email: &'static str,
}

/// A Google test user.
pub struct GoogleUser {
    pub sub: &'static str,
    pub email: &'static str,
    pub email_verified: bool,
    pub name: &'static str,
}

pub const GITHUB_USERS: [GithubUser; 2] = [
    GithubUser {
        id: 9_100_001,
        login: "layla-dev",
        name: Some("Layla Hassan"),
        email: "layla@github.local",
    },
    GithubUser {
        id: 9_100_002,
        login: "omar-codes",
        name: None,
        email: "omar@github.local",
    },
];

pub const GOOGLE_USERS: [GoogleUser; 2] = [
    GoogleUser {
        sub: "110000000000000000001",
        email: "mona@gmail.local",
        email_verified: true,
        name: "Mona Adel",
    },
    GoogleUser {
        sub: "110000000000000000002",
        email: "unverified@gmail.local",
        email_verified: false,
        name: "Unverified Person",
    },
];

/// The RS256 key that signs ID tokens, with its public half as a JWK.
pub struct SigningKey {
    encoding: EncodingKey,
    /// First 16 hex digits of SHA-256(n): stable for a key, different between keys.
    pub kid: String,
    n: String,
    e: String,
}

impl SigningKey {
    /// A fresh 2048-bit key.
    pub fn generate() -> anyhow::Result<Self> {
        let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)?;
        let der = key.to_pkcs1_der()?;
        let n = key.n().to_bytes_be();
        Ok(SigningKey {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            kid: hex::encode(&Sha256::digest(&n)[..8]),
            n: URL_SAFE_NO_PAD.encode(&n),
            e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
        })
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("RS256 signing of JSON claims")
    }

    fn jwk(&self) -> Value {
        json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid, "n": self.n, "e": self.e})
    }
}

pub struct DevAuthConfig {
    /// `DEVAUTH_ADDR` (default `127.0.0.1:4244`); port 0 picks a free one.
    pub addr: SocketAddr,
    /// `DEVAUTH_CLIENT_SECRET`: what both clients must present at the token endpoints.
    pub client_secret: String,
    pub github_client_id: String,
    pub google_client_id: String,
    pub key: Arc<SigningKey>,
}

impl DevAuthConfig {
    /// The default client ids, as `make dev` and the tests use them.
    pub fn local(addr: SocketAddr, client_secret: String, key: SigningKey) -> Self {
        DevAuthConfig {
            addr,
            client_secret,
            github_client_id: GITHUB_CLIENT_ID.into(),
            google_client_id: GOOGLE_CLIENT_ID.into(),
            key: Arc::new(key),
        }
    }

    pub fn read(env: &mut EnvReader, key: SigningKey) -> Self {
        let default_addr: SocketAddr = DEFAULT_ADDR.parse().expect("valid default");
        let addr = env.parsed_or(
            "DEVAUTH_ADDR",
            default_addr,
            "an address like 127.0.0.1:4244",
        );
        DevAuthConfig::local(addr, env.required("DEVAUTH_CLIENT_SECRET"), key)
    }
}

/// A code waiting for its exchange.
struct Grant {
    provider: Provider,
    user: usize,
    redirect_uri: String,
    challenge: Option<String>,
    nonce: Option<String>,
    issued: Instant,
}

#[derive(Default)]
struct Store {
    codes: HashMap<String, Grant>,
    /// Access token -> (provider, user index).
    tokens: HashMap<String, (Provider, usize)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Github,
    Google,
}

impl Provider {
    fn users(self) -> Vec<(String, String)> {
        match self {
            Provider::Github => GITHUB_USERS
                .iter()
                .map(|u| (u.login.to_owned(), u.name.unwrap_or(u.login).to_owned()))
                .collect(),
            Provider::Google => GOOGLE_USERS
                .iter()
                .map(|u| (u.email.to_owned(), u.name.to_owned()))
                .collect(),
        }
    }
}

#[derive(Clone)]
struct App {
    config: Arc<DevAuthConfig>,
    base_url: String,
    /// A plain mutex: no handler holds it across an await.
    store: Arc<Mutex<Store>>,
}

impl App {
    fn client_id(&self, provider: Provider) -> &str {
        match provider {
            Provider::Github => &self.config.github_client_id,
            Provider::Google => &self.config.google_client_id,
        }
    }
}

fn router(app: App) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { "devauth: a local stand-in for GitHub and Google sign-in\n" }),
        )
        .route("/{provider}/authorize", get(page::show).post(page::decide))
        .route("/{provider}/token", axum::routing::post(token))
        .route("/github/user", get(github_user))
        .route("/github/user/emails", get(github_emails))
        .route("/google/jwks", get(jwks))
        .with_state(app)
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

/// The code exchange: client credentials, a live single-use code, the same redirect URI, PKCE.
async fn token(
    State(app): State<App>,
    Path(provider): Path<Provider>,
    Form(form): Form<TokenForm>,
) -> Response {
    let secret_ok = form
        .client_secret
        .as_deref()
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(app.config.client_secret.as_bytes())));
    if form.client_id.as_deref() != Some(app.client_id(provider)) || !secret_ok {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let Some(grant) = form
        .code
        .as_deref()
        .and_then(|code| app.store.lock().expect("store lock").codes.remove(code))
    else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    let pkce_ok = match (&grant.challenge, &form.code_verifier) {
        (None, _) => true,
        (Some(challenge), Some(verifier)) => {
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == *challenge
        }
        (Some(_), None) => false,
    };
    if grant.provider != provider
        || grant.issued.elapsed() > CODE_TTL
        || form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str())
        || !pkce_ok
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let access_token = format!("devauth_{}", hex::encode(rand::random::<[u8; 20]>()));
    app.store
        .lock()
        .expect("store lock")
        .tokens
        .insert(access_token.clone(), (provider, grant.user));
    match provider {
        Provider::Github => Json(json!({
            "access_token": access_token, "token_type": "bearer", "scope": "read:user,user:email",
        }))
        .into_response(),
        Provider::Google => {
            let user = &GOOGLE_USERS[grant.user];
            let now = shared::clock::now_secs();
            let mut claims = json!({
                "iss": app.base_url, "aud": app.config.google_client_id, "sub": user.sub,
                "email": user.email, "email_verified": user.email_verified, "name": user.name,
                "iat": now, "exp": now + 3600,
            });
            if let Some(nonce) = grant.nonce {
                claims["nonce"] = nonce.into();
            }
            Json(json!({
                "access_token": access_token, "token_type": "Bearer", "expires_in": 3599,
                "scope": "openid email profile", "id_token": app.config.key.sign(&claims),
            }))
            .into_response()
        }
    }
}

/// The GitHub user an access token belongs to.
fn github_caller(app: &App, headers: &HeaderMap) -> Option<&'static GithubUser> {
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    match app.store.lock().expect("store lock").tokens.get(token) {
        Some((Provider::Github, user)) => GITHUB_USERS.get(*user),
        _ => None,
    }
}

async fn github_user(State(app): State<App>, headers: HeaderMap) -> Response {
    match github_caller(&app, &headers) {
        Some(user) => Json(json!({
            "id": user.id, "login": user.login, "name": user.name, "type": "User",
            "avatar_url": format!("{}/avatars/{}", app.base_url, user.login),
        }))
        .into_response(),
        None => oauth_error(StatusCode::UNAUTHORIZED, "Bad credentials"),
    }
}

async fn github_emails(State(app): State<App>, headers: HeaderMap) -> Response {
    match github_caller(&app, &headers) {
        Some(user) => Json(json!([
            {"email": user.email, "primary": true, "verified": true, "visibility": "private"},
        ]))
        .into_response(),
        None => oauth_error(StatusCode::UNAUTHORIZED, "Bad credentials"),
    }
}

async fn jwks(State(app): State<App>) -> Response {
    let mut response = Json(json!({ "keys": [app.config.key.jwk()] })).into_response();
    let cache = format!("public, max-age={JWKS_MAX_AGE_SECS}");
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&cache).expect("ASCII"),
    );
    response
}

/// What the consent page's form carries through the click.
#[derive(Deserialize)]
pub(crate) struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    nonce: Option<String>,
    /// Set by the page's buttons: a user's index, or `deny`.
    choice: Option<String>,
}

impl AuthorizeParams {
    /// The redirect URI, when the client and the PKCE method are acceptable.
    fn checked(&self, app: &App, provider: Provider) -> Result<&str, &'static str> {
        if self.client_id.as_deref() != Some(app.client_id(provider)) {
            return Err("unknown client_id");
        }
        if self
            .code_challenge_method
            .as_deref()
            .is_some_and(|m| m != "S256")
        {
            return Err("only the S256 code challenge method is supported");
        }
        self.redirect_uri
            .as_deref()
            .filter(|uri| uri.starts_with("http://") || uri.starts_with("https://"))
            .ok_or("redirect_uri must be an http(s) URL")
    }
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}{query}")
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub struct DevAuth;

impl DevAuth {
    /// Binds `config.addr` and serves in the background until the handle is dropped.
    pub async fn spawn(config: DevAuthConfig) -> std::io::Result<DevAuthHandle> {
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let config = Arc::new(config);
        let app = App {
            config: config.clone(),
            base_url: base_url.clone(),
            store: Arc::default(),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router(app))
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(DevAuthHandle {
            base_url,
            config,
            stop: Some(stop),
            server: Some(server),
        })
    }
}

/// A running devauth. Dropping it stops the server.
pub struct DevAuthHandle {
    /// `http://127.0.0.1:<port>`; also the `iss` of its ID tokens.
    pub base_url: String,
    config: Arc<DevAuthConfig>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl DevAuthHandle {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Signs `claims` with devauth's own key, as the provider signs ID tokens: tests build tokens
    /// with a wrong audience or an expiry in the past with it.
    pub fn sign_id_token(&self, claims: &Value) -> String {
        self.config.key.sign(claims)
    }

    /// Serves until the process is stopped (the binary's main loop).
    pub async fn serve_forever(mut self) -> std::io::Result<()> {
        let server = self.server.take().expect("the server runs until now");
        server.await.map_err(std::io::Error::other)?
    }
}

impl Drop for DevAuthHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
