//! Identity: who a caller is and what proves it. Accounts and their unique emails, passwords, sessions'
//! writes, one-time codes, password-reset grants, token issuing and the refresh decision. The `auth`
//! function serves it over HTTP; the future account and order code uses it too.
//!
//! # Layout
//! - [`email`], [`password`]: the parsed values every input becomes ([`Email`], [`Password`]).
//! - [`users`]: the user item and its email marker ([`UserStore`]).
//! - [`attempts`]: login attempts per email and source address, and per email ([`LoginAttempts`]).
//! - [`sessions`]: opening, rotating and ending sessions ([`SessionStore`]).
//! - [`codes`]: one-time codes, their limits and their consumption ([`CodeStore`]).
//! - [`tokens`]: signing access, refresh and reset tokens ([`TokenIssuer`], [`IssuerConfig`]).
//! - [`accounts`]: register and login; [`grants`]: what a verified code unlocks, and the password reset.
//! - [`oauth`]: sign-in through GitHub and Google: pending logins, registration proofs, linking.
//! - [`refresh`]: the refresh decision (rotation, grace window, reuse detection).
//! - [`admin`]: list users, change a role, disable, delete (admins and `ops`), and deleting one's own
//!   account; each ends every session of the account in the same transaction.
//!
//! # Rules
//! - Each item has one store, the only code that builds its keys and expressions. A write that spans
//!   items (a code's consumption and its effect, a reset and the sessions it ends) is one transaction
//!   committed by the store of the main item, with the other items' writes built by their own stores.
//! - Stores return `StoreError` or their own `thiserror` enum; operations return a `thiserror` enum
//!   whose cases a caller can act on, plus `Unexpected` carrying the cause. Nothing here knows HTTP:
//!   the auth function maps each error to its answer once.
//! - What every function needs to *check* a token and its session (verification, the session read,
//!   the extractors) is the platform's (`shared::auth`); this crate only issues and writes.
//! - No token, code, password or email goes into a log field; user and session ids may.

pub mod accounts;
pub mod admin;
pub mod attempts;
pub mod codes;
pub mod email;
pub mod grants;
pub mod oauth;
pub mod password;
pub mod refresh;
pub mod sessions;
pub mod tokens;
pub mod users;

use std::sync::Arc;

use shared::{
    auth::{Verifier, VerifierConfig},
    config::EnvReader,
};

pub use attempts::LoginAttempts;
pub use codes::{CodeStore, OtpCode, OtpConfig, Purpose};
pub use email::Email;
pub use password::Password;
pub use sessions::SessionStore;
pub use tokens::{IssuerConfig, Pending, PendingKey, SigningKey, TokenIssuer};
pub use users::{Provider, UserRecord, UserStore};

/// What only the issuing side reads (the verifier's settings are the platform's `VerifierConfig`).
pub struct Config {
    pub issuer: IssuerConfig,
    pub otp: OtpConfig,
}

impl Config {
    pub fn read(env: &mut EnvReader) -> Self {
        Config {
            issuer: IssuerConfig::read(env),
            otp: OtpConfig::read(env),
        }
    }
}

/// The stores and keys of identity; cheap to clone.
#[derive(Clone)]
pub struct Identity {
    pub users: UserStore,
    pub sessions: SessionStore,
    pub codes: CodeStore,
    pub attempts: LoginAttempts,
    pub oauth: oauth::OAuthStore,
    /// Role changes, disabling, deletion (`admin`).
    pub accounts: admin::Accounts,
    /// Signs with the key, once it has been read ([`PendingKey`]).
    pub tokens: Pending<TokenIssuer>,
    /// The tokens' lifetimes, known before the key is.
    pub token_config: IssuerConfig,
    /// Checks refresh and reset tokens (access tokens are the extractors' to check).
    verifier: Arc<Verifier>,
}

impl Identity {
    /// `signing` is the auth function's private key: it signs tokens and keys the one-time codes.
    pub fn new(
        verifier: &VerifierConfig,
        signing: &PendingKey,
        config: Config,
        db: aws_sdk_dynamodb::Client,
        table: &str,
    ) -> Self {
        Identity {
            users: UserStore::new(db.clone(), table),
            sessions: SessionStore::new(db.clone(), table),
            codes: CodeStore::new(db.clone(), table, signing, config.otp),
            attempts: LoginAttempts::new(db.clone(), table),
            accounts: admin::Accounts::new(db.clone(), table),
            oauth: oauth::OAuthStore::new(db, table),
            token_config: config.issuer.clone(),
            tokens: {
                let verifier = verifier.clone();
                signing.map(move |key| TokenIssuer::new(&verifier, key, config.issuer))
            },
            verifier: Arc::new(Verifier::new(verifier)),
        }
    }
}
