//! The local payment secret `ops bootstrap --local-payment-keys` writes is the one the payments client
//! reads. Needs the emulator (`make test`, or `scripts/with-emulator.sh cargo test -p ops`).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use ops::bootstrap::{LocalPaymentKeys, ensure_local_payment_secret};
use payments::{PaymentConfig, Payments, signature};

async fn emulator() -> SdkConfig {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!("AWS_ENDPOINT_URL is not set: run `scripts/with-emulator.sh cargo test -p ops` or `make test`")
    });
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await
}

/// Whether a fresh client (which reads the secret on first use) accepts an event signed with `webhook_secret`.
async fn client_accepts(sdk: &SdkConfig, secret_id: &str, webhook_secret: &str) -> bool {
    let payments = Payments::new(
        PaymentConfig {
            api_url: "http://127.0.0.1:9".into(),
            secret_id: secret_id.into(),
            currency: "egp".into(),
        },
        sdk,
    );
    let event = br#"{"id":"evt_1","type":"ping","data":{"object":{"object":"ping"}}}"#;
    let header = signature::sign(webhook_secret, shared::clock::now_secs(), event);
    payments.verify_webhook(event, &header).await.is_ok()
}

#[tokio::test]
async fn the_bootstrap_writes_the_payment_secret_once_and_keeps_it_current() {
    let sdk = emulator().await;
    let secret_id = format!("belta-local/payments-{}", std::process::id());
    let keys = |webhook_secret: &str| LocalPaymentKeys {
        secret_id: secret_id.clone(),
        secret_key: "sk_test_local".into(),
        webhook_secret: webhook_secret.into(),
    };

    assert!(
        ensure_local_payment_secret(&sdk, &keys("whsec_one"))
            .await
            .unwrap()
    );
    assert!(client_accepts(&sdk, &secret_id, "whsec_one").await);

    // Run again with regenerated keys: no error, and the secret holds the new ones.
    assert!(
        !ensure_local_payment_secret(&sdk, &keys("whsec_two"))
            .await
            .unwrap()
    );
    assert!(client_accepts(&sdk, &secret_id, "whsec_two").await);
    assert!(!client_accepts(&sdk, &secret_id, "whsec_one").await);
}
