//! The session item: its shape, its key, and the one read every authenticated request makes.
//!
//! Why here and not in the identity crate: verifying an access token and checking that its session still
//! lives happens in every function (ARCHITECTURE.md §5), so it is platform. The identity crate owns every
//! *write* (`identity::sessions::SessionStore`: open, rotate, end) and builds its keys and queries only
//! through [`SessionRecord::key`] and [`SessionRecord::partition`], so this module stays the one place
//! that knows where a session lives: `SESSION#<user>` / `<session>`.
//!
//! Sessions have a partition of their own, away from `USER#<user>` (the profile, carts and orders):
//! every function checks sessions, and IAM can only limit a function by partition key prefix
//! (`dynamodb:LeadingKeys`), so this is what lets the catalogue and upload functions check a session
//! without being able to read a user's profile.

use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};

use super::Role;
use crate::{
    db::{Key, StoreError, get_record},
    id::Id,
};

/// The four refresh conventions the auth function serves. A session's first refresh binds it to one,
/// so a token cannot leave the rotating routes for the one that never rotates (blazex).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefreshConvention {
    /// `POST /auth/refresh-token`, rotating.
    Belta,
    /// `POST /api/refresh-token/` (Django simplejwt), rotating.
    Drf,
    /// `GET /v1/auth/refresh-token`, never rotating.
    Blazex,
    /// `POST /api/v1/token-refresh`, rotating.
    Hesabe,
}

impl RefreshConvention {
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshConvention::Belta => "belta",
            RefreshConvention::Drf => "drf",
            RefreshConvention::Blazex => "blazex",
            RefreshConvention::Hesabe => "hesabe",
        }
    }
}

/// The partition key prefix of sessions; a user's sessions share one partition.
pub const SESSION_PARTITION_PREFIX: &str = "SESSION#";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub session_id: Id,
    pub user_id: Id,
    /// The user's role, checked on every request (a role change rewrites or ends sessions).
    pub role: Role,
    pub generation: u64,
    /// Unix seconds of the last rotation (or of the login).
    pub rotated_at: i64,
    pub created_at: i64,
    /// Unix seconds of the last login or refresh.
    pub last_used_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The refresh convention the session's first refresh used; every later refresh must use it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_convention: Option<RefreshConvention>,
    /// Unix seconds; sliding: each refresh pushes it to now + the refresh token's lifetime. Also the TTL.
    pub expires_at: i64,
}

impl SessionRecord {
    /// A new session at generation 0, for a login now.
    pub fn new(
        user_id: Id,
        role: Role,
        user_agent: Option<String>,
        now: i64,
        lifetime_secs: i64,
    ) -> Self {
        let session_id = Id::new();
        let key = Self::key(&user_id, &session_id);
        SessionRecord {
            pk: key.pk,
            sk: key.sk,
            session_id,
            user_id,
            role,
            generation: 0,
            rotated_at: now,
            created_at: now,
            last_used_at: now,
            user_agent: user_agent.map(|ua| ua.chars().take(256).collect()),
            refresh_convention: None,
            expires_at: now + lifetime_secs,
        }
    }

    /// The key of one session.
    pub fn key(user: &Id, session: &Id) -> Key {
        Key::new(Self::partition(user), session.to_string())
    }

    /// The partition holding every session of a user, and nothing else.
    pub fn partition(user: &Id) -> String {
        format!("{SESSION_PARTITION_PREFIX}{user}")
    }

    pub fn is_live(&self, now: i64) -> bool {
        self.expires_at > now
    }
}

/// Reads sessions (for the extractors); identity's session store writes them.
#[derive(Clone)]
pub struct SessionReader {
    db: Client,
    table: String,
}

impl SessionReader {
    pub fn new(db: Client, table: impl Into<String>) -> Self {
        SessionReader {
            db,
            table: table.into(),
        }
    }

    /// The session, read consistently: a logout a moment ago must already count.
    #[tracing::instrument(skip_all, fields(%user, %session))]
    pub async fn load(&self, user: &Id, session: &Id) -> Result<Option<SessionRecord>, StoreError> {
        get_record(
            &self.db,
            &self.table,
            &SessionRecord::key(user, session),
            "a session",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_sessions_share_a_partition_apart_from_the_profile() {
        let user: Id = "682b7173f5c8c863ab931a45".parse().unwrap();
        let session: Id = "682b7173f5c8c863ab931a46".parse().unwrap();
        let key = SessionRecord::key(&user, &session);
        assert_eq!(key.pk, "SESSION#682b7173f5c8c863ab931a45");
        assert_eq!(key.sk, "682b7173f5c8c863ab931a46");
        assert_eq!(SessionRecord::partition(&user), key.pk);
    }
}
