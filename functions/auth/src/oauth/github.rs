//! Sign in with GitHub, as Belta's store does it: `GET /auth/github` -> GitHub -> `GET
//! /auth/github/callback` -> the store's `loginUrl?token=` (a linked account) or `newAccountUrl?profile=`
//! (a new one, which then calls `POST /auth/register-github`), or its `failureUrl`.

use axum::{extract::State, response::Response};
use http::{HeaderMap, StatusCode, header};
use identity::{Provider, oauth::PendingLogin};
use secrecy::ExposeSecret;
use serde::Deserialize;
use shared::{
    ApiError, ApiResult, FieldIssue, Msg,
    clock::now_secs,
    extract::{JsonBody, QueryParams, Validate},
};
use utoipa::{IntoParams, ToSchema};

use super::{
    Callback, CallbackQuery, accept_callback, binding_cookie, finish, pkce_pair, random_token,
    redirect, sha256_hex, user_agent, with_query,
};
use crate::{
    AppState,
    account::{self, field_errors},
    responses::{IntoApiError, LoginBody, no_store},
};

/// The first refresh token of a GitHub login travels in the store's URL: it only has to live until the
/// store exchanges it, which it does at once.
const URL_REFRESH_TTL_SECS: i64 = 120;

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// Where a GitHub user without an account goes, with `profile`.
    #[param(required = true, pattern = r"\S")]
    new_account_url: Option<String>,
    /// Where a GitHub user with an account goes, with `token`.
    #[param(required = true, pattern = r"\S")]
    login_url: Option<String>,
    /// Where any failure goes.
    #[param(required = true, pattern = r"\S")]
    failure_url: Option<String>,
}

impl Validate for StartQuery {}

/// Starts a GitHub sign-in: 302 to GitHub's consent page with a signed `state` and a PKCE challenge,
/// and a cookie binding the sign-in to this browser. All three targets are required and must be on
/// `ALLOWED_ORIGINS` (400 otherwise: a foreign target never gets a redirect).
#[utoipa::path(get, path = "/auth/github", tag = "auth", params(StartQuery),
    responses((status = 302, description = "to GitHub's consent page"), (status = 400), (status = 404)))]
#[tracing::instrument(skip_all)]
pub async fn start(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<StartQuery>,
) -> ApiResult<Response> {
    let oauth = &state.oauth;
    let github = oauth
        .config
        .github
        .as_ref()
        .ok_or(ApiError::NotFound(Msg::OAuthNotConfigured))?;
    let errors = field_errors([
        ("newAccountUrl", target_issue(&query.new_account_url)),
        ("loginUrl", target_issue(&query.login_url)),
        ("failureUrl", target_issue(&query.failure_url)),
    ]);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let targets = [&query.new_account_url, &query.login_url, &query.failure_url];
    if targets
        .iter()
        .any(|t| !oauth.config.allows(t.as_deref().unwrap_or_default()))
    {
        return Err(ApiError::BadRequest(Msg::RedirectNotAllowed));
    }
    let (id, binding) = (random_token(), random_token());
    let (verifier, challenge) = pkce_pair();
    let pending = PendingLogin {
        provider: Provider::Github,
        binding_hash: sha256_hex(&binding),
        pkce_verifier: verifier,
        new_account_url: query.new_account_url,
        login_url: query.login_url,
        failure_url: query.failure_url,
        expires_at: now_secs() + identity::oauth::PENDING_TTL_SECS,
    };
    state.identity.oauth.begin(&id, &pending).await?;
    let signed_state = oauth.signer.get().await.sign(Provider::Github, &id);
    let location = with_query(
        &github.authorize_url,
        &[
            ("client_id", &github.client_id),
            ("redirect_uri", &oauth.callback_url("/auth/github/callback")),
            // Only the public profile: Belta's GitHub accounts have no e-mail.
            ("scope", "read:user"),
            ("state", &signed_state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("allow_signup", "true"),
        ],
    );
    Ok(redirect(&location, Some(binding_cookie(&binding))))
}

fn target_issue(target: &Option<String>) -> Option<FieldIssue> {
    match target.as_deref().map(str::trim) {
        None | Some("") => Some(FieldIssue::Required),
        Some(_) => None,
    }
}

/// Where GitHub sends the browser back. A state that is not ours, expired or already used: 400 (there
/// is no trustworthy place to send the browser). Otherwise always a redirect to one of the three targets.
#[utoipa::path(get, path = "/auth/github/callback", tag = "auth", operation_id = "github_callback", params(CallbackQuery),
    responses((status = 302, description = "to loginUrl, newAccountUrl or failureUrl"), (status = 400)))]
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    QueryParams(query): QueryParams<CallbackQuery>,
) -> ApiResult<Response> {
    let (pending, code) = match accept_callback(&state, Provider::Github, &headers, query).await? {
        Callback::Granted { pending, code } => (pending, code),
        Callback::Refused(redirect) => return Ok(redirect),
    };
    let failure = pending.failure_url.clone().unwrap_or_default();
    match complete(&state, &pending, &code, user_agent(&headers)).await {
        Ok(location) => Ok(finish(&location)),
        Err(error) => {
            tracing::error!(error = ?error, "GitHub sign-in failed");
            Ok(finish(&failure))
        }
    }
}

#[derive(Deserialize)]
struct GithubUser {
    id: u64,
    login: String,
    name: Option<String>,
}

/// The code exchange, the user read, and where the browser goes next.
async fn complete(
    state: &AppState,
    pending: &PendingLogin,
    code: &str,
    user_agent: Option<String>,
) -> anyhow::Result<String> {
    let oauth = &state.oauth;
    let github = oauth.config.github.as_ref().expect("checked at start");
    let secrets = oauth.secrets.get().await?;
    let secret = secrets
        .github
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the OAuth secret has no githubClientSecret"))?;
    let http = oauth.secrets.http().await?;

    #[derive(Deserialize)]
    struct TokenAnswer {
        access_token: Option<String>,
        error: Option<String>,
    }
    let answer: TokenAnswer = http
        .post(&github.token_url)
        .header(header::ACCEPT, "application/json")
        .form(&[
            ("client_id", github.client_id.as_str()),
            ("client_secret", secret.expose_secret()),
            ("code", code),
            ("redirect_uri", &oauth.callback_url("/auth/github/callback")),
            ("code_verifier", &pending.pkce_verifier),
        ])
        .send()
        .await?
        .json()
        .await?;
    let access_token = answer.access_token.ok_or_else(|| {
        anyhow::anyhow!(
            "GitHub refused the code: {}",
            answer.error.unwrap_or_default()
        )
    })?;
    let user: GithubUser = http
        .get(format!("{}/user", github.api_url))
        .bearer_auth(&access_token)
        .header(header::ACCEPT, "application/vnd.github+json")
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let subject = user.id.to_string();
    let signed_in = state
        .identity
        .sign_in_linked(
            Provider::Github,
            &subject,
            user_agent,
            Some(URL_REFRESH_TTL_SECS),
        )
        .await?;
    if let Some(signed_in) = signed_in {
        let login_url = pending.login_url.as_deref().unwrap_or_default();
        return Ok(with_query(
            login_url,
            &[("token", &signed_in.refresh.token)],
        ));
    }
    let full_name = user
        .name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(user.login);
    let proof = state
        .identity
        .oauth
        .open_proof(Provider::Github, &subject, &full_name)
        .await?;
    // Belta's profile shape; `providerId` is the one-time proof the store sends back as is.
    let profile =
        serde_json::json!({"fullName": full_name, "providerId": proof, "provider": "github"});
    let new_account_url = pending.new_account_url.as_deref().unwrap_or_default();
    Ok(with_query(
        new_account_url,
        &[("profile", &profile.to_string())],
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterGithubBody {
    /// The one-time proof from the callback's `profile.providerId` (not GitHub's account id); not
    /// blank.
    #[schema(pattern = r"\S")]
    provider_id: String,
    #[schema(schema_with = crate::account::full_name_schema)]
    full_name: String,
}

impl Validate for RegisterGithubBody {}

/// Creates the account for the GitHub user the callback saw, once per proof, and signs it in (Belta's
/// login body with `email: null`, `provider: "github"`, `confirmed: true`). A missing, expired or used
/// proof: 401 `invalid_oauth_proof`.
#[utoipa::path(post, path = "/auth/register-github", tag = "auth", operation_id = "register_github", request_body = RegisterGithubBody,
    responses((status = 201, body = LoginBody), (status = 400), (status = 401), (status = 409)))]
#[tracing::instrument(skip_all)]
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<RegisterGithubBody>,
) -> ApiResult<Response> {
    let full_name = account::full_name(&body.full_name);
    let proof_issue = body
        .provider_id
        .trim()
        .is_empty()
        .then_some(FieldIssue::Required);
    let full_name = match (full_name, proof_issue) {
        (Ok(full_name), None) => full_name,
        (full_name, proof_issue) => {
            let errors = field_errors([("fullName", full_name.err()), ("providerId", proof_issue)]);
            return Err(ApiError::Validation(errors));
        }
    };
    let signed_in = state
        .identity
        .register_with_proof(body.provider_id.trim(), full_name, user_agent(&headers))
        .await
        .map_err(IntoApiError::into_api)?;
    Ok(no_store(
        StatusCode::CREATED,
        LoginBody::new(&signed_in.user, signed_in.access, signed_in.refresh),
    ))
}
