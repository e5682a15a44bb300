//! AWS clients, built once per process from the standard environment.
//!
//! Locally every client reaches the emulator through `AWS_ENDPOINT_URL` alone: there is no code path that
//! exists only for local runs. Building clients makes no network call (credentials and connections are
//! lazy), so cold starts stay short.

use aws_config::{BehaviorVersion, SdkConfig};
use secrecy::SecretString;

/// Loads region, credentials and endpoint from the environment (as on Lambda).
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// S3 with path-style addressing whenever an endpoint override is set: virtual-host style would need
/// `<bucket>.localhost` to resolve, which it does not.
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

pub fn ses(config: &SdkConfig) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(config)
}

pub fn sqs(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

/// The one way every function reads a secret: one `GetSecretValue`, its string. `what` names the
/// secret in errors, which carry the secret's id and the SDK's cause, never a value.
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
                aws_sdk_secretsmanager::error::DisplayErrorContext(e)
            )
        })?;
    output
        .secret_string()
        .map(SecretString::from)
        .ok_or_else(|| anyhow::anyhow!("The {what} {secret_id} holds no string"))
}
