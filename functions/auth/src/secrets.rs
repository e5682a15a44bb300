//! The token signing key, read once at cold start from Secrets Manager (through `shared::aws`'s one
//! way of reading a secret, as the OAuth client secrets are on first use, `oauth::secrets`).

use identity::SigningKey;
use secrecy::ExposeSecret;
use shared::{auth::PublicKeys, aws::read_secret};

/// The signing key from `TOKEN_SIGNING_SECRET_ID`, checked against the published keys: a key the other
/// functions would not accept stops the function at init rather than failing every login.
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
