//! Sessions' writes: open one per login (one per device), rotate at each refresh, end one or all.
//! The item's shape, key and the read every request makes are the platform's
//! (`shared::auth::session`); this store builds keys only through `SessionRecord::key`/`partition`.
//!
//! Refresh rotation is a counter: a session's `generation` goes up by one at each refresh, with a
//! condition on the generation the presented token carries, so two racing refreshes can never both
//! rotate (see `crate::refresh` for the grace window and reuse detection).

use aws_sdk_dynamodb::{
    Client,
    types::{
        AttributeValue, Delete, DeleteRequest, Put, ReturnValue, TransactWriteItem, WriteRequest,
    },
};
use shared::{
    Id,
    auth::session::{RefreshConvention, SessionReader, SessionRecord},
    db::{StoreError, StoreResultExt, query_all},
};

/// Sessions a user may hold: a new login ends the least recently used beyond it, so that ending them
/// all (a password reset) fits in one transaction with the change, with room to spare.
pub const MAX_SESSIONS_PER_USER: usize = 20;

/// The sessions to end so that `sessions` plus one new one stay within [`MAX_SESSIONS_PER_USER`]:
/// the least recently used.
pub fn evicted_by_a_new_one(mut sessions: Vec<SessionRecord>) -> Vec<SessionRecord> {
    let room = MAX_SESSIONS_PER_USER - 1;
    if sessions.len() <= room {
        return Vec::new();
    }
    sessions.sort_by_key(|s| (s.last_used_at, s.created_at));
    sessions.truncate(sessions.len() - room);
    sessions
}

#[derive(Clone)]
pub struct SessionStore {
    reader: SessionReader,
    db: Client,
    table: String,
}

impl SessionStore {
    pub fn new(db: Client, table: impl Into<String>) -> Self {
        let table = table.into();
        SessionStore {
            reader: SessionReader::new(db.clone(), table.clone()),
            db,
            table,
        }
    }

    /// The session, read consistently (the same read the extractors make).
    pub async fn load(&self, user: &Id, session: &Id) -> Result<Option<SessionRecord>, StoreError> {
        self.reader.load(user, session).await
    }

    /// Creates `session` in one transaction with `guard` (the account's condition, from
    /// `UserStore::session_guard`, which must come first) and the ends of `evicting` (see
    /// [`evicted_by_a_new_one`]). A failed guard is `TransactionCanceled` with its reason at index 0.
    #[tracing::instrument(skip_all, fields(user = %session.user_id, session = %session.session_id, evicting = evicting.len()))]
    pub async fn create(
        &self,
        session: &SessionRecord,
        guard: TransactWriteItem,
        evicting: &[SessionRecord],
    ) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(session).map_err(|e| StoreError::Other(e.into()))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(anyhow::Error::from)?;
        let mut writes = vec![guard, TransactWriteItem::builder().put(put).build()];
        for old in evicting {
            writes.push(self.end_in_transaction(old)?);
        }
        self.db
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, "Failed to create a session"))?;
        Ok(())
    }

    /// Moves the session from generation `from` to `from + 1`, slides its expiry, and binds it to
    /// `convention` if unbound. Fails with `ConditionFailed` when the session is gone, expired, no
    /// longer at `from` (someone rotated first), or bound to another convention.
    #[tracing::instrument(skip_all, fields(%user, %session, from, convention = convention.as_str()))]
    pub async fn rotate(
        &self,
        user: &Id,
        session: &Id,
        from: u64,
        convention: RefreshConvention,
        now: i64,
        lifetime_secs: i64,
    ) -> Result<SessionRecord, StoreError> {
        let output = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(SessionRecord::key(user, session).to_attributes()))
            .update_expression(
                "SET generation = :next, rotatedAt = :now, lastUsedAt = :now, expiresAt = :expires, refreshConvention = :convention",
            )
            .condition_expression(
                "attribute_exists(PK) AND generation = :from AND expiresAt > :now AND (attribute_not_exists(refreshConvention) OR refreshConvention = :convention)",
            )
            .expression_attribute_values(":convention", AttributeValue::S(convention.as_str().into()))
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
        updated_session(output.attributes)
    }

    /// Marks a use of the session at generation `at` without rotating it, binding it to `convention`
    /// if unbound. Fails with `ConditionFailed` when the session is gone, expired, no longer at `at`,
    /// or bound to another convention.
    #[tracing::instrument(skip_all, fields(%user, %session, at, convention = convention.as_str()))]
    pub async fn use_without_rotating(
        &self,
        user: &Id,
        session: &Id,
        at: u64,
        convention: RefreshConvention,
        now: i64,
    ) -> Result<SessionRecord, StoreError> {
        let output = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(SessionRecord::key(user, session).to_attributes()))
            .update_expression("SET lastUsedAt = :now, refreshConvention = :convention")
            .condition_expression(
                "attribute_exists(PK) AND generation = :at AND expiresAt > :now AND (attribute_not_exists(refreshConvention) OR refreshConvention = :convention)",
            )
            .expression_attribute_values(":convention", AttributeValue::S(convention.as_str().into()))
            .expression_attribute_values(":at", AttributeValue::N(at.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .store_context("Failed to use a session")?;
        updated_session(output.attributes)
    }

    /// Ends one session. Ending a session that is already gone is not an error.
    #[tracing::instrument(skip_all, fields(%user, %session))]
    pub async fn delete(&self, user: &Id, session: &Id) -> Result<(), StoreError> {
        self.db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(SessionRecord::key(user, session).to_attributes()))
            .send()
            .await
            .store_context("Failed to delete a session")?;
        Ok(())
    }

    /// The end of `session` as one item of a transaction another store commits.
    pub(crate) fn end_in_transaction(
        &self,
        session: &SessionRecord,
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(
                SessionRecord::key(&session.user_id, &session.session_id).to_attributes(),
            ))
            .build()
            .map_err(anyhow::Error::from)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Every session of a user, live or expired-but-not-yet-deleted.
    #[tracing::instrument(skip_all, fields(%user))]
    pub async fn list(&self, user: &Id) -> Result<Vec<SessionRecord>, StoreError> {
        let query = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(SessionRecord::partition(user)));
        query_all(query, "sessions").await
    }

    /// Ends every session of a user; returns how many there were.
    #[tracing::instrument(skip_all, fields(%user))]
    pub async fn delete_all(&self, user: &Id) -> Result<usize, StoreError> {
        let sessions = self.list(user).await?;
        for chunk in sessions.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|s| {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(
                            SessionRecord::key(&s.user_id, &s.session_id).to_attributes(),
                        ))
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

/// The session an `UpdateItem` with `ReturnValue::AllNew` left.
fn updated_session(
    attributes: Option<std::collections::HashMap<String, AttributeValue>>,
) -> Result<SessionRecord, StoreError> {
    let item = attributes
        .ok_or_else(|| StoreError::Other(anyhow::anyhow!("UpdateItem returned no attributes")))?;
    serde_dynamo::from_item(item)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("Malformed session item: {e}")))
}

#[cfg(test)]
mod tests {
    use shared::auth::Role;

    use super::*;

    #[test]
    fn a_new_session_evicts_the_least_recently_used_beyond_the_cap() {
        let user = Id::new();
        let sessions: Vec<SessionRecord> = (0..MAX_SESSIONS_PER_USER as i64 + 2)
            .map(|n| {
                // Created in order, but the first one was used last.
                let mut s = SessionRecord::new(user, Role::Client, None, 1000 + n, 3600);
                s.last_used_at = if n == 0 { 9999 } else { 1000 + n };
                s
            })
            .collect();
        let ids = |list: &[SessionRecord]| list.iter().map(|s| s.session_id).collect::<Vec<_>>();

        let evicted = evicted_by_a_new_one(sessions.clone());

        assert_eq!(ids(&evicted), ids(&sessions[1..4]));
        assert!(evicted_by_a_new_one(sessions[..MAX_SESSIONS_PER_USER - 1].to_vec()).is_empty());
    }
}
