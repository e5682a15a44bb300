//! Accounts as admins (and operators, through `ops`) manage them: list, change a role, disable and
//! enable, delete; and a user's deletion of their own account.
//!
//! Every change ends all of the account's sessions in the same transaction as the change, so the next
//! request with an old access token finds no session (401) and a new sign-in carries the new role. The
//! transaction is conditioned on the account's `accessRev` as read, which every sign-in bumps in the
//! transaction that opens its session: a sign-in racing with a change either came first (its session is
//! among those ended) or is refused. No change leaves the deployment without an enabled admin: the
//! count of enabled admins is an item whose decrease is conditioned on another admin remaining, so two
//! admins demoting each other at once cannot both succeed (see `UserStore::change_access`).

use aws_sdk_dynamodb::types::TransactWriteItem;
use shared::{Id, auth::Role, clock::now_secs, db::StoreError};

use crate::{
    attempts::{LoginAttempts, LoginSource, ReserveError},
    codes::CodeStore,
    password::Password,
    sessions::SessionStore,
    users::{AccountWriteError, UserRecord, UserStore},
};

/// How often a change is tried against an account that keeps changing (signing in) under it, or
/// whose transaction collided with another on the admin count.
const ATTEMPTS: u64 = 5;

/// A short, growing, jittered pause before trying a change again.
async fn pause_before_retry(attempt: u64) {
    let millis = 10 * attempt + rand::random::<u64>() % 20;
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}

/// Sessions ended inside the change's transaction (DynamoDB allows 100 items; the account's other
/// items take at most a dozen). Sessions beyond (only from before the cap of 20) are ended first.
const SESSIONS_IN_TRANSACTION: usize = 80;

/// An account without a password proves it is its owner by a sign-in this recent (seconds).
pub const RECENT_SIGN_IN_SECS: i64 = 10 * 60;

/// Which users a list shows.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Case-insensitive, in the full name or the email.
    pub search: Option<String>,
    pub role: Option<Role>,
}

impl UserFilter {
    fn matches(&self, user: &UserRecord) -> bool {
        let search = self.search.as_deref().map(str::trim).unwrap_or_default();
        let found = search.is_empty() || {
            let search = search.to_lowercase();
            user.full_name.to_lowercase().contains(&search) || user.email.contains(&search)
        };
        found && self.role.is_none_or(|role| user.role == role)
    }
}

/// What an admin changes on an account; `None` keeps it.
#[derive(Clone, Copy, Debug, Default)]
pub struct AccessChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("no such account")]
    NotFound,
    /// It would leave no enabled admin.
    #[error("the last admin")]
    LastAdmin,
    /// The account kept changing while this was tried.
    #[error("the account kept changing")]
    Changed,
    #[error("account change failed")]
    Unexpected(#[source] StoreError),
}

impl From<StoreError> for ManageError {
    fn from(error: StoreError) -> Self {
        ManageError::Unexpected(error)
    }
}

/// Why a user's deletion of their own account did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DeleteOwnError {
    /// The account has a password and none was given.
    #[error("the password is required")]
    PasswordRequired,
    /// The password is not the account's (the attempt counts against the login limits).
    #[error("wrong password")]
    WrongPassword,
    /// Too many attempts on this account's password: the login lock.
    #[error("locked for {retry_after_secs}s")]
    Locked { retry_after_secs: u64 },
    /// The account has no password and the session's sign-in is older than [`RECENT_SIGN_IN_SECS`].
    #[error("a recent sign-in is required")]
    SignInAgain,
    #[error(transparent)]
    Manage(#[from] ManageError),
}

impl From<StoreError> for DeleteOwnError {
    fn from(error: StoreError) -> Self {
        DeleteOwnError::Manage(error.into())
    }
}

/// The stores these operations write; cheap to clone. Built from the table alone (no token or code
/// keys), so the `users` function and `ops` need nothing else.
#[derive(Clone)]
pub struct Accounts {
    pub users: UserStore,
    pub sessions: SessionStore,
    attempts: LoginAttempts,
    table: String,
}

impl Accounts {
    pub fn new(db: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        let table = table.into();
        Accounts {
            users: UserStore::new(db.clone(), &table),
            sessions: SessionStore::new(db.clone(), &table),
            attempts: LoginAttempts::new(db, &table),
            table,
        }
    }

    /// The users that match `filter`, newest first.
    #[tracing::instrument(skip_all, fields(role = ?filter.role))]
    pub async fn users_matching(&self, filter: &UserFilter) -> Result<Vec<UserRecord>, StoreError> {
        let mut users = self.users.all().await?;
        users.retain(|u| filter.matches(u));
        Ok(users)
    }

    /// The account, or `NotFound`.
    pub async fn account(&self, id: &Id) -> Result<UserRecord, ManageError> {
        self.users.get(id).await?.ok_or(ManageError::NotFound)
    }

    /// Changes the role and/or disables or enables the account, ending all its sessions in the same
    /// transaction. Nothing is written when nothing changes.
    #[tracing::instrument(skip_all, fields(user = %id, role = ?change.role, disabled = ?change.disabled))]
    pub async fn change_access(
        &self,
        id: &Id,
        change: AccessChange,
    ) -> Result<UserRecord, ManageError> {
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                pause_before_retry(attempt).await;
            }
            let user = self.account(id).await?;
            let role = change.role.unwrap_or(user.role);
            let disabled = change.disabled.unwrap_or(user.disabled);
            if role == user.role && disabled == user.disabled {
                return Ok(user);
            }
            let ends = self.ends_of_all_sessions(&user).await?;
            match self.users.change_access(&user, role, disabled, ends).await {
                Ok(changed) => return Ok(changed),
                Err(AccountWriteError::Changed) => continue,
                Err(AccountWriteError::LastAdmin) => return Err(ManageError::LastAdmin),
                Err(AccountWriteError::Store(e)) => return Err(e.into()),
            }
        }
        Err(ManageError::Changed)
    }

    /// Deletes the account and its personal data in one transaction: the profile, the email marker,
    /// the provider links, every session, the one-time codes and the per-email login counter, plus
    /// `also` (the carts, which are the orders crate's). Orders are kept: they name the user only by
    /// an id that no longer leads to anyone.
    #[tracing::instrument(skip_all, fields(user = %id, also = also.len()))]
    pub async fn delete_account(
        &self,
        id: &Id,
        also: Vec<TransactWriteItem>,
    ) -> Result<(), ManageError> {
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                pause_before_retry(attempt).await;
            }
            let user = self.account(id).await?;
            let mut writes = self.ends_of_all_sessions(&user).await?;
            if !user.email.is_empty() {
                writes.extend(CodeStore::erase_in_transaction(&self.table, &user.email()));
                writes.push(self.attempts.erase_in_transaction(&user.email()));
            }
            writes.extend(also.iter().cloned());
            match self.users.delete(&user, writes).await {
                Ok(()) => return Ok(()),
                Err(AccountWriteError::Changed) => continue,
                Err(AccountWriteError::LastAdmin) => return Err(ManageError::LastAdmin),
                Err(AccountWriteError::Store(e)) => return Err(e.into()),
            }
        }
        Err(ManageError::Changed)
    }

    /// The signed-in user deletes their own account (see [`Accounts::delete_account`]). An account
    /// with a password proves it with the password, counted like a login attempt (5 per 15 minutes
    /// from one address), so this route cannot be used to guess it; an account without one (GitHub,
    /// Google) by a session opened within the last [`RECENT_SIGN_IN_SECS`].
    #[tracing::instrument(skip_all, fields(user = %user, session = %session))]
    pub async fn delete_own_account(
        &self,
        user: &Id,
        session: &Id,
        password: Option<&Password>,
        address: Option<&str>,
        also: Vec<TransactWriteItem>,
    ) -> Result<(), DeleteOwnError> {
        let account = self.account(user).await?;
        let now = now_secs();
        // Accounts without an email (GitHub's) have no password either.
        let password_hash = match account.email.is_empty() {
            true => String::new(),
            false => {
                self.users
                    .credentials(&account.email())
                    .await?
                    .password_hash
            }
        };
        if password_hash.is_empty() {
            let signed_in_at = self
                .sessions
                .load(user, session)
                .await?
                .map(|s| s.created_at)
                .unwrap_or_default();
            if now - signed_in_at > RECENT_SIGN_IN_SECS {
                return Err(DeleteOwnError::SignInAgain);
            }
        } else {
            let password = password.ok_or(DeleteOwnError::PasswordRequired)?;
            let email = account.email();
            let source = LoginSource {
                email: &email,
                address,
            };
            let (_, windows) = self.attempts.lookup(&source).await?;
            let reservation = self
                .attempts
                .reserve(&source, &windows, now)
                .await
                .map_err(|e| match e {
                    ReserveError::Locked { retry_after_secs } => {
                        DeleteOwnError::Locked { retry_after_secs }
                    }
                    ReserveError::Store(e) => e.into(),
                })?;
            let matches = password
                .verify(Some(password_hash))
                .await
                .map_err(StoreError::from)?;
            if !matches {
                return Err(DeleteOwnError::WrongPassword);
            }
            if self.attempts.release(&source, reservation).await.is_err() {
                tracing::warn!("A password attempt was not released");
            }
        }
        Ok(self.delete_account(user, also).await?)
    }

    /// The ends of every session of `user`, as items of the change's transaction. Sessions beyond
    /// what fits are ended now: harmless if the change then fails (their owner signs in again).
    async fn ends_of_all_sessions(
        &self,
        user: &UserRecord,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let sessions = self.sessions.list(&user.id).await?;
        let (in_transaction, before) =
            sessions.split_at(sessions.len().min(SESSIONS_IN_TRANSACTION));
        for session in before {
            self.sessions
                .delete(&session.user_id, &session.session_id)
                .await?;
        }
        in_transaction
            .iter()
            .map(|s| self.sessions.end_in_transaction(s))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, email: &str, role: Role) -> UserRecord {
        UserRecord {
            pk: String::new(),
            sk: String::new(),
            id: Id::new(),
            email: email.into(),
            full_name: name.into(),
            role,
            confirmed: true,
            created_at: 0,
            updated_at: 0,
            provider: Default::default(),
            links: Vec::new(),
            disabled: false,
            access_rev: 0,
        }
    }

    #[test]
    fn a_filter_matches_the_name_or_the_email_in_any_case_and_the_role() {
        let mona = user("Mona Salem", "mona@example.com", Role::Employee);
        let search = |s: &str| UserFilter {
            search: Some(s.into()),
            role: None,
        };

        assert!(search("SALEM").matches(&mona));
        assert!(search("MONA@EXAMPLE").matches(&mona));
        assert!(search("  ").matches(&mona));
        assert!(!search("omar").matches(&mona));
        let employees = UserFilter {
            search: None,
            role: Some(Role::Employee),
        };
        assert!(employees.matches(&mona));
        assert!(
            !UserFilter {
                role: Some(Role::Admin),
                ..employees
            }
            .matches(&mona)
        );
    }
}
