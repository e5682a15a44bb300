//! Extractors that authenticate a request: [`AuthUser`] (401 without valid credentials),
//! [`MaybeAuthUser`] (anonymous allowed, bad credentials still 401), [`Staff`] (403 for clients) and
//! [`Admin`] (403 for everyone but admins).

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use http::{header, request::Parts};

use aws_sdk_dynamodb::Client;

use super::{
    Role,
    session::SessionReader,
    tokens::{TokenKind, Verifier, VerifierConfig},
};
use crate::{clock::now_secs, error::ApiError, i18n::Msg, id::Id};

/// What a function needs to authenticate requests: the token verifier and the session table.
/// Put it in the function's state and implement `FromRef` for it.
#[derive(Clone)]
pub struct Authenticator {
    verifier: Arc<Verifier>,
    sessions: SessionReader,
}

/// The caller, authenticated by a valid access token whose session is still live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthUser {
    pub user_id: Id,
    pub session_id: Id,
    /// The role as the session has it now (not as the token claimed when it was issued).
    pub role: Role,
}

impl Authenticator {
    /// The one way to build it: every function verifies with the same settings and table.
    pub fn new(config: &VerifierConfig, db: Client, table: impl Into<String>) -> Self {
        Authenticator {
            verifier: Arc::new(Verifier::new(config)),
            sessions: SessionReader::new(db, table),
        }
    }

    /// Verifies a bearer access token and reads its session: one consistent GetItem.
    pub async fn authenticate(&self, token: &str) -> Result<AuthUser, ApiError> {
        let unauthorized = || ApiError::Unauthorized(Msg::Unauthorized);
        let claims = self
            .verifier
            .verify(token, TokenKind::Access)
            .map_err(|_| unauthorized())?;
        let session_id = claims.sid.ok_or_else(unauthorized)?;
        let session = self.sessions.load(&claims.sub, &session_id).await?;
        match session {
            Some(session) if session.is_live(now_secs()) => Ok(AuthUser {
                user_id: claims.sub,
                session_id,
                role: session.role,
            }),
            _ => Err(unauthorized()),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme matched case-insensitively);
/// `Err` when the header is there but not a bearer token.
pub fn bearer_token(parts: &Parts) -> Option<Result<&str, ApiError>> {
    let value = parts.headers.get(header::AUTHORIZATION)?;
    let parsed = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Unauthorized(Msg::Unauthorized));
    Some(parsed)
}

impl<S> FromRequestParts<S> for AuthUser
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or(ApiError::Unauthorized(Msg::Unauthorized))??;
        Authenticator::from_ref(state).authenticate(token).await
    }
}

/// `None` for an anonymous request; a present but invalid token is still a 401, never silently anonymous.
#[derive(Clone, Copy, Debug)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl<S> FromRequestParts<S> for MaybeAuthUser
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match bearer_token(parts) {
            None => Ok(MaybeAuthUser(None)),
            Some(token) => Ok(MaybeAuthUser(Some(
                Authenticator::from_ref(state).authenticate(token?).await?,
            ))),
        }
    }
}

/// An extractor for authenticated users whose role passes `allowed`: 401 without credentials, 403
/// with `refused` for any other role.
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $allowed:expr, $refused:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name(pub AuthUser);

        impl<S> FromRequestParts<S> for $name
        where
            Authenticator: FromRef<S>,
            S: Send + Sync,
        {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
                let user = AuthUser::from_request_parts(parts, state).await?;
                let allowed: fn(Role) -> bool = $allowed;
                if allowed(user.role) {
                    Ok($name(user))
                } else {
                    Err(ApiError::Forbidden($refused))
                }
            }
        }
    };
}

role_extractor!(
    /// An authenticated `admin` or `employee`; 403 for a client (Belta's message).
    Staff,
    |role| role.is_staff(),
    Msg::StaffOnly
);

role_extractor!(
    /// An authenticated `admin`; 403 for anyone else (employees included).
    Admin,
    |role| role == Role::Admin,
    Msg::AdminOnly
);

role_extractor!(
    /// An authenticated `client` (a shopper); 403 for staff, whose accounts have no cart or orders
    /// of their own.
    Shopper,
    |role| role == Role::Client,
    Msg::ClientOnly
);
