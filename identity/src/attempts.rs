//! Failed logins per email: the item `EMAIL#<email>` / `LOGIN_ATTEMPTS` beside the email marker, so one
//! Query reads both. Unknown emails are counted too: the lockout must not reveal which emails exist.

use std::collections::HashMap;

use aws_sdk_dynamodb::{Client, types::AttributeValue};
use shared::{
    Id,
    db::{Key, StoreError, StoreResultExt},
};

use crate::{email::Email, users::UserStore};

/// Failed logins that lock an account, and for how long the window runs.
pub const MAX_FAILED_LOGINS: u32 = 5;
pub const FAILED_LOGIN_WINDOW_SECS: i64 = 15 * 60;

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

#[derive(Clone)]
pub struct LoginAttempts {
    db: Client,
    table: String,
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default()
}

impl LoginAttempts {
    pub fn new(db: Client, table: impl Into<String>) -> Self {
        LoginAttempts {
            db,
            table: table.into(),
        }
    }

    fn key(email: &Email) -> Key {
        Key::new(UserStore::email_key(email).pk, ATTEMPTS_SK)
    }

    /// The account id for `email` (if any) and its failed-attempt window, in one Query.
    #[tracing::instrument(skip_all)]
    pub async fn lookup(&self, email: &Email) -> Result<(Option<Id>, AttemptWindow), StoreError> {
        let marker = UserStore::email_key(email);
        let output = self
            .db
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(marker.pk))
            .consistent_read(true)
            .send()
            .await
            .store_context("Failed to look up a login")?;
        let mut user_id = None;
        let mut window = AttemptWindow::default();
        for item in output.items.unwrap_or_default() {
            let sk = item.get("SK").and_then(|v| v.as_s().ok());
            if sk == Some(&marker.sk) {
                user_id = item
                    .get("userId")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|s| s.parse().ok());
            } else if sk.map(String::as_str) == Some(ATTEMPTS_SK) {
                window = AttemptWindow {
                    failures: number(&item, "failures") as u32,
                    window_starts_at: number(&item, "windowStartsAt"),
                };
            }
        }
        Ok((user_id, window))
    }

    /// Counts one failure: inside an open window it adds one, otherwise it starts a new window. The
    /// condition on the window start keeps two concurrent failures from both starting a window.
    #[tracing::instrument(skip_all, fields(failures = seen.failures))]
    pub async fn record_failure(
        &self,
        email: &Email,
        seen: &AttemptWindow,
        now: i64,
    ) -> Result<(), StoreError> {
        let update = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(email).to_attributes()));
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

    #[tracing::instrument(skip_all)]
    pub async fn clear(&self, email: &Email) -> Result<(), StoreError> {
        self.db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(email).to_attributes()))
            .send()
            .await
            .store_context("Failed to clear failed logins")?;
        Ok(())
    }
}
