//! Authentication, as every function needs it: roles, token verification, the session read and the
//! extractors that authenticate a request. Everything that *changes* identity (accounts, passwords,
//! sessions' writes, codes, token issuing) is the `identity` crate's.
//!
//! A request is authenticated by a short-lived access JWT *and* one consistent read of its session, so
//! logout, logout-all, password reset and role changes take effect at once (ARCHITECTURE.md §5).

pub mod extract;
pub mod keys;
pub mod session;
pub mod tokens;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use extract::{Admin, AuthUser, Authenticator, MaybeAuthUser, Shopper, Staff};
pub use keys::{PublicKey, PublicKeys};
pub use tokens::{TokenKind, Verifier, VerifierConfig};

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
