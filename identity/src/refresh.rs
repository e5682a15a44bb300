//! The refresh decision, one for the four refresh conventions the auth function serves (their routes
//! and bodies are the auth function's; what a token is worth is decided here).
//!
//! [`Identity::rotate`] spends the presented token and hands out the next one; [`Identity::keep`]
//! (blazex, whose clients keep the refresh token they logged in with) only issues an access token.
//!
//! A session's first refresh binds it to the convention it used (any of the four may start: the seed
//! systems' clients have no login of their own here). Afterwards a token presented at another
//! convention's route is refused, so a token from the rotating routes cannot escape rotation at the
//! one that never rotates; and a stale token there is reuse, like anywhere else: it ends the session.

use shared::{
    Id,
    auth::{
        session::{RefreshConvention, SessionRecord},
        tokens::TokenKind,
    },
    clock::now_secs,
    db::StoreError,
};

use crate::{Identity, tokens::Issued, users::UserRecord};

/// A rotation: the session moved to a new generation (or a concurrent refresh moved it within the
/// grace window), and `refresh` is the token of that generation.
pub struct Rotated {
    pub user: UserRecord,
    pub access: Issued,
    pub refresh: Issued,
}

/// A refresh that keeps the presented refresh token valid.
pub struct Kept {
    pub user: UserRecord,
    pub access: Issued,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Not a valid refresh token, a spent or revoked one, or its account is gone: every case is a 401.
    #[error("refresh token rejected")]
    Rejected,
    /// The store or the signer failed; the cause is kept for the log.
    #[error("refresh failed")]
    Unexpected(#[source] StoreError),
}

impl From<StoreError> for RefreshError {
    fn from(error: StoreError) -> Self {
        RefreshError::Unexpected(error)
    }
}

/// Who the token names.
struct Presented {
    user: Id,
    session: Id,
    generation: u64,
}

impl Identity {
    fn presented(&self, token: &str) -> Result<Presented, RefreshError> {
        let claims = self
            .verifier
            .verify(token, TokenKind::Refresh)
            .map_err(|_| RefreshError::Rejected)?;
        match (claims.sid, claims.generation) {
            (Some(session), Some(generation)) => Ok(Presented {
                user: claims.sub,
                session,
                generation,
            }),
            _ => Err(RefreshError::Rejected),
        }
    }

    /// Rotates with `token`. The happy path is one conditional UpdateItem on the session and one GetItem
    /// of the user, run concurrently:
    /// - the session was at the token's generation: it moves to the next one, the caller gets its tokens;
    /// - it is exactly one generation further and was rotated within the grace window: a concurrent
    ///   refresh won the race; the caller gets tokens for the current generation (one chain, never two);
    /// - anything older, or the grace window passed: the token was replayed, the session is revoked.
    /// - the session is bound to another convention and the token is current: refused, nothing ends.
    #[tracing::instrument(skip_all, fields(convention = convention.as_str()))]
    pub async fn rotate(
        &self,
        token: &str,
        convention: RefreshConvention,
    ) -> Result<Rotated, RefreshError> {
        let presented = self.presented(token)?;
        let (user_id, session_id) = (presented.user, presented.session);
        let now = now_secs();
        let lifetime = self.token_config.refresh_ttl_secs;
        let (rotated, user) = tokio::join!(
            self.sessions.rotate(
                &user_id,
                &session_id,
                presented.generation,
                convention,
                now,
                lifetime
            ),
            self.users.get(&user_id)
        );
        let user = user?;
        let session = match rotated {
            Ok(session) => session,
            Err(StoreError::ConditionFailed) => self.lost_race(&presented, convention, now).await?,
            Err(other) => return Err(other.into()),
        };
        let user = self.still_there(user, &presented).await?;
        let tokens = self.tokens.get().await;
        let refresh = tokens.refresh(user.id, user.role, session.session_id, session.generation);
        Ok(Rotated {
            access: self.access_token(&user, &session).await?,
            refresh: refresh.map_err(StoreError::from)?,
            user,
        })
    }

    /// A new access token for the session of `token`, which stays valid (blazex's convention). A
    /// token older than its session's generation is reuse and ends the session; one whose session is
    /// bound to another convention is refused.
    #[tracing::instrument(skip_all)]
    pub async fn keep(&self, token: &str) -> Result<Kept, RefreshError> {
        let presented = self.presented(token)?;
        let now = now_secs();
        let convention = RefreshConvention::Blazex;
        let (used, user) = tokio::join!(
            self.sessions.use_without_rotating(
                &presented.user,
                &presented.session,
                presented.generation,
                convention,
                now
            ),
            self.users.get(&presented.user)
        );
        let user = user?;
        let session = match used {
            Ok(session) => session,
            Err(StoreError::ConditionFailed) => {
                // Never a grace window here: nothing on this route rotates.
                self.lost_race(&presented, convention, now).await?;
                return Err(RefreshError::Rejected);
            }
            Err(other) => return Err(other.into()),
        };
        let user = self.still_there(user, &presented).await?;
        Ok(Kept {
            access: self.access_token(&user, &session).await?,
            user,
        })
    }

    async fn access_token(
        &self,
        user: &UserRecord,
        session: &SessionRecord,
    ) -> Result<Issued, StoreError> {
        let tokens = self.tokens.get().await;
        Ok(tokens.access(user.id, user.role, session.session_id)?)
    }

    /// The session after a refresh whose conditional write failed: the winner's generation inside the
    /// grace window (same convention); a refusal when a current token came to another convention's
    /// route; otherwise a replay that revokes the session.
    async fn lost_race(
        &self,
        presented: &Presented,
        convention: RefreshConvention,
        now: i64,
    ) -> Result<SessionRecord, RefreshError> {
        let current = self
            .sessions
            .load(&presented.user, &presented.session)
            .await?;
        let same_convention =
            |s: &SessionRecord| s.refresh_convention.is_none_or(|bound| bound == convention);
        match current {
            Some(s)
                if s.is_live(now)
                    && same_convention(&s)
                    && convention != RefreshConvention::Blazex
                    && s.generation == presented.generation + 1
                    && now - s.rotated_at < self.token_config.refresh_grace_secs =>
            {
                Ok(s)
            }
            Some(s) if s.is_live(now) && s.generation == presented.generation => {
                tracing::info!(user = %presented.user, session = %presented.session,
                    bound = ?s.refresh_convention, presented_at = convention.as_str(),
                    "refresh refused: the session is bound to another convention");
                Err(RefreshError::Rejected)
            }
            Some(s) if s.is_live(now) => {
                tracing::warn!(user = %presented.user, session = %presented.session,
                    presented = presented.generation, current = s.generation,
                    "refresh token reuse detected; revoking the session");
                self.sessions
                    .delete(&presented.user, &presented.session)
                    .await?;
                Err(RefreshError::Rejected)
            }
            _ => Err(RefreshError::Rejected),
        }
    }

    /// The account behind a refresh; when it is gone, so is the session.
    async fn still_there(
        &self,
        user: Option<UserRecord>,
        presented: &Presented,
    ) -> Result<UserRecord, RefreshError> {
        match user {
            Some(user) => Ok(user),
            None => {
                self.sessions
                    .delete(&presented.user, &presented.session)
                    .await?;
                Err(RefreshError::Rejected)
            }
        }
    }
}
