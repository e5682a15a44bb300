//! Staff accounts made by operators: the first admin of a deployment (and of `make dev`).

use shared::{
    ApiError,
    auth::{Role, password},
    users::{NewUser, UserStore, is_valid_email, normalize_email},
};

/// Creates a confirmed admin; `Ok(false)` when the email already has an account (nothing changes then).
pub async fn create_admin(
    users: &UserStore,
    email: &str,
    name: &str,
    admin_password: String,
) -> anyhow::Result<bool> {
    let email = normalize_email(email);
    anyhow::ensure!(
        is_valid_email(&email),
        "{email:?} is not a valid email address"
    );
    let length = admin_password.chars().count();
    anyhow::ensure!(
        (password::MIN_LENGTH..=password::MAX_LENGTH).contains(&length),
        "ADMIN_PASSWORD must be {} to {} characters long",
        password::MIN_LENGTH,
        password::MAX_LENGTH
    );
    let new = NewUser {
        email,
        full_name: name.trim().to_owned(),
        password_hash: password::hash(admin_password).await?,
        role: Role::Admin,
        confirmed: true,
    };
    match users.create(new).await {
        Ok(_) => Ok(true),
        Err(ApiError::Conflict(_)) => Ok(false),
        Err(other) => Err(anyhow::anyhow!("Failed to create the admin: {other}")),
    }
}
