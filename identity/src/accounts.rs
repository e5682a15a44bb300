//! Register and login.

use shared::{
    auth::{Role, session::SessionRecord},
    clock::now_secs,
    db::StoreError,
};

use crate::{
    Identity,
    email::Email,
    password::Password,
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

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Too many failed logins for this email; locked for this long.
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

    /// Checks the password and opens a session for this device. 5 failures within 15 minutes lock the
    /// email until the window passes; unknown emails are counted alike.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: &Email,
        password: &Password,
        user_agent: Option<String>,
    ) -> Result<SignedIn, LoginError> {
        let now = now_secs();
        let (user_id, attempts) = self.attempts.lookup(email).await?;
        if let Some(retry_after_secs) = attempts.locked_for(now) {
            return Err(LoginError::Locked { retry_after_secs });
        }
        let user = match user_id {
            Some(id) => self.users.get(&id).await?,
            None => None,
        };
        let matches = password
            .verify(user.as_ref().map(|u| u.password_hash.clone()))
            .await
            .map_err(StoreError::from)?;
        let Some(user) = user.filter(|_| matches) else {
            self.attempts.record_failure(email, &attempts, now).await?;
            return Err(LoginError::InvalidCredentials);
        };
        if attempts.failures > 0 {
            self.attempts.clear(email).await?;
        }
        Ok(self.open_session(user, user_agent, now, None).await?)
    }

    /// Creates a session (one PutItem) and the tokens for it. `first_refresh_ttl_secs` shortens the
    /// first refresh token's life (one that travels in a URL and is exchanged at once).
    pub(crate) async fn open_session(
        &self,
        user: UserRecord,
        user_agent: Option<String>,
        now: i64,
        first_refresh_ttl_secs: Option<i64>,
    ) -> Result<SignedIn, StoreError> {
        let lifetime = self.tokens.config.refresh_ttl_secs;
        let session = SessionRecord::new(user.id, user.role, user_agent, now, lifetime);
        self.sessions.create(&session).await?;
        Ok(SignedIn {
            access: self.tokens.access(user.id, user.role, session.session_id)?,
            refresh: self.tokens.refresh_with_ttl(
                user.id,
                user.role,
                session.session_id,
                session.generation,
                first_refresh_ttl_secs,
            )?,
            user,
        })
    }
}
