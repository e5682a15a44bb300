//! The providers' client secrets, read from Secrets Manager on first use (no network at init, and none
//! at all when no one signs in with a provider) and kept for the life of the process; the shared HTTP
//! client, also built on first use.

use std::{sync::Arc, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::OnceCell;

/// `{"githubClientSecret": "...", "googleClientSecret": "..."}`; either may be absent when its
/// provider is off.
pub struct ClientSecrets {
    pub github: Option<SecretString>,
    pub google: Option<SecretString>,
}

impl ClientSecrets {
    /// `None` when the value is not that JSON; serde's message is dropped (it may quote the secret).
    fn parse(json: &str) -> Option<Self> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            github_client_secret: Option<String>,
            google_client_secret: Option<String>,
        }
        let raw: Raw = serde_json::from_str(json).ok()?;
        let keep = |s: Option<String>| s.filter(|s| !s.trim().is_empty()).map(SecretString::from);
        Some(ClientSecrets {
            github: keep(raw.github_client_secret),
            google: keep(raw.google_client_secret),
        })
    }
}

/// Reads the secret once; a failed read is retried by the next request.
#[derive(Clone)]
pub struct SecretSource {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    cell: Arc<OnceCell<ClientSecrets>>,
    http: Arc<OnceCell<reqwest::Client>>,
}

impl SecretSource {
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: String) -> Self {
        SecretSource {
            client,
            secret_id,
            cell: Arc::default(),
            http: Arc::default(),
        }
    }

    pub async fn get(&self) -> anyhow::Result<&ClientSecrets> {
        self.cell
            .get_or_try_init(|| async {
                let json =
                    shared::aws::read_secret(&self.client, &self.secret_id, "OAuth secret")
                        .await?;
                ClientSecrets::parse(json.expose_secret()).ok_or_else(|| {
                        anyhow::anyhow!(
                            "The OAuth secret {} is not JSON with githubClientSecret/googleClientSecret",
                            self.secret_id
                        )
                    })
            })
            .await
    }

    /// The HTTP client for the providers (10 s timeout, no redirects followed).
    pub async fn http(&self) -> anyhow::Result<&reqwest::Client> {
        self.http
            .get_or_try_init(|| async {
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent("belta-shop-serverless")
                    .build()
                    .map_err(anyhow::Error::from)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn the_secret_is_json_with_optional_provider_secrets() {
        let secrets =
            ClientSecrets::parse(r#"{"githubClientSecret":"g1","googleClientSecret":""}"#).unwrap();
        assert_eq!(secrets.github.unwrap().expose_secret(), "g1");
        assert!(secrets.google.is_none());
        assert!(ClientSecrets::parse("g1").is_none());
    }
}
