//! What a verified one-time code unlocks (a confirmed email, or a password-reset grant with the reset
//! token that redeems it), and the password reset itself.

use sha2::{Digest, Sha256};
use shared::{auth::tokens::TokenKind, db::StoreError};
use subtle::ConstantTimeEq;

use crate::{
    Identity,
    codes::{CheckCodeError, CodeConsumption, OtpCode, Purpose},
    email::Email,
    password::Password,
    tokens::Issued,
    users::{GuardedWriteError, UserRecord},
};

/// Sessions deleted in the same transaction as the password change (DynamoDB allows 100 items).
const SESSIONS_IN_TRANSACTION: usize = 98;

/// What a verified code did.
pub enum Redeemed {
    /// The email is confirmed.
    Confirmed,
    /// A reset grant is open; this token redeems it once at `/auth/reset-password`.
    ResetGrant(Issued),
}

/// A reset token whose grant was pending when checked ([`Identity::pending_reset`]); redeeming it
/// checks again, in the transaction.
pub struct PendingReset {
    user: UserRecord,
    grant: String,
    /// The password hash it replaces.
    current: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Not a reset token, or its grant is spent or replaced.
    #[error("reset token rejected")]
    Rejected,
    /// The new password is the current one.
    #[error("same password")]
    SamePassword,
    #[error("password reset failed")]
    Unexpected(#[source] StoreError),
}

impl From<StoreError> for ResetError {
    fn from(error: StoreError) -> Self {
        ResetError::Unexpected(error)
    }
}

impl From<GuardedWriteError> for CheckCodeError {
    fn from(error: GuardedWriteError) -> Self {
        match error {
            GuardedWriteError::Spent => CheckCodeError::Invalid,
            GuardedWriteError::Store(e) => CheckCodeError::Store(e),
        }
    }
}

fn grant_hash(grant: &str) -> String {
    hex::encode(Sha256::digest(grant.as_bytes()))
}

impl Identity {
    /// Checks the signed-in `user`'s code and applies it.
    #[tracing::instrument(skip_all, fields(user = %user.id, ?purpose))]
    pub async fn redeem_code(
        &self,
        user: &UserRecord,
        purpose: Purpose,
        code: &OtpCode,
    ) -> Result<Redeemed, CheckCodeError> {
        let consumption = self.codes.check(&user.email(), purpose, code).await?;
        self.apply_code(user, purpose, consumption).await
    }

    /// Checks a code sent to `email`. An unknown email gets the same `Invalid` as a wrong code.
    #[tracing::instrument(skip_all, fields(?purpose))]
    pub async fn redeem_guest_code(
        &self,
        email: &Email,
        purpose: Purpose,
        code: &OtpCode,
    ) -> Result<Redeemed, CheckCodeError> {
        let consumption = self.codes.check(email, purpose, code).await?;
        let user = self
            .users
            .find_by_email(email)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(CheckCodeError::Invalid)?;
        self.apply_code(&user, purpose, consumption).await
    }

    /// Consumes the code and applies its effect in one transaction.
    async fn apply_code(
        &self,
        user: &UserRecord,
        purpose: Purpose,
        consumption: CodeConsumption,
    ) -> Result<Redeemed, CheckCodeError> {
        match purpose {
            Purpose::EmailConfirmation => {
                self.users.confirm_email(&user.id, consumption).await?;
                Ok(Redeemed::Confirmed)
            }
            Purpose::ResetPassword => {
                let grant = hex::encode(rand::random::<[u8; 32]>());
                self.users
                    .open_reset_grant(user, consumption, grant_hash(&grant))
                    .await?;
                let token = self
                    .tokens
                    .get()
                    .await
                    .reset(user.id, user.role, grant)
                    .map_err(StoreError::from)?;
                Ok(Redeemed::ResetGrant(token))
            }
        }
    }

    /// Checks a reset token and that its grant is still pending: the request's authentication, made
    /// before its body is read.
    #[tracing::instrument(skip_all)]
    pub async fn pending_reset(&self, token: &str) -> Result<PendingReset, ResetError> {
        let claims = self
            .verifier
            .verify(token, TokenKind::Reset)
            .map_err(|_| ResetError::Rejected)?;
        let grant = grant_hash(claims.jti.as_deref().unwrap_or_default());
        let user = self
            .users
            .get(&claims.sub)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(ResetError::Rejected)?;
        let credentials = self.users.credentials(&user.email()).await?;
        let pending = credentials.reset_grant_hash.as_deref().unwrap_or_default();
        if !bool::from(pending.as_bytes().ct_eq(grant.as_bytes())) {
            return Err(ResetError::Rejected);
        }
        Ok(PendingReset {
            user,
            grant,
            current: credentials.password_hash,
        })
    }

    /// Redeems a pending reset once: sets `password` and ends every session of the account.
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(
        &self,
        reset: PendingReset,
        password: &Password,
    ) -> Result<(), ResetError> {
        let PendingReset {
            user,
            grant,
            current,
        } = reset;
        let current = Some(current);
        if password.verify(current).await.map_err(StoreError::from)? {
            return Err(ResetError::SamePassword);
        }
        let new_hash = password.hash().await.map_err(StoreError::from)?;

        // Sessions beyond what fits in the transaction are ended first: harmless if the change then fails.
        let sessions = self.sessions.list(&user.id).await?;
        let (in_transaction, before) =
            sessions.split_at(sessions.len().min(SESSIONS_IN_TRANSACTION));
        for session in before {
            self.sessions
                .delete(&session.user_id, &session.session_id)
                .await?;
        }
        let ends = in_transaction
            .iter()
            .map(|s| self.sessions.end_in_transaction(s))
            .collect::<Result<Vec<_>, _>>()?;
        match self
            .users
            .redeem_reset_grant(&user, grant, new_hash, ends)
            .await
        {
            Ok(()) => Ok(()),
            Err(GuardedWriteError::Spent) => Err(ResetError::Rejected),
            Err(GuardedWriteError::Store(e)) => Err(e.into()),
        }
    }
}
