//! `POST /auth/reset-password`: redeems a reset token once, sets the password, ends every session.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use axum::{Json, extract::State};
use http::request::Parts;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::{
    ApiError, ApiResult, FieldErrors, Msg,
    auth::{extract::bearer_token, password, tokens::TokenKind},
    db::{Key, StoreError},
    extract::{JsonBody, Validate},
};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::{
    AppState,
    account::check_password_length,
    responses::{Success, success},
};

/// Sessions deleted in the same transaction as the password change (DynamoDB allows 100 items).
const SESSIONS_IN_TRANSACTION: usize = 98;

#[derive(Deserialize, ToSchema)]
pub struct ResetBody {
    password: String,
}

impl Validate for ResetBody {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        check_password_length(&self.password, "password", &mut errors);
        errors.finish()
    }
}

/// Sets a new password with the `resetPasswordToken` of a verified `reset_password` code (as Bearer).
/// The token works once; access and refresh tokens are refused here, and reset tokens everywhere else.
#[utoipa::path(post, path = "/auth/reset-password", tag = "auth", request_body = ResetBody, security(("bearer" = [])),
    responses((status = 200, body = Success), (status = 400), (status = 401), (status = 409)))]
pub async fn reset_password(
    State(state): State<AppState>,
    parts: Parts,
    JsonBody(body): JsonBody<ResetBody>,
) -> ApiResult<Json<Success>> {
    let unauthorized = || ApiError::Unauthorized(Msg::Unauthorized);
    let token = bearer_token(&parts).ok_or_else(unauthorized)??;
    let claims = state
        .tokens()
        .verify(token, TokenKind::Reset)
        .map_err(|_| unauthorized())?;
    let grant_hash = hex::encode(Sha256::digest(
        claims.jti.as_deref().unwrap_or_default().as_bytes(),
    ));
    let user = state
        .users
        .get(&claims.sub)
        .await?
        .ok_or_else(unauthorized)?;
    let pending = user.reset_grant_hash.as_deref().unwrap_or_default();
    if !bool::from(pending.as_bytes().ct_eq(grant_hash.as_bytes())) {
        return Err(unauthorized());
    }
    if password::verify(body.password.clone(), Some(user.password_hash.clone())).await? {
        return Err(ApiError::Conflict(Msg::SamePassword));
    }
    let new_hash = password::hash(body.password).await?;

    // Sessions beyond what fits in the transaction are ended first: harmless if the change then fails.
    let sessions = state.sessions().list(&user.id).await?;
    let (in_transaction, before) = sessions.split_at(sessions.len().min(SESSIONS_IN_TRANSACTION));
    for session in before {
        state
            .sessions()
            .delete(&session.user_id, &session.session_id)
            .await?;
    }

    let table = &state.users.table;
    let change = Update::builder()
        .table_name(table)
        .set_key(Some(Key::user(&user.id).to_attributes()))
        .update_expression("SET passwordHash = :hash, updatedAt = :now REMOVE resetGrantHash")
        .condition_expression("resetGrantHash = :grant")
        .expression_attribute_values(":hash", AttributeValue::S(new_hash))
        .expression_attribute_values(
            ":now",
            AttributeValue::N(shared::clock::now_millis().to_string()),
        )
        .expression_attribute_values(":grant", AttributeValue::S(grant_hash))
        .build()
        .map_err(anyhow::Error::from)?;
    let mut transaction = state
        .users
        .db
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(change).build());
    for session in in_transaction {
        let delete = Delete::builder()
            .table_name(table)
            .set_key(Some(
                Key::session(&session.user_id, &session.session_id).to_attributes(),
            ))
            .build()
            .map_err(anyhow::Error::from)?;
        transaction =
            transaction.transact_items(TransactWriteItem::builder().delete(delete).build());
    }
    match transaction
        .send()
        .await
        .map_err(|e| StoreError::from_transaction(e, "Failed to reset a password"))
    {
        Ok(_) => Ok(success()),
        // The grant was redeemed by a concurrent request.
        Err(e) if e.failed_condition_at(0) => Err(unauthorized()),
        Err(e) => Err(e.into()),
    }
}
