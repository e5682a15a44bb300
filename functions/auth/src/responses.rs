//! Response bodies shared by several auth routes, and the one place where identity's errors become
//! Belta's answers ([`IntoApiError`]).

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use http::{HeaderValue, StatusCode, header};
use identity::{
    Provider, UserRecord,
    accounts::LoginError,
    admin::{DeleteOwnError, ManageError},
    codes::{CheckCodeError, SendCodeError},
    grants::ResetError,
    oauth::ProofError,
    refresh::RefreshError,
    tokens::Issued,
    users::CreateUserError,
};
use serde::Serialize;
use shared::{ApiError, FieldErrors, FieldIssue, Id, Msg, auth::Role, clock::iso_millis};
use utoipa::ToSchema;

/// `{success: true}`, Belta's answer to most auth calls.
#[derive(Serialize, ToSchema)]
pub struct Success {
    pub success: bool,
}

/// The shapes below describe answers built with `json!` in the seed conventions' own words; they
/// exist for the OpenAPI document only.
#[allow(dead_code)]
mod documented {
    use utoipa::ToSchema;

    /// `{success: true}`, plus `resetPasswordToken` when a `reset_password` code opened a reset.
    #[derive(ToSchema)]
    #[schema(rename_all = "camelCase")]
    pub struct Verified {
        pub success: bool,
        /// Only for `reset_password`: the token `/auth/reset-password` takes.
        #[schema(required = false)]
        pub reset_password_token: Option<String>,
    }

    /// blazex: `{status: 200, message, data: {tokens: {accessToken, refreshToken}}}`.
    #[derive(ToSchema)]
    pub struct BlazexRefreshed {
        pub status: u16,
        pub message: String,
        pub data: BlazexData,
    }

    #[derive(ToSchema)]
    pub struct BlazexData {
        pub tokens: BlazexTokens,
    }

    #[derive(ToSchema)]
    #[schema(rename_all = "camelCase")]
    pub struct BlazexTokens {
        pub access_token: String,
        pub refresh_token: String,
    }

    /// Hesabe: `{status: true, message: "Success", response: {token: {...}}}`.
    #[derive(ToSchema)]
    pub struct HesabeRefreshed {
        pub status: bool,
        pub message: String,
        pub response: HesabeResponse,
    }

    #[derive(ToSchema)]
    pub struct HesabeResponse {
        pub token: HesabeToken,
    }

    #[derive(ToSchema)]
    pub struct HesabeToken {
        /// `Bearer`.
        pub token_type: String,
        /// Seconds the access token lives.
        pub expires_in: u64,
        pub access_token: String,
        pub refresh_token: String,
    }

    /// drf-standardized-errors' envelope, simplejwt's error answers.
    #[derive(ToSchema)]
    pub struct DrfError {
        /// `validation_error`, `client_error` or `server_error`.
        pub r#type: String,
        pub errors: Vec<DrfErrorItem>,
    }

    #[derive(ToSchema)]
    pub struct DrfErrorItem {
        pub code: String,
        pub detail: String,
        /// The field at fault, `null` for the request as a whole.
        pub attr: Option<String>,
    }

    /// Hesabe's error answer: `{status: false, message, response: null}`.
    #[derive(ToSchema)]
    pub struct HesabeError {
        pub status: bool,
        pub message: String,
        /// Always `null`.
        #[schema(schema_with = null)]
        pub response: (),
    }

    fn null() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        shared::api::schema::to_schema(serde_json::json!({"type": "null"}))
    }

    /// blazex's RFC 7807 problem (`application/problem+json`).
    #[derive(ToSchema)]
    pub struct BlazexProblem {
        pub r#type: String,
        pub title: String,
        pub status: u16,
        pub code: String,
        pub detail: String,
        pub instance: String,
        pub timestamp: String,
    }

    /// A character that is not white space as `str::trim` sees it: simplejwt trims `refresh`, and one
    /// made only of white space is blank (400 `blank`), so a schema-valid one holds one of these.
    const NOT_ONLY_WHITE_SPACE: &str =
        "[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

    /// The refresh token: a string that is not only white space.
    fn refresh_token() -> utoipa::openapi::schema::Object {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .pattern(Some(NOT_ONLY_WHITE_SPACE))
            .description(Some("The refresh token."))
            .build()
    }

    /// simplejwt's refresh body: `refresh`, sent as a form, multipart or JSON field.
    #[derive(ToSchema)]
    pub struct DrfRefresh {
        #[schema(schema_with = refresh_token)]
        pub refresh: String,
    }

    /// [`DrfRefresh`] as a multipart form. A part's name travels in its `Content-Disposition` header,
    /// and a header carries no control character but a tab (RFC 9110 field values): a part named
    /// with one is a malformed form (400 `parse_error`), which the schema says with `propertyNames`.
    pub struct DrfRefreshMultipart;

    impl utoipa::PartialSchema for DrfRefreshMultipart {
        fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
            use utoipa::openapi::schema::{ObjectBuilder, Type};
            let name = ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$"));
            ObjectBuilder::new()
                .description(Some("`refresh`, and any other parts, which are ignored"))
                .property("refresh", refresh_token())
                .required("refresh")
                .property_names(Some(name))
                .into()
        }
    }

    impl ToSchema for DrfRefreshMultipart {}
}

pub use documented::{
    BlazexProblem, BlazexRefreshed, DrfError, DrfRefresh, DrfRefreshMultipart, HesabeError,
    HesabeRefreshed, Verified,
};

pub fn success() -> Json<Success> {
    Json(Success { success: true })
}

/// The user as Belta's login body and `/auth/me` show it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserBody {
    #[serde(rename = "_id")]
    #[schema(value_type = String)]
    pub id: Id,
    pub full_name: String,
    /// `null` for GitHub accounts, which have no e-mail (as in Belta).
    pub email: Option<String>,
    pub confirmed: bool,
    pub role: Role,
    /// `email` (`github` for GitHub accounts), as Belta's clients read it.
    pub provider: Provider,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&UserRecord> for UserBody {
    fn from(user: &UserRecord) -> Self {
        UserBody {
            id: user.id,
            full_name: user.full_name.clone(),
            email: (!user.email.is_empty()).then(|| user.email.clone()),
            confirmed: user.confirmed,
            role: user.role,
            provider: user.provider,
            created_at: iso_millis(user.created_at),
            updated_at: iso_millis(user.updated_at),
        }
    }
}

/// Belta's flat login/refresh body, plus `tokenType` and `expiresIn` (seconds of the access token).
/// The expiry dates are the tokens' real ones.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginBody {
    #[serde(flatten)]
    pub user: UserBody,
    pub access_token: String,
    pub access_token_expire_date: String,
    pub refresh_token: String,
    pub refresh_token_expire_date: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

impl LoginBody {
    pub fn new(user: &UserRecord, access: Issued, refresh: Issued) -> Self {
        LoginBody {
            user: user.into(),
            access_token_expire_date: iso_millis(access.expires_at * 1000),
            expires_in: access.expires_in(),
            access_token: access.token,
            refresh_token_expire_date: iso_millis(refresh.expires_at * 1000),
            refresh_token: refresh.token,
            token_type: "Bearer",
        }
    }
}

/// A JSON answer that carries tokens: never cached by browsers or proxies.
pub fn no_store(status: StatusCode, body: impl Serialize) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// How an identity error answers on Belta's routes. Unexpected causes become `ApiError`s that log their
/// whole chain once when rendered (and 503 when DynamoDB throttled us).
pub trait IntoApiError {
    fn into_api(self) -> ApiError;
}

impl IntoApiError for CreateUserError {
    fn into_api(self) -> ApiError {
        match self {
            CreateUserError::EmailTaken => ApiError::Conflict(Msg::DuplicateEmail),
            CreateUserError::Store(cause) => cause.into(),
        }
    }
}

impl IntoApiError for LoginError {
    fn into_api(self) -> ApiError {
        match self {
            LoginError::Locked { retry_after_secs } => ApiError::TooManyRequests {
                msg: Msg::TooManyLoginAttempts,
                retry_after_secs,
            },
            LoginError::InvalidCredentials => ApiError::Unauthorized(Msg::InvalidCredentials),
            LoginError::Disabled => ApiError::Forbidden(Msg::AccountDisabled),
            LoginError::Unexpected(cause) => cause.into(),
        }
    }
}

impl IntoApiError for DeleteOwnError {
    fn into_api(self) -> ApiError {
        match self {
            DeleteOwnError::PasswordRequired => {
                ApiError::Validation(FieldErrors::single("password", FieldIssue::Required))
            }
            DeleteOwnError::WrongPassword => ApiError::Forbidden(Msg::WrongPassword),
            DeleteOwnError::Locked { retry_after_secs } => ApiError::TooManyRequests {
                msg: Msg::TooManyLoginAttempts,
                retry_after_secs,
            },
            DeleteOwnError::SignInAgain => ApiError::Forbidden(Msg::SignInAgain),
            DeleteOwnError::Manage(ManageError::NotFound) => {
                ApiError::Unauthorized(Msg::Unauthorized)
            }
            DeleteOwnError::Manage(ManageError::LastAdmin) => ApiError::Conflict(Msg::LastAdmin),
            DeleteOwnError::Manage(ManageError::Changed) => {
                ApiError::Conflict(Msg::ChangedConcurrently)
            }
            DeleteOwnError::Manage(ManageError::Unexpected(cause)) => cause.into(),
        }
    }
}

impl IntoApiError for SendCodeError {
    fn into_api(self) -> ApiError {
        match self {
            SendCodeError::TooMany { retry_after_secs } => ApiError::TooManyRequests {
                msg: Msg::TooManyCodes,
                retry_after_secs,
            },
            SendCodeError::Store(cause) => cause.into(),
        }
    }
}

impl IntoApiError for CheckCodeError {
    fn into_api(self) -> ApiError {
        match self {
            CheckCodeError::Invalid | CheckCodeError::InvalidAndPaused(_) => {
                ApiError::Unauthorized(Msg::InvalidOtp)
            }
            CheckCodeError::Paused { retry_after_secs } => ApiError::TooManyRequests {
                msg: Msg::TooManyWrongCodes,
                retry_after_secs,
            },
            CheckCodeError::Store(cause) => cause.into(),
        }
    }
}

impl IntoApiError for ResetError {
    fn into_api(self) -> ApiError {
        match self {
            ResetError::Rejected => ApiError::Unauthorized(Msg::Unauthorized),
            ResetError::SamePassword => ApiError::Conflict(Msg::SamePassword),
            ResetError::Unexpected(cause) => cause.into(),
        }
    }
}

impl IntoApiError for RefreshError {
    fn into_api(self) -> ApiError {
        match self {
            RefreshError::Rejected => ApiError::Unauthorized(Msg::Unauthorized),
            RefreshError::Unexpected(cause) => cause.into(),
        }
    }
}

impl IntoApiError for ProofError {
    fn into_api(self) -> ApiError {
        match self {
            ProofError::Invalid => ApiError::Unauthorized(Msg::InvalidOAuthProof),
            ProofError::AlreadyLinked => ApiError::Conflict(Msg::ProviderAccountLinked),
            ProofError::Unexpected(cause) => cause.into(),
        }
    }
}
