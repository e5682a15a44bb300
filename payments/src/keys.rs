//! The provider's keys, read from Secrets Manager on first use.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::PaymentError;

/// The API key that authenticates our calls and the secret that signs the provider's webhooks.
pub(crate) struct ProviderKeys {
    pub secret_key: SecretString,
    pub webhook_secret: SecretString,
}

impl ProviderKeys {
    /// Reads `{"secretKey": "...", "webhookSecret": "..."}`. `None` when the shape is wrong; serde's
    /// message is dropped on purpose, since it may quote part of the secret.
    fn parse(json: &str) -> Option<Self> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            secret_key: String,
            webhook_secret: String,
        }
        let raw: Raw = serde_json::from_str(json).ok()?;
        if raw.secret_key.trim().is_empty() || raw.webhook_secret.trim().is_empty() {
            return None;
        }
        Some(ProviderKeys {
            secret_key: raw.secret_key.into(),
            webhook_secret: raw.webhook_secret.into(),
        })
    }

    /// One `GetSecretValue`. Failures are logged here (the SDK's cause, never the value).
    pub async fn fetch(
        client: &aws_sdk_secretsmanager::Client,
        secret_id: &str,
    ) -> Result<Self, PaymentError> {
        let json = shared::aws::read_secret(client, secret_id, "payment provider keys")
            .await
            .map_err(|e| {
                tracing::error!(error = %format!("{e:#}"), "Failed to read the payment provider keys");
                PaymentError::Secret
            })?;
        Self::parse(json.expose_secret()).ok_or_else(|| {
            tracing::error!(
                secret_id,
                "The payment secret is not JSON with non-empty secretKey and webhookSecret"
            );
            PaymentError::Secret
        })
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn the_secret_is_json_with_both_keys() {
        let keys = ProviderKeys::parse(
            r#"{"secretKey":"sk_test_1","webhookSecret":"whsec_1","note":"x"}"#,
        )
        .unwrap();
        assert_eq!(keys.secret_key.expose_secret(), "sk_test_1");
        assert_eq!(keys.webhook_secret.expose_secret(), "whsec_1");
        for bad in [
            "sk_test_1",
            r#"{"secretKey":"sk_test_1"}"#,
            r#"{"secretKey":"","webhookSecret":"whsec_1"}"#,
            r#"{"secret_key":"sk","webhook_secret":"wh"}"#,
        ] {
            assert!(ProviderKeys::parse(bad).is_none(), "{bad}");
        }
    }
}
