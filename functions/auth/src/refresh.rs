//! The token service and the four refresh conventions it is presented in.
//!
//! One service decides (`identity::refresh`: `Identity::rotate` and `Identity::keep`); each route only
//! reads the token its clients send and writes the answer their clients expect:
//! - Belta `POST /auth/refresh-token {token}`: the login body, 201.
//! - Django/simplejwt `POST /api/refresh-token/` (form, multipart or JSON `refresh`): `{access, refresh}`.
//! - blazex `GET /v1/auth/refresh-token` (header `x-refresh-token`): never rotates, because its clients
//!   keep the refresh token they logged in with.
//! - Hesabe `POST /api/v1/token-refresh {refreshToken}`.
//!
//! A session's first refresh binds it to its route's convention; another convention's route then
//! refuses its tokens (401 in that route's shape).

use axum::{
    Json,
    extract::{FromRequest, Multipart, Request, State},
    response::{IntoResponse, Response},
};
use http::{HeaderMap, StatusCode, header};
use identity::refresh::{Kept, RefreshError, Rotated};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::{
    ApiResult,
    auth::session::RefreshConvention,
    clock::now_secs,
    extract::{JsonBody, Validate},
};
use utoipa::ToSchema;

use crate::{
    AppState,
    responses::{IntoApiError, LoginBody, no_store},
};

/// What a seed route answers with when a refresh fails: `rejected` (401) or, for an unexpected failure,
/// the status Belta's route would give. Rendering the `ApiError` logs its cause chain once, as on Belta's
/// route; the seed route then answers in its own shape.
fn seed_failure(
    error: RefreshError,
    rejected: impl FnOnce() -> Response,
    unexpected: impl FnOnce(StatusCode) -> Response,
) -> Response {
    match error {
        RefreshError::Rejected => rejected(),
        unexpected_error => unexpected(unexpected_error.into_api().into_response().status()),
    }
}

// ---- Belta ---------------------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
pub struct BeltaRefresh {
    /// The refresh token.
    token: String,
}

impl Validate for BeltaRefresh {}

/// Rotates the refresh token; answers like login, with 201 (Belta's status).
#[utoipa::path(post, path = "/auth/refresh-token", tag = "auth", request_body = BeltaRefresh,
    responses((status = 201, body = LoginBody), (status = 400), (status = 401)))]
#[tracing::instrument(skip_all)]
pub async fn belta(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<BeltaRefresh>,
) -> ApiResult<Response> {
    let Rotated {
        user,
        access,
        refresh,
    } = state
        .identity
        .rotate(&body.token, RefreshConvention::Belta)
        .await
        .map_err(IntoApiError::into_api)?;
    Ok(no_store(
        StatusCode::CREATED,
        LoginBody::new(&user, access, refresh),
    ))
}

// ---- Django REST framework / simplejwt ---------------------------------------------------------

/// drf-standardized-errors' envelope.
fn drf_error(
    status: StatusCode,
    kind: &str,
    code: &str,
    detail: &str,
    attr: Option<&str>,
) -> Response {
    let body = json!({"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]});
    (status, Json(body)).into_response()
}

/// Reads `refresh` from a form, multipart or JSON body, as simplejwt's parsers do.
async fn drf_refresh_field(request: Request) -> Result<Option<String>, Response> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let unsupported = || {
        drf_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "client_error",
            "unsupported_media_type",
            &format!("Unsupported media type \"{content_type}\" in request."),
            None,
        )
    };
    let malformed = || {
        drf_error(
            StatusCode::BAD_REQUEST,
            "client_error",
            "parse_error",
            "Malformed request.",
            None,
        )
    };
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(request, &())
            .await
            .map_err(|_| malformed())?;
        while let Some(field) = form.next_field().await.map_err(|_| malformed())? {
            if field.name() == Some("refresh") {
                return Ok(Some(field.text().await.map_err(|_| malformed())?));
            }
        }
        return Ok(None);
    }
    let bytes = axum::body::Bytes::from_request(request, &())
        .await
        .map_err(|_| malformed())?;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let form: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| malformed())?;
        return Ok(form
            .into_iter()
            .find(|(k, _)| k == "refresh")
            .map(|(_, v)| v));
    }
    if content_type.starts_with("application/json") || content_type.is_empty() && bytes.is_empty() {
        if bytes.is_empty() {
            return Ok(None);
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
        return Ok(value
            .get("refresh")
            .and_then(Value::as_str)
            .map(str::to_owned));
    }
    Err(unsupported())
}

#[derive(Serialize, ToSchema)]
pub struct DrfTokens {
    access: String,
    refresh: String,
}

/// simplejwt's refresh (rotating, blacklisting the old token): `{access, refresh}`; errors in
/// drf-standardized-errors' shape (401 `token_not_valid`, 400 `required`).
#[utoipa::path(post, path = "/api/refresh-token/", tag = "seed refresh clients",
    request_body(description = "`refresh` as a form, multipart or JSON field", content(
        (crate::responses::DrfRefresh = "application/x-www-form-urlencoded"),
        (crate::responses::DrfRefreshMultipart = "multipart/form-data"),
        (crate::responses::DrfRefresh = "application/json"))),
    responses((status = 200, body = DrfTokens),
        (status = 400, body = crate::responses::DrfError),
        (status = 401, body = crate::responses::DrfError),
        (status = 415, body = crate::responses::DrfError)))]
#[tracing::instrument(skip_all)]
pub async fn drf(State(state): State<AppState>, request: Request) -> Response {
    let token = match drf_refresh_field(request).await {
        Ok(Some(token)) if !token.trim().is_empty() => token,
        Ok(Some(_)) => {
            return drf_error(
                StatusCode::BAD_REQUEST,
                "validation_error",
                "blank",
                "This field may not be blank.",
                Some("refresh"),
            );
        }
        Ok(None) => {
            return drf_error(
                StatusCode::BAD_REQUEST,
                "validation_error",
                "required",
                "This field is required.",
                Some("refresh"),
            );
        }
        Err(response) => return response,
    };
    match state
        .identity
        .rotate(token.trim(), RefreshConvention::Drf)
        .await
    {
        Ok(Rotated {
            access, refresh, ..
        }) => no_store(
            StatusCode::OK,
            DrfTokens {
                access: access.token,
                refresh: refresh.token,
            },
        ),
        Err(error) => seed_failure(
            error,
            || {
                drf_error(
                    StatusCode::UNAUTHORIZED,
                    "client_error",
                    "token_not_valid",
                    "Token is invalid or expired",
                    None,
                )
            },
            |status| {
                drf_error(
                    status,
                    "server_error",
                    "error",
                    "A server error occurred.",
                    None,
                )
            },
        ),
    }
}

// ---- blazex ------------------------------------------------------------------------------------

/// blazex's RFC 7807 problem body.
fn problem(status: StatusCode, code: &str, detail: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = json!({
        "type": format!("https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/{}", status.as_u16()),
        "title": title,
        "status": status.as_u16(),
        "code": code,
        "detail": detail,
        "instance": "/v1/auth/refresh-token",
        "timestamp": shared::clock::iso_millis(now_secs() * 1000),
    });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// blazex's refresh: a new access token, and the *same* refresh token back (its clients never expect a
/// new one, so this route never invalidates the token it was given). A session refreshed at another
/// route first is refused here; a stale token (its session moved on) ends the session.
#[utoipa::path(get, path = "/v1/auth/refresh-token", tag = "seed refresh clients",
    params(("x-refresh-token" = String, Header, description = "The refresh token")),
    responses((status = 200, body = crate::responses::BlazexRefreshed),
        (status = 401, body = crate::responses::BlazexProblem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn blazex(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = headers
        .get("x-refresh-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "No token provided",
        );
    };
    match state.identity.keep(token).await {
        Ok(Kept { access, .. }) => no_store(
            StatusCode::OK,
            json!({
                "status": 200,
                "message": "Token refreshed successfully.",
                "data": {"tokens": {"accessToken": access.token, "refreshToken": token}},
            }),
        ),
        Err(error) => seed_failure(
            error,
            || problem(StatusCode::UNAUTHORIZED, "unauthorized", "Invalid token"),
            |status| problem(status, "internal_server_error", "Something went wrong"),
        ),
    }
}

// ---- Hesabe ------------------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HesabeRefresh {
    /// Required, not blank (400 otherwise, in Hesabe's shape).
    #[schema(required = true, schema_with = not_blank)]
    refresh_token: Option<String>,
}

/// A string with something in it besides spaces.
fn not_blank() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    shared::api::schema::to_schema(json!({"type": "string", "pattern": r"\S"}))
}

fn hesabe_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"status": false, "message": message, "response": null})),
    )
        .into_response()
}

/// Hesabe's refresh: `{status: true, message: "Success", response: {token: {...}}}`.
#[utoipa::path(post, path = "/api/v1/token-refresh", tag = "seed refresh clients", request_body = HesabeRefresh,
    responses((status = 200, body = crate::responses::HesabeRefreshed),
        (status = 400, body = crate::responses::HesabeError),
        (status = 401, body = crate::responses::HesabeError)))]
#[tracing::instrument(skip_all)]
pub async fn hesabe(
    State(state): State<AppState>,
    body: Result<Json<HesabeRefresh>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let token = match body {
        Ok(Json(HesabeRefresh {
            refresh_token: Some(token),
        })) if !token.trim().is_empty() => token,
        Ok(_) => return hesabe_error(StatusCode::BAD_REQUEST, "refreshToken is required"),
        Err(_) => return hesabe_error(StatusCode::BAD_REQUEST, "Invalid request body"),
    };
    match state
        .identity
        .rotate(token.trim(), RefreshConvention::Hesabe)
        .await
    {
        Ok(Rotated {
            access, refresh, ..
        }) => {
            let expires_in = access.expires_in();
            no_store(
                StatusCode::OK,
                json!({
                    "status": true,
                    "message": "Success",
                    "response": {"token": {
                        "token_type": "Bearer",
                        "expires_in": expires_in,
                        "access_token": access.token,
                        "refresh_token": refresh.token,
                    }},
                }),
            )
        }
        Err(error) => seed_failure(
            error,
            || hesabe_error(StatusCode::UNAUTHORIZED, "Invalid or expired refresh token"),
            |status| hesabe_error(status, "Service unavailable, try again"),
        ),
    }
}
