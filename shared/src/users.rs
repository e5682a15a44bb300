//! User accounts. An email is unique through a marker item written in the same transaction as the user.

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Put, TransactWriteItem},
};
use serde::{Deserialize, Serialize};

use crate::{
    auth::Role,
    clock::now_millis,
    db::{Key, StoreError, StoreResultExt, get_record},
    error::ApiError,
    i18n::Msg,
    id::Id,
};

/// Trimmed and lower-cased: `" Sara@Example.COM "` and `"sara@example.com"` are one account.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A pragmatic address check (RFC 5321 lengths, one `@`, a dotted domain, no spaces or control
/// characters). Whether the address works is proven by the one-time code, not by a regex.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && c != '@')
    };
    email.len() <= 254
        && local.len() <= 64
        && plain(local)
        && plain(domain)
        && domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub id: Id,
    /// Normalized.
    pub email: String,
    pub full_name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    pub confirmed: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// SHA-256 (hex) of the pending password-reset grant, if a reset code was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_grant_hash: Option<String>,
}

pub struct NewUser {
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
    pub role: Role,
    pub confirmed: bool,
}

#[derive(Clone)]
pub struct UserStore {
    pub db: Client,
    pub table: String,
}

impl UserStore {
    /// Creates the user and its email marker in one transaction; 409 `duplicate_email_error` when the
    /// email is taken (nothing is written then).
    pub async fn create(&self, new: NewUser) -> Result<UserRecord, ApiError> {
        let id = Id::new();
        let key = Key::user(&id);
        let now = now_millis();
        let user = UserRecord {
            pk: key.pk,
            sk: key.sk,
            id,
            email: new.email,
            full_name: new.full_name,
            password_hash: new.password_hash,
            role: new.role,
            confirmed: new.confirmed,
            created_at: now,
            updated_at: now,
            reset_grant_hash: None,
        };
        let item = serde_dynamo::to_item(&user).map_err(anyhow::Error::from)?;
        let mut marker = Key::email(&user.email).to_attributes();
        marker.insert("userId".into(), AttributeValue::S(id.to_string()));
        let put = |item, table: &str| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(PK)")
                        .build()
                        .expect("table and item are set"),
                )
                .build()
        };
        let written = self
            .db
            .transact_write_items()
            .transact_items(put(item, &self.table))
            .transact_items(put(marker, &self.table))
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, "Failed to create a user"));
        match written {
            Ok(_) => Ok(user),
            Err(e) if e.failed_condition_at(1) => Err(ApiError::Conflict(Msg::DuplicateEmail)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get(&self, id: &Id) -> Result<Option<UserRecord>, StoreError> {
        get_record(&self.db, &self.table, &Key::user(id), "a user").await
    }

    /// The account with this (normalized) email: the email marker, then the user.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let output = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Key::email(email).to_attributes()))
            .consistent_read(true)
            .send()
            .await
            .store_context("Failed to look up an email")?;
        let id: Option<Id> = output
            .item
            .and_then(|item| item.get("userId")?.as_s().ok()?.parse().ok());
        match id {
            Some(id) => self.get(&id).await,
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(normalize_email("  Sara@Example.COM "), "sara@example.com");
        for good in ["a@b.co", "first.last+tag@sub.example.eg", "ahmed@مثال.مصر"] {
            assert!(is_valid_email(good), "{good}");
        }
        for bad in [
            "",
            "plain",
            "@b.co",
            "a@",
            "a@b",
            "a b@c.de",
            "a@@b.co",
            "a@b..co",
            "a@-b.co",
            &format!("{}@b.co", "x".repeat(65)),
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }
}
