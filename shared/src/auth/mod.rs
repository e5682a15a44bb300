//! Identity shared by every function: roles, signed tokens, password hashing, sessions and the
//! extractors that authenticate a request.
//!
//! A request is authenticated by a short-lived access JWT *and* one consistent read of its session, so
//! logout, logout-all, password reset and role changes take effect at once (ARCHITECTURE.md §5).

pub mod extract;
pub mod password;
pub mod session;
pub mod tokens;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use extract::{AuthUser, Authenticator, MaybeAuthUser, Staff};
pub use tokens::{TokenConfig, TokenKind, Tokens};

/// Belta's roles. Staff means `admin` or `employee`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Employee,
    Admin,
}

impl Role {
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Employee | Role::Admin)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Employee => "employee",
            Role::Admin => "admin",
        }
    }
}
