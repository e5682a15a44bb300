//! User accounts: the user item and the marker that keeps its email unique, written in one transaction.
//! [`UserStore`] is the only code that builds their keys and update expressions.

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Put, TransactWriteItem, Update},
};
use serde::{Deserialize, Serialize};
use shared::{
    Id,
    auth::Role,
    clock::now_millis,
    db::{Key, StoreError, StoreResultExt, get_record},
};

use crate::{codes::CodeConsumption, email::Email};

/// An id no account has: ids carry the second they were made in, and none was made in 1970.
static NO_ACCOUNT: std::sync::LazyLock<Id> =
    std::sync::LazyLock::new(|| "000000000000000000000000".parse().expect("24 hex digits"));

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
    /// How the account signs in; accounts stored before this field existed are e-mail accounts.
    #[serde(default)]
    pub provider: Provider,
}

/// How an account signs in, as Belta's login body names it (`provider`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    #[default]
    Email,
    Github,
    /// Created by Google sign-in (seed 002); an e-mail account that signs in with Google stays `email`.
    Google,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Email => "email",
            Provider::Github => "github",
            Provider::Google => "google",
        }
    }
}

/// An account created by a sign-in provider: no password, linked to the provider's account id.
pub struct NewLinkedUser {
    /// GitHub accounts have none (Belta's `email: null`); Google's is verified.
    pub email: Option<Email>,
    pub full_name: String,
    pub provider: Provider,
    /// The provider's stable account id (GitHub's numeric id, Google's `sub`).
    pub subject: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateLinkedError {
    /// The provider account is linked to an account already; nothing was written.
    #[error("the provider account is linked already")]
    AlreadyLinked,
    #[error("the email is taken")]
    EmailTaken,
    /// A write given in `also` (a one-time proof) failed its condition.
    #[error("a guarding condition failed")]
    Spent,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What staff lists show of a user: `{_id, fullName, email}`, nothing else.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct UserSummary {
    #[serde(rename(serialize = "_id", deserialize = "id"))]
    pub id: Id,
    #[serde(rename = "fullName")]
    pub full_name: String,
    pub email: String,
}

impl UserRecord {
    pub fn email(&self) -> Email {
        Email::stored(self.email.clone())
    }
}

pub struct NewUser {
    pub email: Email,
    pub full_name: String,
    pub password_hash: String,
    pub role: Role,
    pub confirmed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    /// Another account has this email; nothing was written.
    #[error("the email is taken")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a write guarded by a one-time code or a reset grant did not happen.
#[derive(Debug, thiserror::Error)]
pub enum GuardedWriteError {
    /// The code or grant was spent by a concurrent request, or the account is gone.
    #[error("the code or grant was already spent")]
    Spent,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct UserStore {
    db: Client,
    table: String,
}

impl UserStore {
    pub fn new(db: Client, table: impl Into<String>) -> Self {
        UserStore {
            db,
            table: table.into(),
        }
    }

    fn key(id: &Id) -> Key {
        Key::new(format!("USER#{id}"), "PROFILE")
    }

    /// The marker that keeps an email unique. Failed logins are counted beside it
    /// (`crate::attempts`), so one Query reads both.
    pub(crate) fn email_key(email: &Email) -> Key {
        Key::new(format!("EMAIL#{email}"), "EMAIL")
    }

    /// The marker linking a provider account to a user: `OAUTH#<provider>#<subject>`.
    fn provider_key(provider: Provider, subject: &str) -> Key {
        Key::new(format!("OAUTH#{}#{subject}", provider.as_str()), "OAUTH")
    }

    fn provider_marker(&self, provider: Provider, subject: &str, user: &Id) -> TransactWriteItem {
        let mut marker = Self::provider_key(provider, subject).to_attributes();
        marker.insert("userId".into(), AttributeValue::S(user.to_string()));
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .set_item(Some(marker))
                    .condition_expression("attribute_not_exists(PK)")
                    .table_name(&self.table)
                    .build()
                    .expect("table and item are set"),
            )
            .build()
    }

    /// Creates a confirmed, password-less account with its provider marker (and its email marker when
    /// it has an email) in one transaction, together with `also` (which must come first: its failed
    /// condition means [`CreateLinkedError::Spent`]).
    #[tracing::instrument(skip_all, fields(provider = new.provider.as_str()))]
    pub async fn create_linked(
        &self,
        new: NewLinkedUser,
        also: Option<TransactWriteItem>,
    ) -> Result<UserRecord, CreateLinkedError> {
        let id = Id::new();
        let key = Self::key(&id);
        let now = now_millis();
        let user = UserRecord {
            pk: key.pk,
            sk: key.sk,
            id,
            email: new
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            full_name: new.full_name,
            // No password: an empty hash never verifies, so a password login cannot reach it.
            password_hash: String::new(),
            role: Role::Client,
            confirmed: true,
            created_at: now,
            updated_at: now,
            reset_grant_hash: None,
            provider: new.provider,
        };
        let item = serde_dynamo::to_item(&user).map_err(|e| StoreError::Other(e.into()))?;
        let put = |item| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(PK)")
                        .build()
                        .expect("table and item are set"),
                )
                .build()
        };
        let mut items: Vec<TransactWriteItem> = also.into_iter().collect();
        let guarded = items.len();
        items.push(put(item));
        items.push(self.provider_marker(new.provider, &new.subject, &id));
        if let Some(email) = &new.email {
            let mut marker = Self::email_key(email).to_attributes();
            marker.insert("userId".into(), AttributeValue::S(id.to_string()));
            items.push(put(marker));
        }
        let written = self
            .db
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, "Failed to create a linked user"));
        match written {
            Ok(_) => Ok(user),
            Err(e) if guarded == 1 && e.failed_condition_at(0) => Err(CreateLinkedError::Spent),
            Err(e) if e.failed_condition_at(guarded + 1) => Err(CreateLinkedError::AlreadyLinked),
            Err(e) if e.failed_condition_at(guarded + 2) => Err(CreateLinkedError::EmailTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Links a provider account to an existing user. `Ok(false)` when it was linked already (to
    /// whichever account: the caller reads the marker again).
    #[tracing::instrument(skip_all, fields(%user, provider = provider.as_str()))]
    pub async fn link(
        &self,
        user: &Id,
        provider: Provider,
        subject: &str,
    ) -> Result<bool, StoreError> {
        let mut marker = Self::provider_key(provider, subject).to_attributes();
        marker.insert("userId".into(), AttributeValue::S(user.to_string()));
        let written = self
            .db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(marker))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .store_context("Failed to link a provider account");
        match written {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The account linked to this provider account: the marker, then the user.
    #[tracing::instrument(skip_all, fields(provider = provider.as_str()))]
    pub async fn find_by_provider(
        &self,
        provider: Provider,
        subject: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        self.find_through(
            Self::provider_key(provider, subject),
            "Failed to look up a provider link",
        )
        .await
    }

    /// Reads a marker item consistently and then the user it names (always two reads).
    async fn find_through(
        &self,
        marker: Key,
        context: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let output = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(marker.to_attributes()))
            .consistent_read(true)
            .send()
            .await
            .store_context(context)?;
        let id: Option<Id> = output
            .item
            .and_then(|item| item.get("userId")?.as_s().ok()?.parse().ok());
        // Without a marker, the profile read happens all the same, of a profile no account has: a
        // known and an unknown email cost the same two reads, so timing cannot tell them apart.
        let user = self.get(id.as_ref().unwrap_or(&*NO_ACCOUNT)).await?;
        Ok(user.filter(|_| id.is_some()))
    }

    /// Creates the user and its email marker in one transaction.
    #[tracing::instrument(skip_all, fields(role = new.role.as_str()))]
    pub async fn create(&self, new: NewUser) -> Result<UserRecord, CreateUserError> {
        let id = Id::new();
        let key = Self::key(&id);
        let now = now_millis();
        let mut marker = Self::email_key(&new.email).to_attributes();
        marker.insert("userId".into(), AttributeValue::S(id.to_string()));
        let user = UserRecord {
            pk: key.pk,
            sk: key.sk,
            id,
            email: new.email.as_str().to_owned(),
            full_name: new.full_name,
            password_hash: new.password_hash,
            role: new.role,
            confirmed: new.confirmed,
            created_at: now,
            updated_at: now,
            reset_grant_hash: None,
            provider: Provider::Email,
        };
        let item = serde_dynamo::to_item(&user).map_err(|e| StoreError::Other(e.into()))?;
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
            Err(e) if e.failed_condition_at(1) => Err(CreateUserError::EmailTaken),
            Err(e) => Err(e.into()),
        }
    }

    #[tracing::instrument(skip_all, fields(user = %id))]
    pub async fn get(&self, id: &Id) -> Result<Option<UserRecord>, StoreError> {
        get_record(&self.db, &self.table, &Self::key(id), "a user").await
    }

    /// Who each of `ids` is, for staff lists that show a user beside a cart or an order: only the id,
    /// the full name and the email are read (a projection), never a hash or a grant. Unknown ids are
    /// left out. One BatchGetItem per 100 ids (plus retries of what DynamoDB left unprocessed).
    #[tracing::instrument(skip_all, fields(users = ids.len()))]
    pub async fn summaries(
        &self,
        ids: &[Id],
    ) -> Result<std::collections::HashMap<Id, UserSummary>, StoreError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut unique: Vec<Id> = ids.to_vec();
        unique.sort();
        unique.dedup();
        let mut found = std::collections::HashMap::new();
        for chunk in unique.chunks(100) {
            let keys = chunk
                .iter()
                .map(|id| Self::key(id).to_attributes())
                .collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .projection_expression("id, fullName, email")
                    .build()
                    .expect("keys are set"),
            );
            while let Some(keys) = request.take() {
                let output = self
                    .db
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .store_context("Failed to read users")?;
                for item in output
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    let user: UserSummary = serde_dynamo::from_item(item)
                        .map_err(|e| StoreError::Other(anyhow::anyhow!("Malformed user: {e}")))?;
                    found.insert(user.id, user);
                }
                request = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
            }
        }
        Ok(found)
    }

    /// The account with this email: the email marker, then the user.
    #[tracing::instrument(skip_all)]
    pub async fn find_by_email(&self, email: &Email) -> Result<Option<UserRecord>, StoreError> {
        self.find_through(Self::email_key(email), "Failed to look up an email")
            .await
    }

    /// Marks the account's email confirmed (a provider verified it).
    #[tracing::instrument(skip_all, fields(%user))]
    pub async fn mark_confirmed(&self, user: &Id) -> Result<(), StoreError> {
        self.db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user).to_attributes()))
            .update_expression("SET confirmed = :yes, updatedAt = :now")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":now", AttributeValue::N(now_millis().to_string()))
            .send()
            .await
            .store_context("Failed to confirm an email")?;
        Ok(())
    }

    /// Marks the email confirmed, in one transaction with the consumption of its code.
    #[tracing::instrument(skip_all, fields(%user))]
    pub async fn confirm_email(
        &self,
        user: &Id,
        code: CodeConsumption,
    ) -> Result<(), GuardedWriteError> {
        let confirm = Update::builder()
            .update_expression("SET confirmed = :yes, updatedAt = :now")
            .expression_attribute_values(":yes", AttributeValue::Bool(true));
        self.redeem_code(user, code, confirm).await
    }

    /// Opens a password-reset grant (stored only as `grant_hash`), in one transaction with the
    /// consumption of the code that unlocked it.
    #[tracing::instrument(skip_all, fields(%user))]
    pub async fn open_reset_grant(
        &self,
        user: &Id,
        code: CodeConsumption,
        grant_hash: String,
    ) -> Result<(), GuardedWriteError> {
        let open = Update::builder()
            .update_expression("SET resetGrantHash = :grant, updatedAt = :now")
            .expression_attribute_values(":grant", AttributeValue::S(grant_hash));
        self.redeem_code(user, code, open).await
    }

    /// Applies `effect` to the existing user together with `code`'s consumption.
    async fn redeem_code(
        &self,
        user: &Id,
        code: CodeConsumption,
        effect: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    ) -> Result<(), GuardedWriteError> {
        let effect = effect
            .table_name(&self.table)
            .set_key(Some(Self::key(user).to_attributes()))
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":now", AttributeValue::N(now_millis().to_string()))
            .build()
            .map_err(anyhow::Error::from)
            .map_err(StoreError::from)?;
        let written = self
            .db
            .transact_write_items()
            .set_transact_items(Some(code.into_writes().into()))
            .transact_items(TransactWriteItem::builder().update(effect).build())
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, "Failed to redeem a code"));
        match written {
            Ok(_) => Ok(()),
            // Another request consumed the code first, or the account vanished.
            Err(StoreError::TransactionCanceled(_)) => Err(GuardedWriteError::Spent),
            Err(e) => Err(e.into()),
        }
    }

    /// Sets a new password hash if the reset grant `grant_hash` is still pending, spending it, in one
    /// transaction with `also` (the sessions' ends, from `crate::sessions`).
    #[tracing::instrument(skip_all, fields(%user, also = also.len()))]
    pub async fn redeem_reset_grant(
        &self,
        user: &Id,
        grant_hash: String,
        password_hash: String,
        also: Vec<TransactWriteItem>,
    ) -> Result<(), GuardedWriteError> {
        let change = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(user).to_attributes()))
            .update_expression("SET passwordHash = :hash, updatedAt = :now REMOVE resetGrantHash")
            .condition_expression("resetGrantHash = :grant")
            .expression_attribute_values(":hash", AttributeValue::S(password_hash))
            .expression_attribute_values(":now", AttributeValue::N(now_millis().to_string()))
            .expression_attribute_values(":grant", AttributeValue::S(grant_hash))
            .build()
            .map_err(anyhow::Error::from)
            .map_err(StoreError::from)?;
        let mut items = vec![TransactWriteItem::builder().update(change).build()];
        items.extend(also);
        let written = self
            .db
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, "Failed to reset a password"));
        match written {
            Ok(_) => Ok(()),
            // The grant was redeemed by a concurrent request.
            Err(e) if e.failed_condition_at(0) => Err(GuardedWriteError::Spent),
            Err(e) => Err(e.into()),
        }
    }
}
