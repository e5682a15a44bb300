//! Staff accounts made by operators: the first admin of a deployment (and of `make dev`).

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
    let email = Email::parse(email)
        .map_err(|_| anyhow::anyhow!("{:?} is not a valid email address", email.trim()))?;
    let password = Password::parse(admin_password).map_err(|_| {
        anyhow::anyhow!("ADMIN_PASSWORD must be {MIN_LENGTH} to {MAX_LENGTH} characters long")
    })?;
    let new = NewUser {
        email,
        full_name: name.trim().to_owned(),
        password_hash: password.hash().await?,
        role: Role::Admin,
        confirmed: true,
    };
    match users.create(new).await {
        Ok(_) => Ok(true),
        Err(CreateUserError::EmailTaken) => Ok(false),
        Err(CreateUserError::Store(cause)) => {
            Err(anyhow::Error::new(cause).context("Failed to create the admin"))
        }
    }
}
