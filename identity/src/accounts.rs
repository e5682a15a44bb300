//! Register and login.

use shared::{
    auth::{Role, session::SessionRecord},
    clock::now_secs,
    db::StoreError,
};

use crate::{
    Identity,
    attempts::{LoginSource, ReserveError},
    email::Email,
    password::{LoginCheck, Password},
    sessions::evicted_by_a_new_one,
    tokens::Issued,
    users::{CreateUserError, NewUser, UserRecord},
};

/// A new account, parsed.
pub struct Registration {
    pub full_name: String,
    pub email: Email,
    pub password: Password,
    pub role: Role,
}

/// A login's result: the account and the tokens of its new session.
pub struct SignedIn {
    pub user: UserRecord,
    pub access: Issued,
    pub refresh: Issued,
}

/// How often a session's transaction is tried when concurrent sign-ins of one account collide on its
/// profile (each bumps `accessRev`).
const SIGN_IN_ATTEMPTS: usize = 3;

/// Why a sign-in (of any kind) opened no session.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// An admin disabled the account.
    #[error("the account is disabled")]
    Disabled,
    /// `ConditionFailed` when the account changed or vanished meanwhile.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The password was right, but an admin disabled the account. Only a caller who knows the
    /// password learns this: a wrong password gets `InvalidCredentials` whatever the account's state.
    #[error("the account is disabled")]
    Disabled,
    /// Too many attempts for this email (from this address, or from all); locked for this long.
    #[error("locked for {retry_after_secs}s")]
    Locked { retry_after_secs: u64 },
    /// Unknown email or wrong password: the same answer in about the same time.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("login failed")]
    Unexpected(#[source] StoreError),
}

impl From<StoreError> for LoginError {
    fn from(error: StoreError) -> Self {
        LoginError::Unexpected(error)
    }
}

impl From<SignInError> for LoginError {
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::Disabled => LoginError::Disabled,
            SignInError::Store(e) => LoginError::Unexpected(e),
        }
    }
}

impl Identity {
    /// Creates an unconfirmed account (the caller decided who may create which role).
    #[tracing::instrument(skip_all, fields(role = new.role.as_str()))]
    pub async fn register(&self, new: Registration) -> Result<UserRecord, CreateUserError> {
        let password_hash = new.password.hash().await.map_err(StoreError::from)?;
        self.users
            .create(NewUser {
                email: new.email,
                full_name: new.full_name,
                password_hash,
                role: new.role,
                confirmed: false,
            })
            .await
    }

    /// Checks the password and opens a session for this device. The attempt is reserved before the
    /// check: 5 within 15 minutes per email and source address, 25 per email from all addresses
    /// (`crate::attempts`); unknown emails are counted alike.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        source: &LoginSource<'_>,
        password: &Password,
        user_agent: Option<String>,
    ) -> Result<SignedIn, LoginError> {
        let now = now_secs();
        let (account, windows) = self.attempts.lookup(source).await?;
        let reserve = self.attempts.reserve(source, &windows, now);
        let user = async {
            match &account {
                Some((id, _)) => self.users.get(id).await,
                None => Ok(None),
            }
        };
        let (reservation, user) = tokio::join!(reserve, user);
        let reservation = reservation.map_err(|e| match e {
            ReserveError::Locked { retry_after_secs } => LoginError::Locked { retry_after_secs },
            ReserveError::Store(e) => LoginError::Unexpected(e),
        })?;
        let user = user?;
        let stored_hash = account.map(|(_, credentials)| credentials.password_hash);
        let check = password
            .verify_login(stored_hash.clone())
            .await
            .map_err(StoreError::from)?;
        let Some(user) = user.filter(|_| check.matches()) else {
            return Err(LoginError::InvalidCredentials);
        };
        let upgrade = async {
            if let (LoginCheck::MatchesLegacy { rehashed }, Some(legacy)) = (check, stored_hash) {
                self.users
                    .replace_password_hash(&user.email(), &legacy, rehashed)
                    .await
            } else {
                Ok(())
            }
        };
        let (released, upgraded, signed_in) = tokio::join!(
            self.attempts.release(source, reservation),
            upgrade,
            self.open_session(user.clone(), user_agent, now, None)
        );
        if released.is_err() {
            // Only leaves the attempt counted (the cause is logged): the login stands.
            tracing::warn!("A login attempt was not released");
        }
        if upgraded.is_err() {
            // The bcrypt hash stays (the cause is logged) and the next login upgrades it: the login stands.
            tracing::warn!("A legacy password hash was not upgraded");
        }
        Ok(signed_in?)
    }

    /// Creates a session and the tokens for it: one Query of the user's sessions and one transaction
    /// that writes the session, checks the account (still there, same role, not disabled: see
    /// `UserStore::session_guard`) and ends the least recently used beyond `MAX_SESSIONS_PER_USER`.
    /// `first_refresh_ttl_secs` shortens the first refresh token's life (one that travels in a URL and
    /// is exchanged at once).
    pub(crate) async fn open_session(
        &self,
        user: UserRecord,
        user_agent: Option<String>,
        now: i64,
        first_refresh_ttl_secs: Option<i64>,
    ) -> Result<SignedIn, SignInError> {
        if user.disabled {
            return Err(SignInError::Disabled);
        }
        let lifetime = self.token_config.refresh_ttl_secs;
        let session = SessionRecord::new(user.id, user.role, user_agent, now, lifetime);
        let evicting = evicted_by_a_new_one(self.sessions.list(&user.id).await?);
        for attempt in 1..=SIGN_IN_ATTEMPTS {
            let guard = self.users.session_guard(&user);
            match self.sessions.create(&session, guard, &evicting).await {
                Ok(()) => break,
                Err(e) if e.failed_condition_at(0) => {
                    // Disabled, deleted or given another role since it was read.
                    let disabled = self.users.get(&user.id).await?.is_some_and(|u| u.disabled);
                    return Err(if disabled {
                        SignInError::Disabled
                    } else {
                        SignInError::Store(StoreError::ConditionFailed)
                    });
                }
                // Another sign-in of the same account wrote its profile at the same moment.
                Err(StoreError::TransactionCanceled(_)) if attempt < SIGN_IN_ATTEMPTS => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let tokens = self.tokens.get().await;
        Ok(SignedIn {
            access: tokens
                .access(user.id, user.role, session.session_id)
                .map_err(StoreError::from)?,
            refresh: tokens
                .refresh_with_ttl(
                    user.id,
                    user.role,
                    session.session_id,
                    session.generation,
                    first_refresh_ttl_secs,
                )
                .map_err(StoreError::from)?,
            user,
        })
    }
}
