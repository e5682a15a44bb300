//! Sign in with Google: `POST /auth/google {idToken}` for apps that hold a Google ID token, and seed
//! 002's (blazex's) code flow, `GET /v1/auth/google` (the consent URL in its `{status, message, data}`
//! envelope) and `GET /v1/auth/google/callback` (302 to its `authRedirectUrl` with the tokens).
//! Either way the ID token is checked against Google's published keys, and an existing account with
//! the same verified e-mail is linked, never duplicated.

use axum::{extract::State, response::Response};
use http::{HeaderMap, StatusCode, header};
use identity::{
    Email, Provider, accounts::SignInError, oauth::PendingLogin, oauth::ProviderIdentity,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use shared::{
    ApiError, ApiResult, FieldErrors, FieldIssue, Msg,
    clock::now_secs,
    extract::{JsonBody, QueryParams, Validate},
};
use utoipa::ToSchema;

use super::{
    Callback, CallbackQuery, accept_callback, binding_cookie, config::GoogleConfig, finish,
    jwks::IdTokenError, pkce_pair, random_token, sha256_hex, user_agent, with_query,
};
use crate::{
    AppState,
    responses::{LoginBody, no_store},
};

fn google(state: &AppState) -> ApiResult<&GoogleConfig> {
    state
        .oauth
        .config
        .google
        .as_ref()
        .ok_or(ApiError::NotFound(Msg::OAuthNotConfigured))
}

#[derive(Debug, thiserror::Error)]
enum GoogleError {
    #[error("the ID token was refused: {0}")]
    Token(String),
    #[error("the e-mail is not verified")]
    Unverified,
    #[error("the account is disabled")]
    Disabled,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<GoogleError> for ApiError {
    fn from(error: GoogleError) -> Self {
        match error {
            GoogleError::Token(reason) => {
                tracing::info!(reason, "ID token refused");
                ApiError::Unauthorized(Msg::InvalidIdToken)
            }
            GoogleError::Unverified => ApiError::Unauthorized(Msg::EmailNotVerified),
            GoogleError::Disabled => ApiError::Forbidden(Msg::AccountDisabled),
            GoogleError::Unexpected(e) => ApiError::Unexpected(e),
        }
    }
}

impl From<SignInError> for GoogleError {
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::Disabled => GoogleError::Disabled,
            SignInError::Store(e) => e.into(),
        }
    }
}

impl From<shared::db::StoreError> for GoogleError {
    fn from(error: shared::db::StoreError) -> Self {
        GoogleError::Unexpected(error.into())
    }
}

/// Checks the ID token (keys, `aud`, `iss`, `exp`, a verified e-mail) and signs its owner in.
async fn sign_in(
    state: &AppState,
    google: &GoogleConfig,
    id_token: &str,
    user_agent: Option<String>,
) -> Result<identity::accounts::SignedIn, GoogleError> {
    let http = state.oauth.secrets.http().await?;
    let claims = state
        .oauth
        .jwks
        .verify(
            http,
            &google.jwks_url,
            id_token,
            &google.client_id,
            &google.issuers,
        )
        .await
        .map_err(|e| match e {
            IdTokenError::Invalid(reason) => GoogleError::Token(reason),
            IdTokenError::Keys(e) => GoogleError::Unexpected(e),
        })?;
    let email = claims
        .email
        .as_deref()
        .filter(|_| claims.email_verified)
        .and_then(|e| Email::parse(e).ok())
        .ok_or(GoogleError::Unverified)?;
    let full_name = claims
        .name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| {
            email
                .as_str()
                .split('@')
                .next()
                .unwrap_or_default()
                .to_owned()
        });
    let identity = ProviderIdentity {
        provider: Provider::Google,
        subject: claims.sub,
        full_name: full_name.chars().take(100).collect(),
        email: Some(email),
    };
    Ok(state
        .identity
        .sign_in_verified(identity, user_agent)
        .await?)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoogleIdTokenBody {
    /// A Google ID token issued to our `GOOGLE_CLIENT_ID`; not blank.
    #[schema(pattern = r"\S")]
    id_token: String,
}

impl Validate for GoogleIdTokenBody {}

/// Signs in with a Google ID token the app already holds: Belta's login body. A token that is not
/// Google's, not for us, or expired: 401 `invalid_id_token`; an unverified e-mail: 401 `email_not_verified`.
#[utoipa::path(post, path = "/auth/google", tag = "auth", request_body = GoogleIdTokenBody,
    responses((status = 200, body = LoginBody), (status = 400), (status = 401), (status = 404)))]
#[tracing::instrument(skip_all)]
pub async fn id_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<GoogleIdTokenBody>,
) -> ApiResult<Response> {
    let google = google(&state)?;
    if body.id_token.trim().is_empty() {
        return Err(ApiError::Validation(FieldErrors::single(
            "idToken",
            FieldIssue::Required,
        )));
    }
    let signed_in = sign_in(&state, google, body.id_token.trim(), user_agent(&headers)).await?;
    Ok(no_store(
        StatusCode::OK,
        LoginBody::new(&signed_in.user, signed_in.access, signed_in.refresh),
    ))
}

/// Seed 002's envelope.
#[derive(Serialize, ToSchema)]
pub struct ConsentUrlBody {
    status: u16,
    message: &'static str,
    data: ConsentUrl,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentUrl {
    url: String,
}

/// Seed 002's `GET /v1/auth/google`: the consent URL (with a signed state and PKCE) in its envelope,
/// and the cookie that binds the sign-in to this browser (so call it with credentials, or navigate to it).
#[utoipa::path(get, path = "/v1/auth/google", tag = "seed clients",
    responses((status = 200, body = ConsentUrlBody), (status = 404)))]
#[tracing::instrument(skip_all)]
pub async fn consent_url(State(state): State<AppState>) -> ApiResult<Response> {
    let google = google(&state)?;
    let target = google
        .app_redirect_url
        .clone()
        .ok_or(ApiError::NotFound(Msg::OAuthNotConfigured))?;
    let (id, binding) = (random_token(), random_token());
    let (verifier, challenge) = pkce_pair();
    let pending = PendingLogin {
        provider: Provider::Google,
        binding_hash: sha256_hex(&binding),
        pkce_verifier: verifier,
        new_account_url: None,
        login_url: Some(target.clone()),
        failure_url: Some(with_query(&target, &[("error", "google_auth_failed")])),
        expires_at: now_secs() + identity::oauth::PENDING_TTL_SECS,
    };
    state.identity.oauth.begin(&id, &pending).await?;
    let signed_state = state.oauth.signer.get().await.sign(Provider::Google, &id);
    let url = with_query(
        &google.authorize_url,
        &[
            ("client_id", &google.client_id),
            (
                "redirect_uri",
                &state.oauth.callback_url("/v1/auth/google/callback"),
            ),
            ("response_type", "code"),
            ("scope", "openid email profile"),
            ("state", &signed_state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let mut response = no_store(
        StatusCode::OK,
        ConsentUrlBody {
            status: 200,
            message: "Google auth url generated successfully.",
            data: ConsentUrl { url },
        },
    );
    response
        .headers_mut()
        .insert(header::SET_COOKIE, binding_cookie(&binding));
    Ok(response)
}

/// Seed 002's callback: exchanges the code (with the PKCE verifier), checks the ID token, and sends the
/// browser to `GOOGLE_AUTH_REDIRECT_URL?accessToken=&refreshToken=` (seed 002's convention), or with
/// `error=google_auth_failed`. A state that is not ours, expired or used: 400.
#[utoipa::path(get, path = "/v1/auth/google/callback", tag = "seed clients", operation_id = "blazex_google_callback", params(CallbackQuery),
    responses((status = 302, description = "to the app, with tokens or an error"), (status = 400)))]
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryParams(query): QueryParams<CallbackQuery>,
) -> ApiResult<Response> {
    let google = google(&state)?;
    let (pending, code) = match accept_callback(&state, Provider::Google, &headers, query).await? {
        Callback::Granted { pending, code } => (pending, code),
        Callback::Refused(redirect) => return Ok(redirect),
    };
    let failure = pending.failure_url.clone().unwrap_or_default();
    let exchanged = exchange(&state, google, &code, &pending.pkce_verifier).await;
    let signed_in = match exchanged {
        Ok(id_token) => sign_in(&state, google, &id_token, user_agent(&headers)).await,
        Err(e) => Err(GoogleError::Unexpected(e)),
    };
    match signed_in {
        Ok(signed_in) => {
            let target = pending.login_url.as_deref().unwrap_or_default();
            Ok(finish(&with_query(
                target,
                &[
                    ("accessToken", &signed_in.access.token),
                    ("refreshToken", &signed_in.refresh.token),
                ],
            )))
        }
        Err(error) => {
            tracing::error!(error = ?error, "Google sign-in failed");
            Ok(finish(&failure))
        }
    }
}

/// The code exchange; returns the ID token.
async fn exchange(
    state: &AppState,
    google: &GoogleConfig,
    code: &str,
    verifier: &str,
) -> anyhow::Result<String> {
    let secrets = state.oauth.secrets.get().await?;
    let secret = secrets
        .google
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the OAuth secret has no googleClientSecret"))?;
    #[derive(Deserialize)]
    struct TokenAnswer {
        id_token: Option<String>,
        error: Option<String>,
    }
    let answer: TokenAnswer = state
        .oauth
        .secrets
        .http()
        .await?
        .post(&google.token_url)
        .form(&[
            ("client_id", google.client_id.as_str()),
            ("client_secret", secret.expose_secret()),
            ("code", code),
            ("code_verifier", verifier),
            ("grant_type", "authorization_code"),
            (
                "redirect_uri",
                &state.oauth.callback_url("/v1/auth/google/callback"),
            ),
        ])
        .send()
        .await?
        .json()
        .await?;
    answer.id_token.ok_or_else(|| {
        anyhow::anyhow!(
            "Google refused the code: {}",
            answer.error.unwrap_or_default()
        )
    })
}
