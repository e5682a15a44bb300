//! Sign-in through an OAuth provider (GitHub for the store, Google for seed 002): the pending logins
//! a `state` points at, the one-time proofs that let a new GitHub user create an account, and the
//! decisions (sign in a linked account, link a verified e-mail, create an account).
//!
//! Pending logins and proofs are items keyed by the SHA-256 of their random value (the value itself is
//! never stored), with an expiry checked in code, and are spent by a conditional delete: a replayed
//! `state` or a reused proof finds nothing.

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    Client,
    types::{AttributeValue, Delete, ReturnValue, TransactWriteItem},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::{
    clock::now_secs,
    db::{Key, StoreError, StoreResultExt},
};

use crate::{
    Identity,
    accounts::{SignInError, SignedIn},
    email::Email,
    users::{CreateLinkedError, NewLinkedUser, Provider},
};

/// How long a pending login and a registration proof live.
pub const PENDING_TTL_SECS: i64 = 600;

fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A sign-in between the redirect to the provider and its callback.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PendingLogin {
    pub provider: Provider,
    /// SHA-256 (hex) of the browser-binding cookie's value.
    pub binding_hash: String,
    /// The PKCE code verifier (RFC 7636), sent with the code exchange.
    pub pkce_verifier: String,
    /// Where the browser goes afterwards, by outcome (already checked against the allowed origins).
    pub new_account_url: Option<String>,
    pub login_url: Option<String>,
    pub failure_url: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

/// What a registration proof stands for: a provider account the callback has just seen.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofRecord {
    pub provider: Provider,
    pub subject: String,
    pub full_name: String,
    pub expires_at: i64,
}

#[derive(Clone)]
pub struct OAuthStore {
    db: Client,
    table: String,
}

impl OAuthStore {
    pub fn new(db: Client, table: impl Into<String>) -> Self {
        OAuthStore {
            db,
            table: table.into(),
        }
    }

    fn pending_key(state_id: &str) -> Key {
        Key::new(format!("OAUTHSTATE#{}", digest(state_id)), "STATE")
    }

    fn proof_key(proof: &str) -> Key {
        Key::new(format!("OAUTHPROOF#{}", digest(proof)), "PROOF")
    }

    async fn put<T: Serialize>(
        &self,
        key: Key,
        record: &T,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(record).map_err(|e| StoreError::Other(e.into()))?;
        item.extend(key.to_attributes());
        item.insert(
            "expiresAt".into(),
            AttributeValue::N(expires_at.to_string()),
        );
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .store_context("Failed to store a pending sign-in")?;
        Ok(())
    }

    /// Stores a pending login under the random `state_id`.
    #[tracing::instrument(skip_all, fields(provider = pending.provider.as_str()))]
    pub async fn begin(&self, state_id: &str, pending: &PendingLogin) -> Result<(), StoreError> {
        self.put(Self::pending_key(state_id), pending, pending.expires_at)
            .await
    }

    /// Spends the pending login: the first call gets it (if it has not expired), every later one `None`.
    #[tracing::instrument(skip_all)]
    pub async fn take(&self, state_id: &str) -> Result<Option<PendingLogin>, StoreError> {
        let output = self
            .db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::pending_key(state_id).to_attributes()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .store_context("Failed to take a pending sign-in")?;
        let Some(item) = output.attributes else {
            return Ok(None);
        };
        let pending: PendingLogin =
            serde_dynamo::from_item(item).map_err(|e| StoreError::Other(e.into()))?;
        Ok((pending.expires_at > now_secs()).then_some(pending))
    }

    /// Opens a registration proof for a provider account the callback saw; returns the proof.
    #[tracing::instrument(skip_all, fields(provider = provider.as_str()))]
    pub async fn open_proof(
        &self,
        provider: Provider,
        subject: &str,
        full_name: &str,
    ) -> Result<String, StoreError> {
        let proof = hex::encode(rand::random::<[u8; 32]>());
        let record = ProofRecord {
            provider,
            subject: subject.to_owned(),
            full_name: full_name.to_owned(),
            expires_at: now_secs() + PENDING_TTL_SECS,
        };
        self.put(Self::proof_key(&proof), &record, record.expires_at)
            .await?;
        Ok(proof)
    }

    /// The proof's record while it is unspent and unexpired.
    #[tracing::instrument(skip_all)]
    pub async fn read_proof(&self, proof: &str) -> Result<Option<ProofRecord>, StoreError> {
        let record: Option<ProofRecord> =
            shared::db::get_record(&self.db, &self.table, &Self::proof_key(proof), "a proof")
                .await?;
        Ok(record.filter(|r| r.expires_at > now_secs()))
    }

    /// The proof's deletion, on condition that it is still there and unexpired: its transaction fails
    /// when a concurrent request spent it first.
    pub fn spend_proof_in_transaction(&self, proof: &str) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::proof_key(proof).to_attributes()))
            .condition_expression("attribute_exists(PK) AND expiresAt > :now")
            .expression_attribute_values(":now", AttributeValue::N(now_secs().to_string()))
            .build()
            .map_err(anyhow::Error::from)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }
}

/// An identity a provider vouched for.
pub struct ProviderIdentity {
    pub provider: Provider,
    pub subject: String,
    pub full_name: String,
    /// Only a verified e-mail (the caller checked `email_verified`).
    pub email: Option<Email>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// No such proof, expired, or spent (by this request's twin).
    #[error("the proof is not valid")]
    Invalid,
    /// The provider account got an account meanwhile.
    #[error("the provider account has an account")]
    AlreadyLinked,
    #[error("registration failed")]
    Unexpected(#[source] StoreError),
}

impl From<StoreError> for ProofError {
    fn from(error: StoreError) -> Self {
        ProofError::Unexpected(error)
    }
}

impl From<SignInError> for ProofError {
    /// A new account is never disabled: only a concurrent deletion or role change gets here.
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::Disabled => ProofError::Unexpected(StoreError::ConditionFailed),
            SignInError::Store(e) => ProofError::Unexpected(e),
        }
    }
}

impl Identity {
    /// Signs in the account linked to this provider account, if there is one.
    #[tracing::instrument(skip_all, fields(provider = provider.as_str()))]
    pub async fn sign_in_linked(
        &self,
        provider: Provider,
        subject: &str,
        user_agent: Option<String>,
        first_refresh_ttl_secs: Option<i64>,
    ) -> Result<Option<SignedIn>, SignInError> {
        match self.users.find_by_provider(provider, subject).await? {
            Some(user) => Ok(Some(
                self.open_session(user, user_agent, now_secs(), first_refresh_ttl_secs)
                    .await?,
            )),
            None => Ok(None),
        }
    }

    /// Creates the account a registration proof stands for, spending the proof in the same transaction,
    /// and signs it in.
    #[tracing::instrument(skip_all)]
    pub async fn register_with_proof(
        &self,
        proof: &str,
        full_name: String,
        user_agent: Option<String>,
    ) -> Result<SignedIn, ProofError> {
        let record = self
            .oauth
            .read_proof(proof)
            .await?
            .ok_or(ProofError::Invalid)?;
        let spend = self.oauth.spend_proof_in_transaction(proof)?;
        let new = NewLinkedUser {
            email: None,
            full_name,
            provider: record.provider,
            subject: record.subject,
        };
        let user = match self.users.create_linked(new, Some(spend)).await {
            Ok(user) => user,
            Err(CreateLinkedError::Spent) => return Err(ProofError::Invalid),
            Err(CreateLinkedError::AlreadyLinked | CreateLinkedError::EmailTaken) => {
                return Err(ProofError::AlreadyLinked);
            }
            Err(CreateLinkedError::Store(e)) => return Err(e.into()),
        };
        Ok(self
            .open_session(user, user_agent, now_secs(), None)
            .await?)
    }

    /// Signs in with an identity whose e-mail the provider verified: the linked account; else the
    /// account with that e-mail, which gets linked (and confirmed); else a new account.
    #[tracing::instrument(skip_all, fields(provider = identity.provider.as_str()))]
    pub async fn sign_in_verified(
        &self,
        identity: ProviderIdentity,
        user_agent: Option<String>,
    ) -> Result<SignedIn, SignInError> {
        let (provider, subject) = (identity.provider, identity.subject.clone());
        for _ in 0..2 {
            if let Some(user) = self.users.find_by_provider(provider, &subject).await? {
                return self.open_session(user, user_agent, now_secs(), None).await;
            }
            if let Some(email) = &identity.email
                && let Some(user) = self.users.find_by_email(email).await?
            {
                if self.users.link(&user.id, provider, &subject).await? {
                    if !user.confirmed {
                        self.users.mark_confirmed(&user.id).await?;
                    }
                    let user = self.users.get(&user.id).await?.unwrap_or(user);
                    return self.open_session(user, user_agent, now_secs(), None).await;
                }
                // Linked by a concurrent sign-in: read the link again.
                continue;
            }
            let new = NewLinkedUser {
                email: identity.email.clone(),
                full_name: identity.full_name.clone(),
                provider,
                subject: subject.clone(),
            };
            match self.users.create_linked(new, None).await {
                Ok(user) => return self.open_session(user, user_agent, now_secs(), None).await,
                // A concurrent sign-in created or linked it: read again.
                Err(CreateLinkedError::AlreadyLinked | CreateLinkedError::EmailTaken) => continue,
                Err(CreateLinkedError::Spent) => unreachable!("no guarding write was given"),
                Err(CreateLinkedError::Store(e)) => return Err(e.into()),
            }
        }
        Err(StoreError::Other(anyhow::anyhow!(
            "a provider sign-in kept racing with another"
        ))
        .into())
    }
}
