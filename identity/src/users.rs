//! User accounts: the user item and the marker that keeps its email unique, written in one transaction;
//! the markers of linked provider accounts; the count of enabled admins (`ADMINS` / `COUNT`); the user
//! list (GSI1 `USERS`). [`UserStore`] is the only code that builds their keys and update expressions.
//!
//! What proves a password ([`Credentials`]: its argon2id hash, a pending reset grant's hash) lives on
//! the email marker (`EMAIL#<email>`), not on the profile (`USER#<id>`): carts, checkout, orders and
//! users read profiles and carts under `USER#`, and IAM can limit a function only by partition, so
//! only auth, which alone may read `EMAIL#`, can read a hash. Login reads the marker anyway.

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Delete, Put, TransactWriteItem, Update},
};
use serde::{Deserialize, Serialize};
use shared::{
    Id,
    auth::Role,
    clock::now_millis,
    db::{
        Key, StoreError, StoreResultExt, get_record,
        keys::{GSI1, GSI1PK, GSI1SK},
        query_index_all,
    },
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
    pub role: Role,
    pub confirmed: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// How the account signs in; accounts stored before this field existed are e-mail accounts.
    #[serde(default)]
    pub provider: Provider,
    /// The provider accounts linked to it (their markers are deleted with the account).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ProviderLink>,
    /// Set by an admin: no sign-in of any kind opens a session, and no code is sent or accepted.
    #[serde(default)]
    pub disabled: bool,
    /// Bumped by every write that opens a session or changes who may hold one (a sign-in, a link, a
    /// role change, disabling): a change that ends all sessions is conditioned on it, so a sign-in
    /// racing with it either comes first (its session is in the list being ended) or is refused.
    #[serde(default)]
    pub access_rev: u64,
}

/// A provider account linked to a user.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProviderLink {
    pub provider: Provider,
    pub subject: String,
}

/// Counts enabled admins, so that no change leaves the deployment without one (`ADMINS` / `COUNT`).
const ADMIN_COUNT_ATTRIBUTE: &str = "admins";
/// The partition of the user list (GSI1): ids are time-ordered, so it lists users by creation.
const USERS_INDEX: &str = "USERS";

/// Whether an account in this state counts as an admin who can act.
fn counts_as_admin(role: Role, disabled: bool) -> bool {
    role == Role::Admin && !disabled
}

/// What `UserStore::reindex` did.
#[derive(Debug, PartialEq, Eq)]
pub struct Reindexed {
    /// Users put into the user list.
    pub listed: usize,
    /// Enabled admins counted.
    pub admins: u64,
    /// Users whose password hash moved from their profile onto their email marker.
    pub credentials_moved: usize,
}

/// Why a role change, a disabling or a deletion was not written.
#[derive(Debug, thiserror::Error)]
pub enum AccountWriteError {
    /// The account changed (or signed in) since it was read: read again.
    #[error("the account changed since it was read")]
    Changed,
    /// It would leave no enabled admin.
    #[error("the last admin")]
    LastAdmin,
    #[error(transparent)]
    Store(#[from] StoreError),
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
    /// `true` for an account deleted since (its name and email are gone: `fullName` says so, `email`
    /// is empty); absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl UserSummary {
    /// The summary of a deleted account: only its former id, and `full_name` (a label in the reader's
    /// language).
    pub fn deleted(id: Id, full_name: &str) -> Self {
        UserSummary {
            id,
            full_name: full_name.to_owned(),
            email: String::new(),
            deleted: true,
        }
    }
}

impl UserRecord {
    pub fn email(&self) -> Email {
        Email::stored(self.email.clone())
    }
}

/// What proves an account's password, from its email marker (see the module's doc).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// argon2id PHC string; empty for an account without a password (it never verifies).
    pub password_hash: String,
    /// SHA-256 (hex) of the pending password-reset grant, if a reset code was verified.
    pub reset_grant_hash: Option<String>,
}

const PASSWORD_HASH: &str = "passwordHash";
const RESET_GRANT_HASH: &str = "resetGrantHash";

impl Credentials {
    /// From an email marker item.
    pub(crate) fn of_marker(item: &HashMap<String, AttributeValue>) -> Self {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        Credentials {
            password_hash: text(PASSWORD_HASH).unwrap_or_default(),
            reset_grant_hash: text(RESET_GRANT_HASH),
        }
    }
}

/// An account brought over from Belta by `ops import-belta`, with its own id and times.
pub struct ImportedUser {
    pub id: Id,
    pub email: Option<Email>,
    pub full_name: String,
    pub role: Role,
    pub confirmed: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Belta's bcrypt hash, which the first login replaces ([`crate::password::Password::verify_login`]);
    /// none for a GitHub account.
    pub password_hash: Option<String>,
    /// The GitHub account id of an account that signs in with GitHub.
    pub github_id: Option<String>,
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
            role: Role::Client,
            confirmed: true,
            created_at: now,
            updated_at: now,
            provider: new.provider,
            links: vec![ProviderLink {
                provider: new.provider,
                subject: new.subject.clone(),
            }],
            disabled: false,
            access_rev: 0,
        };
        let item = Self::item(&user)?;
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
            // No password hash: a password login cannot reach this account.
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

    /// Links a provider account to an existing user: the marker and the profile's list of links in one
    /// transaction. `Ok(false)` when it was linked already (to whichever account: the caller reads the
    /// marker again) or the user is gone.
    #[tracing::instrument(skip_all, fields(%user, provider = provider.as_str()))]
    pub async fn link(
        &self,
        user: &Id,
        provider: Provider,
        subject: &str,
    ) -> Result<bool, StoreError> {
        let link = serde_dynamo::to_attribute_value(vec![ProviderLink {
            provider,
            subject: subject.to_owned(),
        }])
        .map_err(|e| StoreError::Other(e.into()))?;
        let profile = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(user).to_attributes()))
            .update_expression(
                "SET links = list_append(if_not_exists(links, :none), :link), updatedAt = :now ADD accessRev :one",
            )
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":link", link)
            .expression_attribute_values(":now", AttributeValue::N(now_millis().to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .build()
            .map_err(anyhow::Error::from)?;
        let written = self
            .db
            .transact_write_items()
            .transact_items(self.provider_marker(provider, subject, user))
            .transact_items(TransactWriteItem::builder().update(profile).build())
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, "Failed to link a provider account"));
        match written {
            Ok(_) => Ok(true),
            Err(e) if e.failed_condition_at(0) || e.failed_condition_at(1) => Ok(false),
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
        marker.insert(PASSWORD_HASH.into(), AttributeValue::S(new.password_hash));
        let user = UserRecord {
            pk: key.pk,
            sk: key.sk,
            id,
            email: new.email.as_str().to_owned(),
            full_name: new.full_name,
            role: new.role,
            confirmed: new.confirmed,
            created_at: now,
            updated_at: now,
            provider: Provider::Email,
            links: Vec::new(),
            disabled: false,
            access_rev: 0,
        };
        let item = Self::item(&user)?;
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
        let mut writes = vec![put(item, &self.table), put(marker, &self.table)];
        if counts_as_admin(user.role, user.disabled) {
            writes.push(self.admin_count_change(1));
        }
        let written = self
            .db
            .transact_write_items()
            .set_transact_items(Some(writes))
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

    /// The credentials on the email's marker (none when there is no marker), read consistently.
    #[tracing::instrument(skip_all)]
    pub async fn credentials(&self, email: &Email) -> Result<Credentials, StoreError> {
        let output = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::email_key(email).to_attributes()))
            .consistent_read(true)
            .send()
            .await
            .store_context("Failed to read credentials")?;
        Ok(output
            .item
            .map(|item| Credentials::of_marker(&item))
            .unwrap_or_default())
    }

    /// Replaces a legacy password hash by its argon2id rehash, unless the password changed meanwhile
    /// (then the newer hash stands and nothing is written).
    #[tracing::instrument(skip_all)]
    pub async fn replace_password_hash(
        &self,
        email: &Email,
        legacy: &str,
        rehashed: String,
    ) -> Result<(), StoreError> {
        let written = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::email_key(email).to_attributes()))
            .update_expression("SET #hash = :new")
            .condition_expression("#hash = :old")
            .expression_attribute_names("#hash", PASSWORD_HASH)
            .expression_attribute_values(":new", AttributeValue::S(rehashed))
            .expression_attribute_values(":old", AttributeValue::S(legacy.to_owned()))
            .send()
            .await
            .store_context("Failed to replace a password hash");
        match written {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The account with this email: the email marker, then the user.
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
            .set_key(Some(Self::key(user).to_attributes()))
            .update_expression("SET confirmed = :yes, updatedAt = :now")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true));
        self.redeem_code(code, confirm).await
    }

    /// Opens a password-reset grant (stored only as `grant_hash`), in one transaction with the
    /// consumption of the code that unlocked it.
    #[tracing::instrument(skip_all, fields(user = %user.id))]
    pub async fn open_reset_grant(
        &self,
        user: &UserRecord,
        code: CodeConsumption,
        grant_hash: String,
    ) -> Result<(), GuardedWriteError> {
        let open = Update::builder()
            .set_key(Some(Self::email_key(&user.email()).to_attributes()))
            .update_expression("SET #grant = :grant, updatedAt = :now")
            .condition_expression("userId = :user")
            .expression_attribute_names("#grant", RESET_GRANT_HASH)
            .expression_attribute_values(":grant", AttributeValue::S(grant_hash))
            .expression_attribute_values(":user", AttributeValue::S(user.id.to_string()));
        self.redeem_code(code, open).await
    }

    /// Applies `effect` (keyed and conditioned on the account still being there) together with
    /// `code`'s consumption.
    async fn redeem_code(
        &self,
        code: CodeConsumption,
        effect: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    ) -> Result<(), GuardedWriteError> {
        let effect = effect
            .table_name(&self.table)
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
    #[tracing::instrument(skip_all, fields(user = %user.id, also = also.len()))]
    pub async fn redeem_reset_grant(
        &self,
        user: &UserRecord,
        grant_hash: String,
        password_hash: String,
        also: Vec<TransactWriteItem>,
    ) -> Result<(), GuardedWriteError> {
        let change = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::email_key(&user.email()).to_attributes()))
            .update_expression("SET #hash = :hash, updatedAt = :now REMOVE #grant")
            .condition_expression("#grant = :grant")
            .expression_attribute_names("#hash", PASSWORD_HASH)
            .expression_attribute_names("#grant", RESET_GRANT_HASH)
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

/// The admins' work on accounts (list, role, disabling, deletion) and the guard every sign-in passes.
impl UserStore {
    /// The items of an imported account, as [`UserStore::create`] and [`UserStore::create_linked`]
    /// would have written them: the profile (listed), the email marker with the password hash, and
    /// the GitHub link's marker. The admin count is not among them: `reindex` sets it afterwards.
    pub fn imported_items(
        imported: ImportedUser,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        let key = Self::key(&imported.id);
        let provider = match imported.github_id {
            Some(_) => Provider::Github,
            None => Provider::Email,
        };
        let links = imported
            .github_id
            .iter()
            .map(|subject| ProviderLink {
                provider: Provider::Github,
                subject: subject.clone(),
            })
            .collect();
        let user = UserRecord {
            pk: key.pk,
            sk: key.sk,
            id: imported.id,
            email: imported
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            full_name: imported.full_name,
            role: imported.role,
            confirmed: imported.confirmed,
            created_at: imported.created_at,
            updated_at: imported.updated_at,
            provider,
            links,
            disabled: false,
            access_rev: 0,
        };
        let user_id = AttributeValue::S(imported.id.to_string());
        let mut items = vec![Self::item(&user)?];
        if let Some(email) = &imported.email {
            let mut marker = Self::email_key(email).to_attributes();
            marker.insert("userId".into(), user_id.clone());
            if let Some(hash) = imported.password_hash {
                marker.insert(PASSWORD_HASH.into(), AttributeValue::S(hash));
            }
            items.push(marker);
        }
        for link in &user.links {
            let mut marker = Self::provider_key(link.provider, &link.subject).to_attributes();
            marker.insert("userId".into(), user_id.clone());
            items.push(marker);
        }
        Ok(items)
    }

    /// The user as an item, with its place in the user list (GSI1 `USERS`).
    fn item(user: &UserRecord) -> Result<HashMap<String, AttributeValue>, StoreError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(user).map_err(|e| StoreError::Other(e.into()))?;
        item.insert(GSI1PK.into(), AttributeValue::S(USERS_INDEX.into()));
        item.insert(GSI1SK.into(), AttributeValue::S(user.id.to_string()));
        Ok(item)
    }

    fn admin_count_key() -> Key {
        Key::new("ADMINS", "COUNT")
    }

    /// Adds `delta` to the count of enabled admins; a decrease only while another admin remains.
    fn admin_count_change(&self, delta: i64) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::admin_count_key().to_attributes()))
            .update_expression("ADD #admins :delta")
            .expression_attribute_names("#admins", ADMIN_COUNT_ATTRIBUTE)
            .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()));
        let update = if delta < 0 {
            update
                .condition_expression("#admins > :keep")
                .expression_attribute_values(":keep", AttributeValue::N((-delta).to_string()))
        } else {
            update
        };
        TransactWriteItem::builder()
            .update(update.build().expect("table, key and expression are set"))
            .build()
    }

    /// How many enabled admins there are (0 when never counted).
    #[tracing::instrument(skip_all)]
    pub async fn admin_count(&self) -> Result<u64, StoreError> {
        let output = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::admin_count_key().to_attributes()))
            .consistent_read(true)
            .send()
            .await
            .store_context("Failed to read the admin count")?;
        Ok(output
            .item
            .and_then(|item| item.get(ADMIN_COUNT_ATTRIBUTE)?.as_n().ok()?.parse().ok())
            .unwrap_or(0))
    }

    /// Every user, newest first (GSI1 `USERS`, eventually consistent).
    #[tracing::instrument(skip_all)]
    pub async fn all(&self) -> Result<Vec<UserRecord>, StoreError> {
        let query = self
            .db
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", GSI1PK)
            .expression_attribute_values(":pk", AttributeValue::S(USERS_INDEX.into()))
            .scan_index_forward(false);
        query_index_all(query, "users").await
    }

    /// For operators after an upgrade (`ops users reindex`), never a request path: it Scans the table.
    /// Puts the users stored before the user list existed into it, and sets the count of enabled admins
    /// to what the profiles say, and moves password hashes an older version kept on profiles onto their
    /// email markers. Run it while no admin changes roles.
    #[tracing::instrument(skip_all)]
    pub async fn reindex(&self) -> Result<Reindexed, StoreError> {
        let (mut indexed, mut admins, mut moved) = (0, 0, 0);
        let mut start = None;
        loop {
            let page = self
                .db
                .scan()
                .table_name(&self.table)
                .filter_expression("SK = :profile AND begins_with(PK, :user)")
                .expression_attribute_values(":profile", AttributeValue::S("PROFILE".into()))
                .expression_attribute_values(":user", AttributeValue::S("USER#".into()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .store_context("Failed to scan for users")?;
            for item in page.items.unwrap_or_default() {
                let listed = item.contains_key(GSI1PK);
                let stored_credentials = Credentials::of_marker(&item);
                let user: UserRecord = serde_dynamo::from_item(item)
                    .map_err(|e| StoreError::Other(anyhow::anyhow!("Malformed user: {e}")))?;
                if stored_credentials != Credentials::default() {
                    self.move_credentials(&user, stored_credentials).await?;
                    moved += 1;
                }
                admins += u64::from(counts_as_admin(user.role, user.disabled));
                if !listed {
                    self.db
                        .update_item()
                        .table_name(&self.table)
                        .set_key(Some(Self::key(&user.id).to_attributes()))
                        .update_expression("SET #pk = :pk, #sk = :sk")
                        .condition_expression("attribute_exists(PK)")
                        .expression_attribute_names("#pk", GSI1PK)
                        .expression_attribute_names("#sk", GSI1SK)
                        .expression_attribute_values(":pk", AttributeValue::S(USERS_INDEX.into()))
                        .expression_attribute_values(":sk", AttributeValue::S(user.id.to_string()))
                        .send()
                        .await
                        .store_context("Failed to list a user")?;
                    indexed += 1;
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        let mut count = Self::admin_count_key().to_attributes();
        count.insert(
            ADMIN_COUNT_ATTRIBUTE.into(),
            AttributeValue::N(admins.to_string()),
        );
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(count))
            .send()
            .await
            .store_context("Failed to set the admin count")?;
        Ok(Reindexed {
            listed: indexed,
            admins,
            credentials_moved: moved,
        })
    }

    /// For operators (`ops users legacy-passwords`), never a request path: it Scans the table. How many
    /// email markers still hold a bcrypt hash imported from Belta.
    #[tracing::instrument(skip_all)]
    pub async fn count_legacy_password_hashes(&self) -> Result<usize, StoreError> {
        let mut count = 0;
        let mut start = None;
        loop {
            let page = self
                .db
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(PK, :email) AND begins_with(#hash, :bcrypt)")
                .expression_attribute_names("#hash", PASSWORD_HASH)
                .expression_attribute_values(":email", AttributeValue::S("EMAIL#".into()))
                .expression_attribute_values(":bcrypt", AttributeValue::S("$2".into()))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .store_context("Failed to scan for legacy password hashes")?;
            count += page.count as usize;
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    /// Moves credentials stored on a profile by an older version onto the email marker, in one
    /// transaction: the marker gets them unless it has its own, the profile loses them.
    async fn move_credentials(
        &self,
        user: &UserRecord,
        credentials: Credentials,
    ) -> Result<(), StoreError> {
        let mut onto_marker = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::email_key(&user.email()).to_attributes()))
            .update_expression("SET #hash = if_not_exists(#hash, :hash)")
            .condition_expression("userId = :user")
            .expression_attribute_names("#hash", PASSWORD_HASH)
            .expression_attribute_values(":hash", AttributeValue::S(credentials.password_hash))
            .expression_attribute_values(":user", AttributeValue::S(user.id.to_string()));
        if let Some(grant) = credentials.reset_grant_hash {
            onto_marker = onto_marker
                .update_expression(
                    "SET #hash = if_not_exists(#hash, :hash), #grant = if_not_exists(#grant, :grant)",
                )
                .expression_attribute_names("#grant", RESET_GRANT_HASH)
                .expression_attribute_values(":grant", AttributeValue::S(grant));
        }
        let off_profile = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(&user.id).to_attributes()))
            .update_expression("REMOVE #hash, #grant")
            .expression_attribute_names("#hash", PASSWORD_HASH)
            .expression_attribute_names("#grant", RESET_GRANT_HASH);
        let build = |update: aws_sdk_dynamodb::types::builders::UpdateBuilder| {
            update
                .build()
                .map(|update| TransactWriteItem::builder().update(update).build())
                .map_err(|e| StoreError::Other(e.into()))
        };
        self.db
            .transact_write_items()
            .transact_items(build(onto_marker)?)
            .transact_items(build(off_profile)?)
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, "Failed to move credentials"))?;
        Ok(())
    }

    /// The condition under which a session for `user` may be opened, as one item of the session's
    /// transaction: the account still exists, still has the role the session will carry, and is not
    /// disabled. It bumps `accessRev`, so a concurrent change that ends every session fails and reads again.
    pub fn session_guard(&self, user: &UserRecord) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(&user.id).to_attributes()))
            .update_expression("ADD accessRev :one")
            .condition_expression(
                "attribute_exists(PK) AND #role = :role AND (attribute_not_exists(disabled) OR disabled = :no)",
            )
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":role", AttributeValue::S(user.role.as_str().into()))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .expect("table, key and expression are set");
        TransactWriteItem::builder().update(update).build()
    }

    /// `SET`/`DELETE` conditioned on the account being exactly as `user` was read (its `accessRev`).
    fn unchanged_since_read(user: &UserRecord) -> (&'static str, AttributeValue) {
        let condition = if user.access_rev == 0 {
            "attribute_exists(PK) AND (attribute_not_exists(accessRev) OR accessRev = :rev)"
        } else {
            "accessRev = :rev"
        };
        (condition, AttributeValue::N(user.access_rev.to_string()))
    }

    /// The count change when `user` moves to (`role`, `disabled`), if any.
    fn admin_count_for(
        &self,
        user: &UserRecord,
        role: Role,
        disabled: bool,
    ) -> Option<TransactWriteItem> {
        let before = counts_as_admin(user.role, user.disabled) as i64;
        let after = counts_as_admin(role, disabled) as i64;
        (before != after).then(|| self.admin_count_change(after - before))
    }

    /// Sets `role` and `disabled` on the account as it was read, in one transaction with the admin count
    /// and `also` (the ends of its sessions, from `crate::sessions`).
    #[tracing::instrument(skip_all, fields(user = %user.id, role = role.as_str(), disabled, also = also.len()))]
    pub async fn change_access(
        &self,
        user: &UserRecord,
        role: Role,
        disabled: bool,
        also: Vec<TransactWriteItem>,
    ) -> Result<UserRecord, AccountWriteError> {
        let (condition, rev) = Self::unchanged_since_read(user);
        let now = now_millis();
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(&user.id).to_attributes()))
            .update_expression(
                "SET #role = :role, disabled = :disabled, updatedAt = :now ADD accessRev :one",
            )
            .condition_expression(condition)
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":rev", rev)
            .expression_attribute_values(":role", AttributeValue::S(role.as_str().into()))
            .expression_attribute_values(":disabled", AttributeValue::Bool(disabled))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .build()
            .map_err(anyhow::Error::from)
            .map_err(StoreError::from)?;
        let mut writes = vec![TransactWriteItem::builder().update(update).build()];
        writes.extend(self.admin_count_for(user, role, disabled));
        writes.extend(also);
        self.commit_account_write(writes, "Failed to change an account")
            .await?;
        Ok(UserRecord {
            role,
            disabled,
            updated_at: now,
            access_rev: user.access_rev + 1,
            ..user.clone()
        })
    }

    /// Deletes the account as it was read: the profile, its email marker and provider links, in one
    /// transaction with the admin count and `also` (its sessions' ends, its codes, its carts...).
    #[tracing::instrument(skip_all, fields(user = %user.id, also = also.len()))]
    pub async fn delete(
        &self,
        user: &UserRecord,
        also: Vec<TransactWriteItem>,
    ) -> Result<(), AccountWriteError> {
        let (condition, rev) = Self::unchanged_since_read(user);
        let delete = |key: Key| {
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key.to_attributes()))
                        .build()
                        .expect("table and key are set"),
                )
                .build()
        };
        let profile = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(&user.id).to_attributes()))
            .condition_expression(condition)
            .expression_attribute_values(":rev", rev)
            .build()
            .map_err(anyhow::Error::from)
            .map_err(StoreError::from)?;
        let mut writes = vec![TransactWriteItem::builder().delete(profile).build()];
        writes.extend(self.admin_count_for(user, Role::Client, true));
        if !user.email.is_empty() {
            writes.push(delete(Self::email_key(&user.email())));
        }
        for link in &user.links {
            writes.push(delete(Self::provider_key(link.provider, &link.subject)));
        }
        writes.extend(also);
        self.commit_account_write(writes, "Failed to delete an account")
            .await
    }

    /// Commits a write whose first item is the account's (conditioned on it being as read) and whose
    /// second, when it changes the admin count, is the count's.
    async fn commit_account_write(
        &self,
        writes: Vec<TransactWriteItem>,
        context: &str,
    ) -> Result<(), AccountWriteError> {
        let written = self
            .db
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map_err(|e| StoreError::from_transaction(e, context));
        match written {
            Ok(_) => Ok(()),
            Err(e) if e.failed_condition_at(0) => Err(AccountWriteError::Changed),
            Err(e) if e.failed_condition_at(1) => Err(AccountWriteError::LastAdmin),
            // Another transaction touched one of the items at the same time: read again.
            Err(StoreError::TransactionCanceled(_)) => Err(AccountWriteError::Changed),
            Err(e) => Err(e.into()),
        }
    }
}
