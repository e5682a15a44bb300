//! The signed-in user's sessions (one per login/device): list, end the current one, end all, end one.

use axum::{Json, extract::State};
use serde::Serialize;
use shared::{
    ApiError, ApiResult, Id, Msg,
    auth::AuthUser,
    clock::{iso_millis, now_secs},
    extract::PathId,
};
use utoipa::ToSchema;

use crate::{
    AppState,
    responses::{Success, success},
};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionBody {
    #[serde(rename = "_id")]
    #[schema(value_type = String)]
    id: Id,
    user_agent: Option<String>,
    created_at: String,
    /// The last login or refresh.
    last_used_at: String,
    expires_at: String,
    /// Whether this is the session of the token making the request.
    current: bool,
}

/// The user's live sessions, most recently used first.
#[utoipa::path(get, path = "/auth/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = [SessionBody]), (status = 401)))]
#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
pub async fn list(
    State(state): State<AppState>,
    caller: AuthUser,
) -> ApiResult<Json<Vec<SessionBody>>> {
    let now = now_secs();
    let mut sessions: Vec<_> = state
        .identity
        .sessions
        .list(&caller.user_id)
        .await?
        .into_iter()
        .filter(|s| s.is_live(now))
        .collect();
    sessions.sort_by_key(|s| std::cmp::Reverse(s.last_used_at));
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionBody {
                id: s.session_id,
                user_agent: s.user_agent,
                created_at: iso_millis(s.created_at * 1000),
                last_used_at: iso_millis(s.last_used_at * 1000),
                expires_at: iso_millis(s.expires_at * 1000),
                current: s.session_id == caller.session_id,
            })
            .collect(),
    ))
}

/// Ends the current session: its access and refresh tokens stop working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Success), (status = 401)))]
#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
pub async fn logout(State(state): State<AppState>, caller: AuthUser) -> ApiResult<Json<Success>> {
    state
        .identity
        .sessions
        .delete(&caller.user_id, &caller.session_id)
        .await?;
    Ok(success())
}

/// Ends every session of the user, this one included.
#[utoipa::path(post, path = "/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Success), (status = 401)))]
#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
pub async fn logout_all(
    State(state): State<AppState>,
    caller: AuthUser,
) -> ApiResult<Json<Success>> {
    state.identity.sessions.delete_all(&caller.user_id).await?;
    Ok(success())
}

/// Ends one of the user's sessions (another device); 404 if the user has no such session.
#[utoipa::path(delete, path = "/auth/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses((status = 200, body = Success), (status = 400), (status = 401), (status = 404)))]
#[tracing::instrument(skip_all, fields(user = %caller.user_id, %session))]
pub async fn end_one(
    State(state): State<AppState>,
    caller: AuthUser,
    PathId(session): PathId,
) -> ApiResult<Json<Success>> {
    let found = state
        .identity
        .sessions
        .load(&caller.user_id, &session)
        .await?;
    if !found.is_some_and(|s| s.is_live(now_secs())) {
        return Err(ApiError::NotFound(Msg::SessionNotFound));
    }
    state
        .identity
        .sessions
        .delete(&caller.user_id, &session)
        .await?;
    Ok(success())
}
