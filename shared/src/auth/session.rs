//! Sessions: one per login (one per device), the item every authenticated request reads.
//!
//! Refresh rotation is a counter: a session's `generation` goes up by one at each refresh, with a
//! condition on the generation the presented token carries, so two racing refreshes can never both
//! rotate. The token of the previous generation keeps working for `REFRESH_REUSE_GRACE_SECS` after a
//! rotation (a client that refreshed twice at once); an older one means the token leaked, and the whole
//! session is revoked (reuse detection, RFC 9700 §4.14.2).

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, DeleteRequest, ReturnValue, WriteRequest},
};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::{
    db::{
        Key, StoreError, StoreResultExt, get_record,
        keys::{PK, SK},
        query_all,
    },
    id::Id,
};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub session_id: Id,
    pub user_id: Id,
    /// The user's role, checked on every request (a role change rewrites or ends sessions).
    pub role: Role,
    pub generation: u64,
    /// Unix seconds of the last rotation (or of the login).
    pub rotated_at: i64,
    pub created_at: i64,
    /// Unix seconds of the last login or refresh.
    pub last_used_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Unix seconds; sliding: each refresh pushes it to now + the refresh token's lifetime. Also the TTL.
    pub expires_at: i64,
}

impl SessionRecord {
    pub fn new(
        user_id: Id,
        role: Role,
        user_agent: Option<String>,
        now: i64,
        lifetime_secs: i64,
    ) -> Self {
        let session_id = Id::new();
        let key = Key::session(&user_id, &session_id);
        SessionRecord {
            pk: key.pk,
            sk: key.sk,
            session_id,
            user_id,
            role,
            generation: 0,
            rotated_at: now,
            created_at: now,
            last_used_at: now,
            user_agent: user_agent.map(|ua| ua.chars().take(256).collect()),
            expires_at: now + lifetime_secs,
        }
    }

    pub fn is_live(&self, now: i64) -> bool {
        self.expires_at > now
    }
}

/// Session data access, for the extractors and the auth function.
#[derive(Clone)]
pub struct SessionStore {
    pub db: Client,
    pub table: String,
}

impl SessionStore {
    /// The session, read consistently: a logout a moment ago must already count.
    pub async fn load(&self, user: &Id, session: &Id) -> Result<Option<SessionRecord>, StoreError> {
        get_record(
            &self.db,
            &self.table,
            &Key::session(user, session),
            "a session",
        )
        .await
    }

    pub async fn create(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(session).map_err(|e| StoreError::Other(e.into()))?;
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .store_context("Failed to create a session")?;
        Ok(())
    }

    /// Moves the session from generation `from` to `from + 1` and slides its expiry. Fails with
    /// `ConditionFailed` when the session is gone, expired, or no longer at `from` (someone rotated first).
    pub async fn rotate(
        &self,
        user: &Id,
        session: &Id,
        from: u64,
        now: i64,
        lifetime_secs: i64,
    ) -> Result<SessionRecord, StoreError> {
        let output = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Key::session(user, session).to_attributes()))
            .update_expression(
                "SET generation = :next, rotatedAt = :now, lastUsedAt = :now, expiresAt = :expires",
            )
            .condition_expression(
                "attribute_exists(PK) AND generation = :from AND expiresAt > :now",
            )
            .expression_attribute_values(":from", AttributeValue::N(from.to_string()))
            .expression_attribute_values(":next", AttributeValue::N((from + 1).to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(
                ":expires",
                AttributeValue::N((now + lifetime_secs).to_string()),
            )
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .store_context("Failed to rotate a session")?;
        let item = output.attributes.ok_or_else(|| {
            StoreError::Other(anyhow::anyhow!("UpdateItem returned no attributes"))
        })?;
        serde_dynamo::from_item(item)
            .map_err(|e| StoreError::Other(anyhow::anyhow!("Malformed session item: {e}")))
    }

    /// Ends one session. Ending a session that is already gone is not an error.
    pub async fn delete(&self, user: &Id, session: &Id) -> Result<(), StoreError> {
        self.db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Key::session(user, session).to_attributes()))
            .send()
            .await
            .store_context("Failed to delete a session")?;
        Ok(())
    }

    /// Every session of a user, live or expired-but-not-yet-deleted.
    pub async fn list(&self, user: &Id) -> Result<Vec<SessionRecord>, StoreError> {
        let query = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S(Key::user(user).pk))
            .expression_attribute_values(":prefix", AttributeValue::S("SESSION#".into()));
        query_all(query, "sessions").await
    }

    /// Ends every session of a user; returns how many there were.
    pub async fn delete_all(&self, user: &Id) -> Result<usize, StoreError> {
        let sessions = self.list(user).await?;
        for chunk in sessions.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|s| {
                    let key = Key::session(&s.user_id, &s.session_id);
                    let delete = DeleteRequest::builder()
                        .key(PK, AttributeValue::S(key.pk))
                        .key(SK, AttributeValue::S(key.sk))
                        .build()
                        .expect("key is set");
                    WriteRequest::builder().delete_request(delete).build()
                })
                .collect();
            // BatchWriteItem may leave some requests unprocessed under load: resend them until done.
            for attempt in 0.. {
                let output = self
                    .db
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .store_context("Failed to delete sessions")?;
                requests = output
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                if attempt == 5 {
                    return Err(StoreError::Throttled);
                }
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
        }
        Ok(sessions.len())
    }
}
