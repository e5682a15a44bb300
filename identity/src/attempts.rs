//! Login attempts, counted in two windows of 15 minutes:
//! - per email and source address (`LOGIN#<email>#<address>` / `LOGIN_ATTEMPTS`), 5 attempts: stops one
//!   source guessing a password, without letting it lock the owner out from anywhere else;
//! - per email (`EMAIL#<email>` / `LOGIN_ATTEMPTS`, beside the email marker so one Query reads both), 25
//!   attempts from all addresses together: the ceiling against guessing spread over many addresses.
//!
//! An attempt is reserved before the password is checked, by one transaction whose conditions hold only
//! while both windows have room (and, when a window restarts, only if it is still the one that was read),
//! so concurrent guesses cannot all pass; a failed condition is the lock. A successful login releases
//! its reservation and clears its address's window. Unknown emails are counted too: the lock must not
//! reveal which emails exist.

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Delete, TransactWriteItem, Update},
};
use serde::Deserialize;
use shared::{
    Id,
    db::{Key, StoreError, StoreResultExt, get_record},
};

use crate::{
    email::Email,
    users::{Credentials, UserStore},
};

/// Attempts per email and source address within a window.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// Attempts per email within a window, from every address together.
pub const MAX_LOGINS_PER_EMAIL: u32 = 25;
pub const FAILED_LOGIN_WINDOW_SECS: i64 = 15 * 60;

const ATTEMPTS_SK: &str = "LOGIN_ATTEMPTS";

/// One counter as read: the attempts in its window, and when the window started.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptWindow {
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub window_starts_at: i64,
}

impl AttemptWindow {
    fn is_open(&self, now: i64) -> bool {
        self.window_starts_at > 0 && now < self.window_starts_at + FAILED_LOGIN_WINDOW_SECS
    }

    /// Seconds until the window ends, if it is open and full.
    fn full_for(&self, now: i64, max: u32) -> Option<u64> {
        (self.is_open(now) && self.attempts >= max)
            .then(|| (self.window_starts_at + FAILED_LOGIN_WINDOW_SECS - now).max(1) as u64)
    }
}

/// Both counters of one login, as read before it.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoginWindows {
    pub per_source: AttemptWindow,
    pub per_email: AttemptWindow,
}

impl LoginWindows {
    /// Seconds until a login may be tried again, if either window is full.
    pub fn locked_for(&self, now: i64) -> Option<u64> {
        [
            self.per_source.full_for(now, MAX_FAILED_LOGINS),
            self.per_email.full_for(now, MAX_LOGINS_PER_EMAIL),
        ]
        .into_iter()
        .flatten()
        .max()
    }
}

/// Where a login comes from: its email and the source address API Gateway saw.
pub struct LoginSource<'a> {
    pub email: &'a Email,
    /// `requestContext.http.sourceIp`; all callers without one share a window.
    pub address: Option<&'a str>,
}

/// A reserved attempt, released on success.
pub struct Reservation {
    per_email_window: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    /// A window is full, or a concurrent attempt changed it first.
    #[error("locked for {retry_after_secs}s")]
    Locked { retry_after_secs: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct LoginAttempts {
    db: Client,
    table: String,
}

impl LoginAttempts {
    /// The delete of the per-email counter, as an item of a transaction another store commits (an
    /// account's deletion). The per-address counters hold the email too, but cannot be found without
    /// knowing the addresses: they expire with their window (`expiresAt`, TTL).
    pub(crate) fn erase_in_transaction(&self, email: &Email) -> TransactWriteItem {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::per_email_key(email).to_attributes()))
            .build()
            .expect("table and key are set");
        TransactWriteItem::builder().delete(delete).build()
    }

    pub fn new(db: Client, table: impl Into<String>) -> Self {
        LoginAttempts {
            db,
            table: table.into(),
        }
    }

    fn per_email_key(email: &Email) -> Key {
        Key::new(UserStore::email_key(email).pk, ATTEMPTS_SK)
    }

    fn per_source_key(source: &LoginSource) -> Key {
        let address = source.address.unwrap_or("unknown");
        Key::new(format!("LOGIN#{}#{address}", source.email), ATTEMPTS_SK)
    }

    /// The account of the email (if any) with its credentials, and both windows: one Query and one
    /// GetItem, concurrent.
    #[tracing::instrument(skip_all)]
    pub async fn lookup(
        &self,
        source: &LoginSource<'_>,
    ) -> Result<(Option<(Id, Credentials)>, LoginWindows), StoreError> {
        let marker = UserStore::email_key(source.email);
        let query = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(marker.pk))
            .consistent_read(true)
            .send();
        let per_source_key = Self::per_source_key(source);
        let per_source =
            get_record::<AttemptWindow>(&self.db, &self.table, &per_source_key, "login attempts");
        let (output, per_source) = tokio::join!(query, per_source);
        let output = output.store_context("Failed to look up a login")?;
        let mut account = None;
        let mut windows = LoginWindows {
            per_source: per_source?.unwrap_or_default(),
            per_email: AttemptWindow::default(),
        };
        for item in output.items.unwrap_or_default() {
            let sk = item.get("SK").and_then(|v| v.as_s().ok());
            if sk == Some(&marker.sk) {
                let user_id: Option<Id> = item
                    .get("userId")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|s| s.parse().ok());
                account = user_id.map(|id| (id, Credentials::of_marker(&item)));
            } else if sk.map(String::as_str) == Some(ATTEMPTS_SK) {
                windows.per_email =
                    serde_dynamo::from_item(item).map_err(|e| StoreError::Other(e.into()))?;
            }
        }
        Ok((account, windows))
    }

    /// Reserves one attempt in both windows, conditioned on what `seen` read: a window still open gets
    /// one more if it has room; a closed one restarts only if nobody restarted it meanwhile.
    #[tracing::instrument(skip_all)]
    pub async fn reserve(
        &self,
        source: &LoginSource<'_>,
        seen: &LoginWindows,
        now: i64,
    ) -> Result<Reservation, ReserveError> {
        if let Some(retry_after_secs) = seen.locked_for(now) {
            return Err(ReserveError::Locked { retry_after_secs });
        }
        let per_source = self.reserve_in(
            Self::per_source_key(source),
            &seen.per_source,
            MAX_FAILED_LOGINS,
            now,
        )?;
        let per_email = self.reserve_in(
            Self::per_email_key(source.email),
            &seen.per_email,
            MAX_LOGINS_PER_EMAIL,
            now,
        )?;
        let reserved = self
            .db
            .transact_write_items()
            .transact_items(per_source)
            .transact_items(per_email)
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, "Failed to reserve a login attempt"));
        match reserved {
            Ok(_) => Ok(Reservation {
                per_email_window: if seen.per_email.is_open(now) {
                    seen.per_email.window_starts_at
                } else {
                    now
                },
            }),
            // A concurrent attempt filled a window or restarted it first.
            Err(StoreError::TransactionCanceled(_)) => Err(ReserveError::Locked {
                retry_after_secs: seen.locked_for(now).unwrap_or(1),
            }),
            Err(e) => Err(e.into()),
        }
    }

    fn reserve_in(
        &self,
        key: Key,
        seen: &AttemptWindow,
        max: u32,
        now: i64,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key.to_attributes()))
            .expression_attribute_values(
                ":seen",
                AttributeValue::N(seen.window_starts_at.to_string()),
            );
        let update = if seen.is_open(now) {
            update
                .update_expression("ADD attempts :one")
                .condition_expression("windowStartsAt = :seen AND attempts < :max")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":max", AttributeValue::N(max.to_string()))
        } else {
            update
                .update_expression(
                    "SET attempts = :one, windowStartsAt = :now, expiresAt = :expires",
                )
                .condition_expression(
                    "attribute_not_exists(windowStartsAt) OR windowStartsAt = :seen",
                )
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .expression_attribute_values(
                    ":expires",
                    AttributeValue::N((now + FAILED_LOGIN_WINDOW_SECS).to_string()),
                )
        };
        let update = update.build().map_err(|e| StoreError::Other(e.into()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// After a successful login: clears its address's window and gives its attempt back to the email's
    /// (if that window has not restarted since), in one transaction.
    #[tracing::instrument(skip_all)]
    pub async fn release(
        &self,
        source: &LoginSource<'_>,
        reservation: Reservation,
    ) -> Result<(), StoreError> {
        let clear = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::per_source_key(source).to_attributes()))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let give_back = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::per_email_key(source.email).to_attributes()))
            .update_expression("ADD attempts :minus_one")
            .condition_expression("windowStartsAt = :start AND attempts > :zero")
            .expression_attribute_values(":minus_one", AttributeValue::N("-1".into()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(
                ":start",
                AttributeValue::N(reservation.per_email_window.to_string()),
            )
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        let released = self
            .db
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(clear.clone()).build())
            .transact_items(TransactWriteItem::builder().update(give_back).build())
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, "Failed to release a login attempt"));
        match released {
            Ok(_) => Ok(()),
            // The email's window restarted meanwhile: nothing of ours is left there, only clear.
            Err(error) if error.failed_condition_at(1) => {
                self.db
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(clear.key))
                    .send()
                    .await
                    .store_context("Failed to clear login attempts")?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}
