//! Reading the auth function's secrets from Secrets Manager, in one place: the token signing key (read
//! once at cold start, [`load_signing_key`]) and the OAuth client secrets (read on first use,
//! `oauth::secrets`). Errors name the secret and the SDK's cause, never a value.

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use identity::SigningKey;
use secrecy::{ExposeSecret, SecretString};
use shared::auth::PublicKeys;

/// One `GetSecretValue`: the secret's string. `what` names the secret in errors.
pub async fn read_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    what: &str,
) -> anyhow::Result<SecretString> {
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "Failed to read the {what} {secret_id}: {}",
                DisplayErrorContext(e)
            )
        })?;
    output
        .secret_string()
        .map(SecretString::from)
        .ok_or_else(|| anyhow::anyhow!("The {what} {secret_id} holds no string"))
}

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
