//! Sending and verifying one-time codes (`email_confirmation`, `reset_password`). The codes, their
//! limits and what they unlock are identity's (`identity::codes`, `identity::grants`); this module reads
//! the requests, queues the mails, and answers. Guest routes answer the same whether or not the email
//! has an account, and cost the same: the same reads and one queued message either way (for an unknown
//! one, a message the mailer drops). Whether SES then takes the mail never reaches the answer.

use axum::{Json, extract::State, response::Response};
use http::StatusCode;
use identity::{
    Email, OtpCode, Purpose,
    codes::{CheckCodeError, PauseNotice},
    grants::Redeemed,
};
use serde::Deserialize;
use shared::{
    ApiError, ApiResult, FieldErrors, Lang, Msg,
    auth::AuthUser,
    extract::{JsonBody, Validate},
};
use utoipa::ToSchema;

use crate::{
    AppState,
    account::{current_user, field_errors},
    responses::{IntoApiError, Success, no_store, success},
};

/// Stores a new code for `email` and queues its mail (unless `deliver` is false: then the limits are
/// counted and a message without a mail is queued, so that nothing tells the two apart). A code whose
/// mail could not be queued is withdrawn.
pub(crate) async fn send_code(
    state: &AppState,
    email: &Email,
    purpose: Purpose,
    deliver: bool,
    lang: Lang,
) -> ApiResult<()> {
    let codes = &state.identity.codes;
    let pending = codes
        .open(email, purpose, deliver)
        .await
        .map_err(IntoApiError::into_api)?;
    let mail = pending.as_ref().map(|pending| pending.mail(lang));
    if let Err(error) = state.mail.enqueue(mail).await {
        if let Some(pending) = &pending {
            codes.withdraw(pending).await;
        }
        return Err(error);
    }
    Ok(())
}

#[derive(Deserialize, ToSchema)]
pub struct SendBody {
    purpose: Purpose,
}

impl Validate for SendBody {}

#[derive(Deserialize, ToSchema)]
pub struct VerifyBody {
    #[schema(schema_with = OtpCode::schema)]
    otp: String,
    purpose: Purpose,
}

impl Validate for VerifyBody {}

impl TryFrom<VerifyBody> for OtpCode {
    type Error = FieldErrors;

    fn try_from(body: VerifyBody) -> Result<Self, FieldErrors> {
        OtpCode::parse(body.otp).map_err(|issue| field_errors([("otp", Some(issue))]))
    }
}

#[derive(Deserialize, ToSchema)]
pub struct GuestSendBody {
    #[schema(schema_with = identity::email::schema)]
    email: String,
    /// Defaults to `reset_password` (Belta's store sends no purpose from its resend button).
    purpose: Option<Purpose>,
}

impl Validate for GuestSendBody {}

/// A guest's request for a code, parsed.
struct GuestSend {
    email: Email,
    purpose: Purpose,
}

impl TryFrom<GuestSendBody> for GuestSend {
    type Error = FieldErrors;

    fn try_from(body: GuestSendBody) -> Result<Self, FieldErrors> {
        Ok(GuestSend {
            email: Email::parse(&body.email)
                .map_err(|issue| field_errors([("email", Some(issue))]))?,
            purpose: body.purpose.unwrap_or(Purpose::ResetPassword),
        })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct GuestVerifyBody {
    #[schema(schema_with = identity::email::schema)]
    email: String,
    #[schema(schema_with = OtpCode::schema)]
    otp: String,
    purpose: Purpose,
}

impl Validate for GuestVerifyBody {}

/// A guest's code, parsed.
struct GuestVerify {
    email: Email,
    code: OtpCode,
    purpose: Purpose,
}

impl TryFrom<GuestVerifyBody> for GuestVerify {
    type Error = FieldErrors;

    fn try_from(body: GuestVerifyBody) -> Result<Self, FieldErrors> {
        match (Email::parse(&body.email), OtpCode::parse(body.otp)) {
            (Ok(email), Ok(code)) => Ok(GuestVerify {
                email,
                code,
                purpose: body.purpose,
            }),
            (email, code) => Err(field_errors([("email", email.err()), ("otp", code.err())])),
        }
    }
}

/// Mails a code to the signed-in user.
#[utoipa::path(post, path = "/auth/send-otp", tag = "auth", request_body = SendBody, security(("bearer" = [])),
    responses((status = 200, body = Success), (status = 400), (status = 401), (status = 409), (status = 429)))]
#[tracing::instrument(skip_all, fields(user = %caller.user_id, purpose = ?body.purpose))]
pub async fn send_for_user(
    State(state): State<AppState>,
    caller: AuthUser,
    lang: Lang,
    JsonBody(body): JsonBody<SendBody>,
) -> ApiResult<Json<Success>> {
    let user = current_user(&state, &caller).await?;
    if body.purpose == Purpose::EmailConfirmation && user.confirmed {
        return Err(ApiError::Conflict(Msg::EmailAlreadyConfirmed));
    }
    send_code(&state, &user.email(), body.purpose, true, lang).await?;
    Ok(success())
}

/// Mails a code to an email given in the body. Same answer whether or not it has an account.
#[utoipa::path(post, path = "/auth/send-guest-otp", tag = "auth", request_body = GuestSendBody,
    responses((status = 200, body = Success), (status = 400), (status = 429)))]
#[tracing::instrument(skip_all)]
pub async fn send_for_guest(
    State(state): State<AppState>,
    lang: Lang,
    JsonBody(body): JsonBody<GuestSendBody>,
) -> ApiResult<Json<Success>> {
    let GuestSend { email, purpose } = body.try_into()?;
    let user = state.identity.users.find_by_email(&email).await?;
    // No code for an unknown or disabled account, nor a confirmation code for a confirmed one.
    let deliver = user.is_some_and(|u| {
        let confirmed_already = purpose == Purpose::EmailConfirmation && u.confirmed;
        !u.disabled && !confirmed_already
    });
    send_code(&state, &email, purpose, deliver, lang).await?;
    Ok(success())
}

/// Verifies the signed-in user's code.
#[utoipa::path(post, path = "/auth/verify-otp", tag = "auth", request_body = VerifyBody, security(("bearer" = [])),
    responses((status = 200, body = crate::responses::Verified), (status = 400), (status = 401), (status = 429)))]
#[tracing::instrument(skip_all, fields(user = %caller.user_id, purpose = ?body.purpose))]
pub async fn verify_for_user(
    State(state): State<AppState>,
    caller: AuthUser,
    lang: Lang,
    JsonBody(body): JsonBody<VerifyBody>,
) -> ApiResult<Response> {
    let purpose = body.purpose;
    let code = OtpCode::try_from(body)?;
    let user = current_user(&state, &caller).await?;
    let redeemed = state.identity.redeem_code(&user, purpose, &code).await;
    redeemed_answer(&state, redeemed, lang).await
}

/// Verifies a code for an email given in the body. Unknown emails get the same 401 as a wrong code.
#[utoipa::path(post, path = "/auth/verify-guest-otp", tag = "auth", request_body = GuestVerifyBody,
    responses((status = 200, body = crate::responses::Verified), (status = 400), (status = 401), (status = 429)))]
#[tracing::instrument(skip_all)]
pub async fn verify_for_guest(
    State(state): State<AppState>,
    lang: Lang,
    JsonBody(body): JsonBody<GuestVerifyBody>,
) -> ApiResult<Response> {
    let GuestVerify {
        email,
        code,
        purpose,
    } = body.try_into()?;
    let redeemed = state
        .identity
        .redeem_guest_code(&email, purpose, &code)
        .await;
    redeemed_answer(&state, redeemed, lang).await
}

/// `{success: true}`, plus the `resetPasswordToken` of an opened reset grant; or the error's answer,
/// after telling the owner when the wrong code paused verifying.
async fn redeemed_answer(
    state: &AppState,
    redeemed: Result<Redeemed, CheckCodeError>,
    lang: Lang,
) -> ApiResult<Response> {
    let redeemed = match redeemed {
        Err(CheckCodeError::InvalidAndPaused(notice)) => {
            tell_owner(state, &notice, lang).await?;
            Err(CheckCodeError::Invalid)
        }
        other => other,
    };
    Ok(match redeemed.map_err(IntoApiError::into_api)? {
        Redeemed::Confirmed => no_store(StatusCode::OK, Success { success: true }),
        Redeemed::ResetGrant(token) => no_store(
            StatusCode::OK,
            serde_json::json!({"success": true, "resetPasswordToken": token.token}),
        ),
    })
}

/// Queues a mail to the owner of `notice`'s email (if it has an account; otherwise a message the
/// mailer drops, at the same cost) that wrong codes paused verifying. Best effort: a failure is
/// logged, the answer stays the wrong code's.
async fn tell_owner(state: &AppState, notice: &PauseNotice, lang: Lang) -> ApiResult<()> {
    let owner = state.identity.users.find_by_email(&notice.email).await?;
    let mail = owner.map(|_| notice.mail(lang));
    if let Err(error) = state.mail.enqueue(mail).await {
        tracing::warn!(
            ?error,
            "Failed to tell an owner that wrong codes paused verifying"
        );
    }
    Ok(())
}
