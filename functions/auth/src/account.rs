//! Register, login and `me`.

use axum::{Json, extract::State, response::Response};
use http::{HeaderMap, StatusCode, header};
use identity::{
    Email, Password, Purpose, UserRecord, accounts::Registration, attempts::LoginSource,
};
use serde::Deserialize;
use shared::{
    ApiError, ApiResult, FieldErrors, FieldIssue, Lang, Msg,
    auth::{AuthUser, MaybeAuthUser, Role},
    extract::{JsonBody, SourceIp, Validate},
    text::{self, Lines},
};
use utoipa::ToSchema;

use crate::{
    AppState, otp,
    responses::{IntoApiError, LoginBody, Success, UserBody, no_store, success},
};

/// The field errors of the fields that did not parse, by field name.
pub(crate) fn field_errors<const N: usize>(issues: [(&str, Option<FieldIssue>); N]) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for (field, issue) in issues {
        if let Some(issue) = issue {
            errors.add(field, issue);
        }
    }
    errors
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterBody {
    #[schema(schema_with = full_name_schema)]
    full_name: String,
    #[schema(schema_with = identity::email::schema)]
    email: String,
    #[schema(schema_with = identity::Password::schema)]
    password: String,
    /// `client` (default). `employee` and `admin` only when an admin calls.
    role: Option<Role>,
}

impl Validate for RegisterBody {}

/// A person's name as typed: one line, 1-100 visible characters, nothing hidden (`shared::text`).
pub(crate) fn full_name(value: &str) -> Result<String, FieldIssue> {
    text::check(value, Lines::One, 1, MAX_FULL_NAME_CHARS)
}

const MAX_FULL_NAME_CHARS: usize = 100;

/// What [`full_name`] accepts, as JSON Schema.
pub(crate) fn full_name_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    shared::api::schema::to_schema(shared::api::schema::text(
        Lines::One,
        1,
        MAX_FULL_NAME_CHARS,
    ))
}

impl TryFrom<RegisterBody> for Registration {
    type Error = FieldErrors;

    fn try_from(body: RegisterBody) -> Result<Self, FieldErrors> {
        let full_name = full_name(&body.full_name);
        let email = Email::parse(&body.email);
        let password = Password::parse(body.password);
        match (full_name, email, password) {
            (Ok(full_name), Ok(email), Ok(password)) => Ok(Registration {
                full_name,
                email,
                password,
                role: body.role.unwrap_or(Role::Client),
            }),
            (full_name, email, password) => Err(field_errors([
                ("fullName", full_name.err()),
                ("email", email.err()),
                ("password", password.err()),
            ])),
        }
    }
}

/// Creates an account. Anyone may create a `client`; only an authenticated admin may create staff
/// (Belta let anyone self-register as `employee`).
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = Success), (status = 400), (status = 401), (status = 403), (status = 409)))]
#[tracing::instrument(skip_all, fields(caller = ?caller.map(|c| c.user_id)))]
pub async fn register(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    JsonBody(body): JsonBody<RegisterBody>,
) -> ApiResult<(StatusCode, Json<Success>)> {
    let registration = Registration::try_from(body)?;
    if registration.role != Role::Client {
        match caller {
            None => return Err(ApiError::Unauthorized(Msg::StaffRoleNeedsAdmin)),
            Some(caller) if caller.role != Role::Admin => {
                return Err(ApiError::Forbidden(Msg::StaffRoleNeedsAdmin));
            }
            Some(_) => {}
        }
    }
    state
        .identity
        .register(registration)
        .await
        .map_err(IntoApiError::into_api)?;
    Ok((StatusCode::CREATED, success()))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
}

impl Validate for LoginRequest {}

/// Credentials as a login presents them.
struct Credentials {
    email: Email,
    password: Password,
}

impl From<LoginRequest> for Credentials {
    /// Never refused: an address or password that today's rules would not accept simply matches no
    /// account, and gets the same 401 as a wrong password.
    fn from(body: LoginRequest) -> Self {
        Credentials {
            email: Email::presented(&body.email),
            password: Password::presented(body.password),
        }
    }
}

/// Logs in and opens a session for this device. An unknown email and a wrong password get the same
/// answer in about the same time; 5 attempts within 15 minutes from one address, or 25 from all, lock
/// the email (429) until the window passes (a successful one gives its attempt back). An unconfirmed user is mailed an `email_confirmation` code, as Belta does.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginBody), (status = 400), (status = 401), (status = 403), (status = 429)))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    SourceIp(address): SourceIp,
    JsonBody(body): JsonBody<LoginRequest>,
) -> ApiResult<Response> {
    let credentials = Credentials::from(body);
    let source = LoginSource {
        email: &credentials.email,
        address: address.as_deref(),
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let signed_in = state
        .identity
        .login(&source, &credentials.password, user_agent)
        .await
        .map_err(IntoApiError::into_api)?;
    let user = &signed_in.user;
    if !user.confirmed {
        // Belta mails the confirmation code at login. A rate-limited or failed mail must not fail the login.
        let email = user.email();
        let sent = otp::send_code(&state, &email, Purpose::EmailConfirmation, true, lang).await;
        if let Err(error) = sent {
            tracing::info!(?error, "confirmation code not sent at login");
        }
    }
    Ok(no_store(
        StatusCode::OK,
        LoginBody::new(user, signed_in.access, signed_in.refresh),
    ))
}

/// The current user.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserBody), (status = 401)))]
#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
pub async fn me(State(state): State<AppState>, caller: AuthUser) -> ApiResult<Json<UserBody>> {
    Ok(Json(UserBody::from(&current_user(&state, &caller).await?)))
}

/// The signed-in caller's account; 401 if it is gone while its session lives on.
pub(crate) async fn current_user(state: &AppState, caller: &AuthUser) -> ApiResult<UserRecord> {
    state
        .identity
        .users
        .get(&caller.user_id)
        .await?
        .ok_or(ApiError::Unauthorized(Msg::Unauthorized))
}

#[derive(Deserialize, ToSchema)]
pub struct DeleteMeBody {
    /// The current password; required for accounts that have one. Accounts without one (GitHub,
    /// Google) send `{}` from a session opened within the last 10 minutes.
    password: Option<String>,
}

impl Validate for DeleteMeBody {}

/// Deletes the caller's own account and its personal data (profile, email, provider links, sessions,
/// codes, carts); its orders are kept, anonymised. Wrong passwords count as failed logins (5 per 15
/// minutes from one address lock it, 429), so this route cannot be used to guess the password. An
/// account without a password must have signed in within the last 10 minutes (403 `sign_in_again`).
/// The last admin cannot delete itself (409 `last_admin`).
#[utoipa::path(delete, path = "/auth/me", tag = "auth", request_body = DeleteMeBody, security(("bearer" = [])),
    responses((status = 200, body = Success), (status = 400), (status = 401), (status = 403), (status = 409), (status = 429)))]
#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
pub async fn delete_me(
    State(state): State<AppState>,
    caller: AuthUser,
    SourceIp(address): SourceIp,
    JsonBody(body): JsonBody<DeleteMeBody>,
) -> ApiResult<Response> {
    let password = body.password.map(Password::presented);
    let carts = state.carts.erase_carts_in_transaction(&caller.user_id);
    state
        .identity
        .accounts
        .delete_own_account(
            &caller.user_id,
            &caller.session_id,
            password.as_ref(),
            address.as_deref(),
            carts,
        )
        .await
        .map_err(IntoApiError::into_api)?;
    Ok(no_store(StatusCode::OK, Success { success: true }))
}
