//! The token signing key, read once from Secrets Manager (through `shared::aws`'s one way of reading a
//! secret, as the OAuth client secrets are on first use, `oauth::secrets`), from init on but without
//! making init wait for it.

use identity::{PendingKey, SigningKey};
use secrecy::ExposeSecret;
use shared::{auth::PublicKeys, aws::read_secret};

/// The signing key from `TOKEN_SIGNING_SECRET_ID`, checked against the published keys: a key the other
/// functions would not accept stops the function ([`read_in_background`]) rather than failing every
/// login.
pub async fn load_signing_key(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    published: &PublicKeys,
) -> anyhow::Result<SigningKey> {
    let json = read_secret(client, secret_id, "token signing key").await?;
    let key = SigningKey::from_secret_json(json.expose_secret())
        .map_err(|e| anyhow::anyhow!("{secret_id}: {e}"))?;
    key.check_published(published).map_err(anyhow::Error::msg)?;
    Ok(key)
}

/// Starts reading the signing key ([`load_signing_key`]) as a task of its own and returns at once, so
/// that a cold start does not wait for Secrets Manager and requests that sign nothing (`/auth/me`, the
/// sessions, logout) never do. A key that cannot be read, or that the other functions would not
/// accept, stops the process as a failed init did: Lambda starts a fresh one for the next request, and
/// nothing is ever signed with a wrong key.
pub fn read_in_background(
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    published: PublicKeys,
) -> PendingKey {
    PendingKey::spawn(async move {
        match load_signing_key(&client, &secret_id, &published).await {
            Ok(key) => key,
            Err(error) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    "Failed to read the token signing key; stopping"
                );
                std::process::exit(1)
            }
        }
    })
}
