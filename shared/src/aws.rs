//! AWS clients, built once per process from the standard environment.
//!
//! Locally every client reaches the emulator through `AWS_ENDPOINT_URL` alone: there is no code path that
//! exists only for local runs. Building clients makes no network call (credentials and connections are
//! lazy), so cold starts stay short.

use aws_config::{
    BehaviorVersion, Region, SdkConfig, environment::EnvironmentVariableCredentialsProvider,
    retry::RetryConfig,
};
use aws_sdk_dynamodb::config::SharedCredentialsProvider;
use aws_sdk_dynamodb::config::StalledStreamProtectionConfig;
use aws_smithy_http_client::{
    Connector, proxy::ProxyConfig, tls::Provider, tls::rustls_provider::CryptoMode,
};
use aws_smithy_runtime_api::client::{
    connector_metadata::ConnectorMetadata,
    http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector},
    runtime_components::RuntimeComponents,
};
use secrecy::SecretString;

/// The functions' AWS configuration, from what Lambda puts in the environment: `AWS_REGION` and the
/// role's credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`); and
/// `AWS_ENDPOINT_URL` and `AWS_MAX_ATTEMPTS` where set (locally: the emulator, and a test). Retries
/// (standard, 3 attempts), the connect timeout, sleep and clock are the clients' defaults for the
/// behaviour version, as the loader would give them. With [`https_client`].
///
/// Built without aws-config's loader, which reads profile files and links the default credential
/// chain with its STS, SSO and instance-metadata clients: 420 KB of code that a Lambda never runs,
/// much of it in memory after init all the same. Tools run elsewhere (`ops`, with a profile on a
/// workstation) use [`sdk_config_from_default_chain`].
pub fn sdk_config() -> SdkConfig {
    let var = |name| {
        std::env::var(name)
            .ok()
            .filter(|value: &String| !value.is_empty())
    };
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(https_client())
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ));
    config.set_region(var("AWS_REGION").map(Region::new));
    config.set_endpoint_url(var("AWS_ENDPOINT_URL"));
    if let Some(attempts) = var("AWS_MAX_ATTEMPTS").and_then(|n| n.parse().ok()) {
        config.set_retry_config(Some(RetryConfig::standard().with_max_attempts(attempts)));
    }
    config.build()
}

/// The SDK's own loader (profiles, the default credential chain, every environment setting), with
/// [`https_client`]: for `ops` and the local tools.
pub async fn sdk_config_from_default_chain() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// The SDK's default HTTPS client (hyper 1, rustls on aws-lc, proxies from the environment), with two
/// differences that keep work out of Lambda's init. Every AWS client of the process shares it: one
/// TLS configuration and one connection pool, where by default each client builds its own. And its
/// connector, with the trusted roots it loads and parses, is made by the first request that needs
/// it: the SDK makes one whenever a client is built, "so that native certs load at client
/// initialization time", which cost every function several milliseconds of init.
fn https_client() -> SharedHttpClient {
    let client =
        aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
            let mut connector =
                Connector::builder().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        });
    SharedHttpClient::new(ConnectOnFirstRequest(client))
}

/// An HTTP client that skips the SDK's check of a client being built ([`HttpClient`]'s
/// `validate_base_client_config`), which for the hyper client is to make a connector.
#[derive(Debug)]
struct ConnectOnFirstRequest(SharedHttpClient);

impl HttpClient for ConnectOnFirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// DynamoDB without the SDK's stalled stream protection.
///
/// That protection watches a body's throughput for streams that stop, and it spends CPU while a
/// request merely waits for its answer: measured on a current-thread runtime against a server that
/// answers after 500 ms, a GetItem cost 2.09 ms of CPU with it and 0.56 ms without. DynamoDB's answers
/// are small, whole JSON documents; a connection that stalls is ended by the function's timeout.
/// (Attempt timeouts of 4 s in its place were tried and withdrawn: the emulator, loaded by the test
/// suite, takes longer than that for some calls.)
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    let dynamodb_config = aws_sdk_dynamodb::config::Builder::from(config)
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .build();
    aws_sdk_dynamodb::Client::from_conf(dynamodb_config)
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
