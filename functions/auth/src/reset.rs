//! `POST /auth/reset-password`: redeems a reset token once, sets the password, ends every session
//! (`identity::grants`).

use axum::{Json, extract::State};
use http::request::Parts;
use identity::Password;
use serde::Deserialize;
use shared::{
    ApiError, ApiResult, FieldErrors, Msg,
    auth::extract::bearer_token,
    extract::{JsonBody, Validate},
};
use utoipa::ToSchema;

use crate::{
    AppState,
    account::field_errors,
    responses::{IntoApiError, Success, success},
};

#[derive(Deserialize, ToSchema)]
pub struct ResetBody {
    #[schema(schema_with = Password::schema)]
    password: String,
}

impl Validate for ResetBody {}

impl TryFrom<ResetBody> for Password {
    type Error = FieldErrors;

    fn try_from(body: ResetBody) -> Result<Self, FieldErrors> {
        Password::parse(body.password).map_err(|issue| field_errors([("password", Some(issue))]))
    }
}

/// Sets a new password with the `resetPasswordToken` of a verified `reset_password` code (as Bearer).
/// The token works once; access and refresh tokens are refused here, and reset tokens everywhere else.
#[utoipa::path(post, path = "/auth/reset-password", tag = "auth", request_body = ResetBody, security(("bearer" = [])),
    responses((status = 200, body = Success), (status = 400), (status = 401), (status = 409)))]
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    State(state): State<AppState>,
    parts: Parts,
    body: Result<JsonBody<ResetBody>, ApiError>,
) -> ApiResult<Json<Success>> {
    // Authentication first, as everywhere: without a valid token the body is never looked at.
    let token = bearer_token(&parts).ok_or(ApiError::Unauthorized(Msg::Unauthorized))??;
    let reset = state
        .identity
        .pending_reset(token)
        .await
        .map_err(IntoApiError::into_api)?;
    let JsonBody(body) = body?;
    let password = Password::try_from(body)?;
    state
        .identity
        .reset_password(reset, &password)
        .await
        .map_err(IntoApiError::into_api)?;
    Ok(success())
}
