//! Register, login and `me`.

use std::collections::HashMap;

use aws_sdk_dynamodb::{Client, types::AttributeValue};
use axum::{Json, extract::State, response::Response};
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use shared::{
    ApiError, ApiResult, FieldErrors, FieldIssue, Lang, Msg,
    auth::{AuthUser, MaybeAuthUser, Role, password, session::SessionRecord},
    clock::now_secs,
    db::{Key, StoreError, StoreResultExt},
    extract::{JsonBody, Validate},
    users::{NewUser, UserRecord, is_valid_email, normalize_email},
};
use utoipa::ToSchema;

use crate::{
    AppState,
    otp::Purpose,
    responses::{LoginBody, Success, UserBody, no_store, success},
};

/// Failed logins that lock an account, and for how long the window runs.
pub const MAX_FAILED_LOGINS: u32 = 5;
pub const FAILED_LOGIN_WINDOW_SECS: i64 = 15 * 60;

pub(crate) fn check_password_length(password: &str, field: &str, errors: &mut FieldErrors) {
    let length = password.chars().count();
    if !(password::MIN_LENGTH..=password::MAX_LENGTH).contains(&length) {
        errors.add(
            field,
            FieldIssue::Length {
                min: password::MIN_LENGTH,
                max: password::MAX_LENGTH,
            },
        );
    }
}

pub(crate) fn check_email(email: &str, errors: &mut FieldErrors) {
    if !is_valid_email(&normalize_email(email)) {
        errors.add("email", FieldIssue::Invalid);
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterBody {
    full_name: String,
    email: String,
    password: String,
    /// `client` (default). `employee` and `admin` only when an admin calls.
    role: Option<Role>,
}

impl Validate for RegisterBody {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if !(1..=100).contains(&self.full_name.trim().chars().count()) {
            errors.add("fullName", FieldIssue::Length { min: 1, max: 100 });
        }
        check_email(&self.email, &mut errors);
        check_password_length(&self.password, "password", &mut errors);
        errors.finish()
    }
}

/// Creates an account. Anyone may create a `client`; only an authenticated admin may create staff
/// (Belta let anyone self-register as `employee`).
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = Success), (status = 400), (status = 401), (status = 403), (status = 409)))]
pub async fn register(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    JsonBody(body): JsonBody<RegisterBody>,
) -> ApiResult<(StatusCode, Json<Success>)> {
    let role = body.role.unwrap_or(Role::Client);
    if role != Role::Client {
        match caller {
            None => return Err(ApiError::Unauthorized(Msg::StaffRoleNeedsAdmin)),
            Some(caller) if caller.role != Role::Admin => {
                return Err(ApiError::Forbidden(Msg::StaffRoleNeedsAdmin));
            }
            Some(_) => {}
        }
    }
    let password_hash = password::hash(body.password).await?;
    state
        .users
        .create(NewUser {
            email: normalize_email(&body.email),
            full_name: body.full_name.trim().to_owned(),
            password_hash,
            role,
            confirmed: false,
        })
        .await?;
    Ok((StatusCode::CREATED, success()))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
}

impl Validate for LoginRequest {}

/// Logs in and opens a session for this device. An unknown email and a wrong password get the same
/// answer in about the same time; 5 failures within 15 minutes lock the account (429) until the window
/// passes. An unconfirmed user is mailed an `email_confirmation` code, as Belta does.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginBody), (status = 400), (status = 401), (status = 429)))]
pub async fn login(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LoginRequest>,
) -> ApiResult<Response> {
    let email = normalize_email(&body.email);
    let now = now_secs();
    let (user_id, attempts) = state.attempts.lookup(&email).await?;
    if let Some(retry_after_secs) = attempts.locked_for(now) {
        return Err(ApiError::TooManyRequests {
            msg: Msg::TooManyLoginAttempts,
            retry_after_secs,
        });
    }
    let user = match user_id {
        Some(id) => state.users.get(&id).await?,
        None => None,
    };
    let matches = password::verify(
        body.password,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    let Some(user) = user.filter(|_| matches) else {
        state
            .attempts
            .record_failure(&email, &attempts, now)
            .await?;
        return Err(ApiError::Unauthorized(Msg::InvalidCredentials));
    };
    if attempts.failures > 0 {
        state.attempts.clear(&email).await?;
    }

    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = open_session(&state, &user, user_agent, now).await?;
    if !user.confirmed {
        // Belta mails the confirmation code at login. A rate-limited or failed mail must not fail the login.
        if let Err(error) = state
            .codes
            .send(
                &state.mailer,
                &user.email,
                Purpose::EmailConfirmation,
                true,
                lang,
            )
            .await
        {
            tracing::info!(?error, "confirmation code not sent at login");
        }
    }
    Ok(no_store(StatusCode::OK, body))
}

/// Creates a session (one PutItem) and the login body with its tokens.
pub async fn open_session(
    state: &AppState,
    user: &UserRecord,
    user_agent: Option<String>,
    now: i64,
) -> ApiResult<LoginBody> {
    let lifetime = state.tokens().config.refresh_ttl_secs;
    let session = SessionRecord::new(user.id, user.role, user_agent, now, lifetime);
    state.sessions().create(&session).await?;
    let access = state
        .tokens()
        .access(user.id, user.role, session.session_id)?;
    let refresh =
        state
            .tokens()
            .refresh(user.id, user.role, session.session_id, session.generation)?;
    Ok(LoginBody::new(user, access, refresh))
}

/// The current user.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserBody), (status = 401)))]
pub async fn me(State(state): State<AppState>, caller: AuthUser) -> ApiResult<Json<UserBody>> {
    Ok(Json(UserBody::from(&current_user(&state, &caller).await?)))
}

/// The signed-in caller's account; 401 if it is gone while its session lives on.
pub(crate) async fn current_user(state: &AppState, caller: &AuthUser) -> ApiResult<UserRecord> {
    state
        .users
        .get(&caller.user_id)
        .await?
        .ok_or(ApiError::Unauthorized(Msg::Unauthorized))
}

/// Failed logins per email, in the item `EMAIL#<email>` / `LOGIN_ATTEMPTS` beside the email marker, so
/// one Query reads both. Unknown emails are counted too: the lockout must not reveal which emails exist.
#[derive(Clone)]
pub struct LoginAttempts {
    pub db: Client,
    pub table: String,
}

const ATTEMPTS_SK: &str = "LOGIN_ATTEMPTS";

#[derive(Debug, Default, Clone, Copy)]
pub struct AttemptWindow {
    pub failures: u32,
    pub window_starts_at: i64,
}

impl AttemptWindow {
    fn is_open(&self, now: i64) -> bool {
        self.failures > 0 && now < self.window_starts_at + FAILED_LOGIN_WINDOW_SECS
    }

    /// Seconds until the lock ends, if locked.
    pub fn locked_for(&self, now: i64) -> Option<u64> {
        (self.is_open(now) && self.failures >= MAX_FAILED_LOGINS)
            .then(|| (self.window_starts_at + FAILED_LOGIN_WINDOW_SECS - now).max(1) as u64)
    }
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default()
}

impl LoginAttempts {
    /// The account id for `email` (if any) and its failed-attempt window, in one Query.
    pub async fn lookup(
        &self,
        email: &str,
    ) -> Result<(Option<shared::Id>, AttemptWindow), StoreError> {
        let output = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(Key::email(email).pk))
            .consistent_read(true)
            .send()
            .await
            .store_context("Failed to look up a login")?;
        let mut user_id = None;
        let mut window = AttemptWindow::default();
        for item in output.items.unwrap_or_default() {
            match item
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
            {
                Some("EMAIL") => {
                    user_id = item
                        .get("userId")
                        .and_then(|v| v.as_s().ok())
                        .and_then(|s| s.parse().ok())
                }
                Some(ATTEMPTS_SK) => {
                    window = AttemptWindow {
                        failures: number(&item, "failures") as u32,
                        window_starts_at: number(&item, "windowStartsAt"),
                    }
                }
                _ => {}
            }
        }
        Ok((user_id, window))
    }

    fn key(email: &str) -> HashMap<String, AttributeValue> {
        let mut key = Key::email(email).to_attributes();
        key.insert("SK".into(), AttributeValue::S(ATTEMPTS_SK.into()));
        key
    }

    /// Counts one failure: inside an open window it adds one, otherwise it starts a new window. The
    /// condition on the window start keeps two concurrent failures from both starting a window.
    pub async fn record_failure(
        &self,
        email: &str,
        seen: &AttemptWindow,
        now: i64,
    ) -> Result<(), StoreError> {
        let update = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(email)));
        let update = if seen.is_open(now) {
            update
                .update_expression("ADD failures :one")
                .condition_expression("windowStartsAt = :start")
                .expression_attribute_values(
                    ":start",
                    AttributeValue::N(seen.window_starts_at.to_string()),
                )
        } else {
            update
                .update_expression(
                    "SET failures = :one, windowStartsAt = :now, expiresAt = :expires",
                )
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .expression_attribute_values(
                    ":expires",
                    AttributeValue::N((now + FAILED_LOGIN_WINDOW_SECS).to_string()),
                )
        };
        match update
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await
            .store_context("Failed to count a failed login")
        {
            // Someone else restarted the window meanwhile: their write counts this burst.
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn clear(&self, email: &str) -> Result<(), StoreError> {
        self.db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(email)))
            .send()
            .await
            .store_context("Failed to clear failed logins")?;
        Ok(())
    }
}
