//! The routes of the `users` function, declared with their OpenAPI, and their request and answer shapes.

use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use identity::{
    Provider, UserRecord,
    admin::{AccessChange, ManageError, UserFilter},
};
use serde::{Deserialize, Serialize};
use shared::{
    ApiError, ApiResult, FieldErrors, FieldIssue, Id, Lang, Msg,
    api::{Api, Op},
    auth::{Admin, Role},
    clock::iso_millis,
    extract::{JsonBody, PathId, QueryParams, Validate},
    pagination::{Page, PageQuery, PageRequest},
};
use utoipa::{IntoParams, ToSchema};

use crate::UsersState;

/// The longest search text a list takes.
const MAX_SEARCH_CHARS: usize = 100;
const _: () = assert!(
    MAX_SEARCH_CHARS == 100,
    "the documented `maxLength` of `search`"
);

pub fn users() -> Api<UsersState> {
    Api::new("users")
        .route(
            Op::get("/users/staff", "Users, newest first (admins)")
                .staff()
                .query::<UserListQuery>(&[])
                .answers_page::<UserView>(),
            list,
        )
        .route(
            Op::get("/users/staff/{id}", "One user (admins)")
                .staff()
                .answers::<UserView>(),
            read,
        )
        .route(
            Op::patch(
                "/users/staff/{id}",
                "Change a user's role, disable or enable the account; ends its sessions (admins)",
            )
            .staff()
            .body_schema(UserChangeBody::documented)
            .answers::<UserView>(),
            change,
        )
        .route(
            Op::delete(
                "/users/staff/{id}",
                "Delete an account and its personal data; its orders stay, anonymised (admins)",
            )
            .staff()
            .answers::<DeletedMessage>(),
            delete,
        )
}

/// `?page&limit&search&role`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Items per page (default 10, at most 100).
    pub limit: Option<u32>,
    /// Text in the full name or the email, any case (at most 100 characters).
    #[param(max_length = 100)]
    pub search: Option<String>,
    /// `client`, `employee` or `admin`.
    #[param(schema_with = role_parameter)]
    pub role: Option<Role>,
}

const ROLES: &[&str] = &["client", "employee", "admin"];

fn role_parameter() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    shared::api::schema::to_schema(shared::api::schema::one_of(ROLES))
}

impl UserListQuery {
    fn paging(&self) -> PageRequest {
        self.page_query().into()
    }

    fn page_query(&self) -> PageQuery {
        PageQuery {
            page: self.page,
            limit: self.limit,
        }
    }
}

impl Validate for UserListQuery {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = match self.page_query().validate() {
            Ok(()) => FieldErrors::new(),
            Err(errors) => errors,
        };
        if self
            .search
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS)
        {
            errors.add(
                "search",
                FieldIssue::Length {
                    min: 0,
                    max: MAX_SEARCH_CHARS,
                },
            );
        }
        errors.finish()
    }
}

/// A user as admins see it: never a password hash, a reset grant or a provider's account id.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    #[serde(rename = "_id")]
    #[schema(value_type = String)]
    pub id: Id,
    pub full_name: String,
    /// `null` for GitHub accounts, which have no e-mail.
    pub email: Option<String>,
    pub role: Role,
    pub confirmed: bool,
    /// A disabled account cannot sign in in any way.
    pub disabled: bool,
    pub provider: Provider,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&UserRecord> for UserView {
    fn from(user: &UserRecord) -> Self {
        UserView {
            id: user.id,
            full_name: user.full_name.clone(),
            email: (!user.email.is_empty()).then(|| user.email.clone()),
            role: user.role,
            confirmed: user.confirmed,
            disabled: user.disabled,
            provider: user.provider,
            created_at: iso_millis(user.created_at),
            updated_at: iso_millis(user.updated_at),
        }
    }
}

/// What to change; at least one field.
#[derive(Deserialize, ToSchema)]
pub struct UserChangeBody {
    /// `client`, `employee` or `admin`.
    role: Option<Role>,
    /// `true` disables the account (it cannot sign in), `false` enables it again.
    disabled: Option<bool>,
}

impl Validate for UserChangeBody {}

impl UserChangeBody {
    /// At least one of the two, not null (the handler answers 400 `nothing_to_change` otherwise).
    fn documented() -> serde_json::Value {
        use shared::api::schema::{boolean, nullable, one_of};
        let role = || one_of(ROLES);
        let sent = |name: &str, schema: serde_json::Value| serde_json::json!({"type": "object", "required": [name], "properties": {name: schema}});
        serde_json::json!({"allOf": [
            {
                "type": "object",
                "description": "What to change: `role`, `disabled` or both.",
                "properties": {"role": nullable(role()), "disabled": nullable(boolean())},
            },
            {"anyOf": [sent("role", role()), sent("disabled", boolean())]},
        ]})
    }
}

/// `{message}` in the request's language, as Belta answers a delete.
#[derive(Serialize, ToSchema)]
pub struct DeletedMessage {
    message: &'static str,
}

fn manage_error(error: ManageError) -> ApiError {
    match error {
        ManageError::NotFound => ApiError::NotFound(Msg::UserNotFound),
        ManageError::LastAdmin => ApiError::Conflict(Msg::LastAdmin),
        ManageError::Changed => ApiError::Conflict(Msg::ChangedConcurrently),
        ManageError::Unexpected(cause) => cause.into(),
    }
}

fn json(view: impl Serialize) -> Response {
    Json(view).into_response()
}

#[tracing::instrument(skip_all, fields(admin = %admin.user_id))]
async fn list(
    State(state): State<UsersState>,
    Admin(admin): Admin,
    QueryParams(query): QueryParams<UserListQuery>,
) -> ApiResult<Response> {
    let filter = UserFilter {
        search: query.search.clone(),
        role: query.role,
    };
    let users = state.accounts.users_matching(&filter).await?;
    let paging = query.paging();
    let data: Vec<UserView> = users
        .iter()
        .skip(paging.offset())
        .take(paging.limit as usize)
        .map(UserView::from)
        .collect();
    Ok(json(Page::new(data, users.len() as u64, paging)))
}

#[tracing::instrument(skip_all, fields(admin = %admin.user_id, %id))]
async fn read(
    State(state): State<UsersState>,
    Admin(admin): Admin,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let user = state.accounts.account(&id).await.map_err(manage_error)?;
    Ok(json(UserView::from(&user)))
}

#[tracing::instrument(skip_all, fields(admin = %admin.user_id, %id))]
async fn change(
    State(state): State<UsersState>,
    Admin(admin): Admin,
    PathId(id): PathId,
    JsonBody(body): JsonBody<UserChangeBody>,
) -> ApiResult<Response> {
    if body.role.is_none() && body.disabled.is_none() {
        return Err(ApiError::BadRequest(Msg::NothingToChange));
    }
    let change = AccessChange {
        role: body.role,
        disabled: body.disabled,
    };
    let user = state
        .accounts
        .change_access(&id, change)
        .await
        .map_err(manage_error)?;
    Ok(json(UserView::from(&user)))
}

#[tracing::instrument(skip_all, fields(admin = %admin.user_id, %id))]
async fn delete(
    State(state): State<UsersState>,
    Admin(admin): Admin,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let carts = state.carts.erase_carts_in_transaction(&id);
    state
        .accounts
        .delete_account(&id, carts)
        .await
        .map_err(manage_error)?;
    Ok(json(DeletedMessage {
        message: Msg::UserDeleted.text(lang),
    }))
}
