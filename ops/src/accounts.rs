//! Accounts made by operators: the first admin of a deployment (and of `make dev`), and confirmed
//! accounts of any role (`ops create-account`, e.g. the client `make fuzz` signs in as).

use identity::{
    Email, Password, UserStore,
    password::{MAX_LENGTH, MIN_LENGTH},
    users::{CreateUserError, NewUser},
};
use shared::auth::Role;

/// Creates a confirmed admin; `Ok(false)` when the email already has an account (nothing changes then).
pub async fn create_admin(
    users: &UserStore,
    email: &str,
    name: &str,
    admin_password: String,
) -> anyhow::Result<bool> {
    create_account(
        users,
        email,
        name,
        Role::Admin,
        admin_password,
        "ADMIN_PASSWORD",
    )
    .await
}

/// Creates a confirmed account of `role` with `password` (read from the variable `password_variable`,
/// named in errors); `Ok(false)` when the email already has an account (nothing changes then).
pub async fn create_account(
    users: &UserStore,
    email: &str,
    name: &str,
    role: Role,
    password: String,
    password_variable: &str,
) -> anyhow::Result<bool> {
    let email = Email::parse(email)
        .map_err(|_| anyhow::anyhow!("{:?} is not a valid email address", email.trim()))?;
    let password = Password::parse(password).map_err(|_| {
        anyhow::anyhow!("{password_variable} must be {MIN_LENGTH} to {MAX_LENGTH} characters long")
    })?;
    let new = NewUser {
        email,
        full_name: name.trim().to_owned(),
        password_hash: password.hash().await?,
        role,
        confirmed: true,
    };
    match users.create(new).await {
        Ok(_) => Ok(true),
        Err(CreateUserError::EmailTaken) => Ok(false),
        Err(CreateUserError::Store(cause)) => {
            Err(anyhow::Error::new(cause).context("Failed to create the account"))
        }
    }
}
